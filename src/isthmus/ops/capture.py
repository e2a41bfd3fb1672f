"""Capture the aten operators a model executes, device-neutrally, on meta tensors (no weights, no memory).

Three hooks cooperate:
- a `TorchDispatchMode` sees every aten operator after autograd (what a backend would be asked to run), with
  its dtypes; the module path comes from forward hooks, and in backward from the autograd node being run
  (`torch._C._current_autograd_node()`), which the forward hooks tagged with the module that created it;
- a `TorchFunctionMode` stops the composites whose C++ code picks a device-specific kernel
  (scaled_dot_product_attention, dropout, rms_norm, lstm, gru, rnn: `isthmus.ops.levels`) before they
  decompose, and records them at that level: the host's lowering (e.g. `mkldnn_rnn_layer`,
  `_scaled_dot_product_flash_attention_for_cpu`) never reaches the inventory. Python-level functions of
  `torch.nn.functional` (e.g. `multi_head_attention_forward`) are run with the mode still active, so the
  composites they call are seen too;
- CompositeExplicit operators are decomposed once on meta copies (`isthmus.ops.decompose`, the same code the
  emulation uses), so the parts they run as are known (`Capture.decompositions`) and the support logic can
  follow them.

Every (operator, module path) pair remembers the model's source line where it first ran; backward kernels get
the forward line that created their autograd node.

Meta tensors make a 70B-parameter model cost nothing to trace. A model with data-dependent code (`.item()`,
`.tolist()`, a Python branch on a tensor value, data-dependent shapes) cannot run on meta: it is captured on fake
tensors with real values where torch can (`FakeTensorMode` does not help with values, so this means a real run),
that is on real CPU tensors with the given (small) inputs if the model is small enough, and the capture says
which (`device`, `note`).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from isthmus.errors import InputError
from isthmus.ops.decompose import decompose, is_composite_explicit
from isthmus.ops.emulate_track import ForwardLines, user_frame
from isthmus.ops.levels import call_opened, high_level, program_key
from isthmus.ops.targets import key_of

_TAG = "isthmus.module_path"
ROOT = "<root>"
CPU_FALLBACK_LIMIT = 50_000_000  # parameters: larger models that cannot run on meta are refused, not run


@dataclass(frozen=True)
class OpRecord:
    """One operator seen during capture."""

    key: str  # registry key, e.g. "mm" or "add.Tensor"
    count: int
    dtypes: tuple[str, ...]
    paths: tuple[tuple[str, int], ...]  # (module path, calls there), most calls first
    phases: tuple[str, ...]  # forward / backward / optimizer
    sources: tuple[tuple[str, str, str], ...] = ()  # (module path, file:line, code) of the model's code


@dataclass(frozen=True)
class DtypeUse:
    """Where a dtype was used: module path -> operators."""

    dtype: str
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    count: int


@dataclass(frozen=True)
class Capture:
    """Everything a capture saw, independent of any target."""

    model: str
    device: str  # "meta", or "cpu" when the model needed real tensors
    phases: tuple[str, ...]
    ops: tuple[OpRecord, ...]
    dtypes: tuple[DtypeUse, ...]
    decompositions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parameters: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def calls(self) -> int:
        return sum(o.count for o in self.ops)


class _Collector:
    """Mutable state of one capture; frozen into a `Capture` at the end."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.phase = "forward"
        self.paths: list[str] = []
        self.inside: list[str] = []  # high-level / composite operators being decomposed
        self.counts: dict[str, int] = defaultdict(int)
        self.dtypes: dict[str, set[str]] = defaultdict(set)
        self.where: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.phases: dict[str, set[str]] = defaultdict(set)
        self.dtype_where: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.dtype_counts: dict[str, int] = defaultdict(int)
        self.children: dict[str, list[str]] = {}
        self.expanded: set[str] = set()
        self.lines = ForwardLines()
        self.sources: dict[tuple[str, str], tuple[str, str]] = {}

    def path(self) -> str:
        node = torch._C._current_autograd_node()
        if node is not None:
            return str(_meta(node).get(_TAG, ROOT))
        return self.paths[-1] if self.paths else ROOT

    def record(self, key: str, dtypes: set[str], path: str | None = None) -> None:
        if self.inside:
            parent = self.inside[-1]
            kids = self.children.setdefault(parent, [])
            if key not in kids and key != parent:
                kids.append(key)
            return
        where = path or self.path()
        if (key, where) not in self.sources:
            self.sources[(key, where)] = self.source(key, where)
        self.counts[key] += 1
        self.dtypes[key] |= dtypes
        self.where[key][where] += 1
        self.phases[key].add(self.phase)
        for d in dtypes:
            self.dtype_where[d][where].add(key)
            self.dtype_counts[d] += 1

    def source(self, key: str, where: str) -> tuple[str, str]:
        """The model line behind a first call of `key` at `where` (backward: the forward line of its node)."""
        if self.phase == "backward":
            return self.lines.backward_site(where)
        if self.phase == "forward":
            self.lines.note(where, key.split(".", 1)[0])
            return self.lines.lines[(where, key.split(".", 1)[0])]
        return user_frame()

    @contextlib.contextmanager
    def decomposing(self, key: str) -> Iterator[None]:
        self.inside.append(key)
        try:
            yield
        finally:
            self.inside.pop()

    def freeze(self, model: str, phases: tuple[str, ...], params: int, seconds: float, note: str) -> Capture:
        ops = tuple(
            OpRecord(
                key, n, tuple(sorted(self.dtypes[key])),
                tuple(sorted(self.where[key].items(), key=lambda kv: (-kv[1], kv[0]))),
                tuple(p for p in ("forward", "backward", "optimizer") if p in self.phases[key]),
                tuple((p, *self.sources.get((key, p), ("", ""))) for p, _ in
                      sorted(self.where[key].items(), key=lambda kv: (-kv[1], kv[0]))),
            )
            for key, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )  # fmt: skip
        dtypes = tuple(
            DtypeUse(d, tuple((p, tuple(sorted(ks))) for p, ks in sorted(self.dtype_where[d].items())),
                     self.dtype_counts[d])
            for d in sorted(self.dtype_where)
        )  # fmt: skip
        decomp = {k: tuple(v) for k, v in sorted(self.children.items()) if v}
        return Capture(model, self.device, phases, ops, dtypes, decomp, params, seconds, note)


def _meta(node: Any) -> dict[str, Any]:
    """The metadata dict of an autograd node (a plain attribute at run time)."""
    return cast(dict[str, Any], node.metadata)


def _tensors(obj: Any) -> list[torch.Tensor]:
    if hasattr(obj, "to_tuple") and callable(obj.to_tuple):  # Hugging Face ModelOutput
        obj = obj.to_tuple()
    leaves, _ = tree_flatten(obj)
    return [t for t in leaves if isinstance(t, torch.Tensor)]


class _DispatchRecorder(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Records every aten operator call (and, once per composite operator, what it decomposes into)."""

    def __init__(self, collector: _Collector) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.c = collector

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if not isinstance(func, torch._ops.OpOverload) or func.namespace != "aten":
            return func(*args, **kwargs)
        key = program_key(key_of(func))  # a CPU run's host kernels count as the operator the program called
        if key not in self.c.expanded and is_composite_explicit(key):
            self.c.expanded.add(key)
            for k, parts in decompose(func, args, kwargs).items():
                self.c.children.setdefault(k, list(parts))
        out = func(*args, **kwargs)
        tensors = _tensors((args, kwargs, out))
        if not tensors or any(t.device.type == self.c.device for t in tensors):
            self.c.record(key, {str(t.dtype).removeprefix("torch.") for t in tensors})
        return out


class _HighLevelRecorder(TorchFunctionMode):
    """Records device-lowered composites (SDPA, dropout, rms_norm) as themselves, forward and backward."""

    def __init__(self, collector: _Collector) -> None:
        super().__init__()
        self.c = collector

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        resolve = high_level().get(func)
        if resolve is None or self.c.inside:
            if not self.c.inside and getattr(func, "__module__", None) == "torch.nn.functional":
                return call_opened(self, func, args, kwargs)
            return func(*args, **kwargs)
        key = resolve(args)
        leaves, spec = tree_flatten((args, kwargs))
        idx = [i for i, v in enumerate(leaves) if isinstance(v, torch.Tensor)]
        dtypes = {str(leaves[i].dtype).removeprefix("torch.") for i in idx}
        path = self.c.path()
        self.c.record(key, dtypes, path)

        def call(*tensors: torch.Tensor) -> Any:
            vals = list(leaves)
            for i, t in zip(idx, tensors, strict=True):
                vals[i] = t
            a, kw = spec.unflatten(vals)
            return func(*a, **kw)

        tensors = [leaves[i] for i in idx]
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            return _Opaque.apply(self.c, key, call, path, dtypes, *tensors)  # type: ignore[no-untyped-call]
        with self.c.decomposing(key):
            return call(*tensors)


class _Opaque(torch.autograd.Function):
    """Runs a high-level operator as one autograd node, so its backward is recorded as that operator too."""

    @staticmethod
    def forward(ctx: Any, c: _Collector, key: str, call: Any, path: str, dtypes: set[str], *tensors: Any) -> Any:
        ctx.c, ctx.key, ctx.call, ctx.path, ctx.dtypes = c, key, call, path, dtypes
        ctx.save_for_backward(*tensors)
        with c.decomposing(key):
            return call(*tensors)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        c: _Collector = ctx.c
        c.record(ctx.key, ctx.dtypes, ctx.path)
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in ctx.saved_tensors]
        wanted = [t for t in inputs if t.requires_grad]
        with c.decomposing(ctx.key), torch.enable_grad():
            out = ctx.call(*inputs)
            got = torch.autograd.grad(out, wanted, grads, allow_unused=True)
        by_id = {id(t): g for t, g in zip(wanted, got, strict=True)}
        return (None, None, None, None, None, *(by_id.get(id(t)) for t in inputs))


def _tag(outputs: Any, path: str) -> None:
    """Tag the autograd nodes behind `outputs` that no inner module tagged with `path` (for backward paths)."""
    stack = [t.grad_fn for t in _tensors(outputs) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or _TAG in _meta(node):
            continue
        _meta(node)[_TAG] = path
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)


@contextlib.contextmanager
def _module_paths(root: nn.Module, c: _Collector) -> Iterator[None]:
    """Forward hooks on every module: a stack of dotted paths, and tagging of the autograd nodes each creates."""
    names = {id(m): (name or ROOT) for name, m in root.named_modules()}

    def pre(module: nn.Module, _args: Any) -> None:
        c.paths.append(names.get(id(module), type(module).__name__))

    def post(module: nn.Module, _args: Any, output: Any) -> None:
        if c.paths:
            path = c.paths.pop()
            if torch.is_grad_enabled():
                _tag(output, path)

    h1 = nn.modules.module.register_module_forward_pre_hook(pre)
    h2 = nn.modules.module.register_module_forward_hook(post)
    try:
        yield
    finally:
        h1.remove()
        h2.remove()
        c.paths.clear()


def _loss(output: Any, inputs: tuple[Any, ...]) -> torch.Tensor:
    """A training loss from the model output: cross-entropy for token-id language models, else mean square."""
    tensors = [t for t in _tensors(output) if t.is_floating_point()]
    if not tensors:
        raise InputError("the model returned no floating-point tensor to train on", hint="drop --train")
    logits = tensors[0]
    ids = inputs[0] if inputs and isinstance(inputs[0], torch.Tensor) else None
    if ids is not None and not ids.is_floating_point() and logits.dim() == ids.dim() + 1:
        return F.cross_entropy(logits.flatten(0, -2).float(), ids.flatten())
    return logits.float().pow(2).mean()


def run_capture(
    module: nn.Module, inputs: tuple[Any, ...], *, name: str, device: str, train: bool = False, note: str = ""
) -> Capture:
    """Run `module(*inputs)` (and with `train` backward plus an AdamW step) under the recorders."""
    c = _Collector(device)
    phases = ("forward", "backward", "optimizer") if train else ("forward",)
    params = [p for p in module.parameters() if p.requires_grad]
    t0 = time.perf_counter()
    module.train(train)
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.enable_grad() if train else torch.no_grad())
        stack.enter_context(_DispatchRecorder(c))
        stack.enter_context(_HighLevelRecorder(c))
        stack.enter_context(_module_paths(module, c))
        output = module(*inputs)
        if train:
            c.paths.append("loss")
            loss = _loss(output, inputs)
            _tag(loss, "loss")
            c.paths.pop()
            c.phase = "backward"
            loss.backward()  # type: ignore[no-untyped-call]
            c.phase = "optimizer"
            c.paths.append("optimizer.AdamW")
            opt = torch.optim.AdamW(params, lr=1e-4, foreach=True)
            opt.step()
            opt.zero_grad(set_to_none=True)
    n_params = sum(p.numel() for p in module.parameters())
    return c.freeze(name, phases, n_params, time.perf_counter() - t0, note)


def _cast(inputs: tuple[Any, ...], dtype: torch.dtype | None) -> tuple[Any, ...]:
    if dtype is None:
        return inputs
    return tuple(t.to(dtype) if isinstance(t, torch.Tensor) and t.is_floating_point() else t for t in inputs)


def capture_model(
    spec: str,
    *,
    input_shape: tuple[int, ...] | None = None,
    dtype: torch.dtype | None = None,
    train: bool = False,
    seed: int = 0,
) -> Capture:
    """Load the model `spec` names (see isthmus.models) on meta tensors and capture its operators.

    Falls back to real CPU tensors, for models under CPU_FALLBACK_LIMIT parameters, when the forward pass
    needs tensor values (data-dependent control flow); the returned capture's `device` and `note` say so.
    """
    from isthmus.models import load_model, make_inputs

    loaded = load_model(spec, device="meta", seed=seed)
    module = loaded.module.to(device="meta") if loaded.kind == "export" else loaded.module
    if dtype is not None:
        module = module.to(dtype)
    inputs = _cast(make_inputs(loaded, input_shape, dtype, seed, device="meta"), dtype)
    inputs = tuple(t.to("meta") if isinstance(t, torch.Tensor) else t for t in inputs)
    try:
        return run_capture(module, inputs, name=loaded.name, device="meta", train=train)
    except Exception as e:  # data-dependent code, or a genuine error that the CPU run will show
        meta_error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    n_params = sum(p.numel() for p in module.parameters())
    if n_params > CPU_FALLBACK_LIMIT:
        raise InputError(
            f"{spec}: the forward pass failed on meta tensors ({meta_error})",
            hint=f"if it needs tensor values, its {n_params:,} parameters are too many to run for real: "
            "use a smaller config",
        )
    loaded = load_model(spec, device="cpu", seed=seed)
    module = loaded.module.to(dtype) if dtype is not None else loaded.module
    inputs = _cast(make_inputs(loaded, input_shape, dtype, seed, device="cpu"), dtype)
    note = f"captured on CPU tensors: the forward pass needs tensor values on meta ({meta_error})"
    try:
        return run_capture(module, inputs, name=loaded.name, device="cpu", train=train, note=note)
    except Exception as e:
        raise InputError(f"{spec}: the model's forward pass raised {type(e).__name__}: {e}") from e
