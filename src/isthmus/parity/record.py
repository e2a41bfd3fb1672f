"""Record a model run: per-module statistics and deterministic samples through forward (and backward) hooks.

Every module gets a forward hook that summarises its output tensors on the spot (`tensorstats.summarise`) and
drops them; with `backward=True` every module also gets a full backward hook for its input gradients, and parameter
gradients are summarised after one backward pass of a fixed probe loss. Only modules whose path matches a `--full`
glob keep their whole output. Entries are kept in execution order (a module's entry is written when its forward
returns, so children come before their parent), which is the order the comparison searches for the first divergence.
"""

from __future__ import annotations

import contextlib
import fnmatch
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from isthmus import __version__
from isthmus.errors import InputError
from isthmus.parity.format import Record
from isthmus.parity.inputs import InputSpec, resolve_inputs, weights_sha256
from isthmus.parity.manifest import EntryModel, Manifest, ModelInfo, RunInfo, Stage, StatsModel
from isthmus.parity.tensorstats import DEFAULT_SAMPLES, SAMPLING, Stats, finite_or_none, summarise

if TYPE_CHECKING:
    import torch
    from torch import nn

    from isthmus.models import LoadedModel

ROOT = "(model)"
DTYPES = {
    "fp64": "float64",
    "fp32": "float32",
    "fp16": "float16",
    "bf16": "bfloat16",
    "float64": "float64",
    "float32": "float32",
    "float16": "float16",
    "bfloat16": "bfloat16",
}


@dataclass(frozen=True)
class RecordOptions:
    """How to run the model (every field is written into the manifest)."""

    device: str = "cpu"
    dtype: str | None = None  # cast model and floating inputs (fp32, bf16, fp16, fp64)
    autocast: str | None = None  # run under torch.autocast with this dtype (bf16, fp16)
    backward: bool = False  # also record input gradients and parameter gradients of one backward pass
    full: tuple[str, ...] = ()  # globs on module paths whose whole outputs are kept
    samples: int = DEFAULT_SAMPLES  # elements sampled per tensor
    seed: int = 0  # the one seed: model construction, generated inputs and the RNG state of the forward
    emulate: str | None = None  # emulate this target's arithmetic on the host (isthmus.ops.emulate, numerics)
    emulate_dtype: str | None = None  # its compute dtype; default: --autocast, else the target's autocast dtype


def canonical_dtype(name: str | None, what: str) -> str | None:
    """'bf16' -> 'bfloat16' etc.; InputError for names we do not know."""
    if name is None:
        return None
    canon = DTYPES.get(name.lower())
    if canon is None:
        raise InputError(f"{what}: unknown dtype {name!r}", hint="use fp32, bf16, fp16 or fp64")
    return canon


def seed_everything(seed: int) -> None:
    """The one place seeds are set: Python, NumPy and torch (all devices)."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    torch.manual_seed(seed)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """(path, tensor) for every tensor in nested tuples, lists and dicts (module outputs, gradient tuples)."""
    import torch

    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}.{i}" if prefix else str(i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))


class Recorder:
    """Hooks that turn module outputs into manifest entries and sample tensors, in execution order."""

    def __init__(self, samples: int, full: tuple[str, ...]) -> None:
        self.samples = samples
        self.full = full
        self.outside_modes = False  # set when a dispatch mode (emulation) runs: our own ops must not be seen by it
        self.entries: list[EntryModel] = []
        self.tensors: dict[str, torch.Tensor] = {}
        self._calls: dict[tuple[str, str], int] = {}
        self._sample_keys: dict[int, str] = {}  # id of a stored sample -> its tensor key (samples stay alive)
        self._recent: dict[tuple[Any, ...], tuple[weakref.ref[torch.Tensor], Stats, torch.Tensor]] = {}

    def add(self, stage: Stage, module: str, module_type: str, value: Any) -> None:
        """Summarise every tensor in `value` (an output or a gradient tuple) as one entry each."""
        if self.outside_modes:
            from torch.utils._python_dispatch import _disable_current_modes

            with _disable_current_modes():
                self._add(stage, module, module_type, value)
        else:
            self._add(stage, module, module_type, value)

    def _add(self, stage: Stage, module: str, module_type: str, value: Any) -> None:
        call = self._calls.get((stage, module), 0)
        self._calls[(stage, module)] = call + 1
        leaves = list(_flatten(value))
        keep_full = any(fnmatch.fnmatchcase(module, pat) for pat in self.full)
        for out, t in leaves:
            key = f"{stage}/{module}" + (f"@{call}" if call else "") + (f":{out}" if len(leaves) > 1 else "")
            self._add_tensor(key, stage, module, module_type, call, out if len(leaves) > 1 else "", t, keep_full)

    def _add_tensor(
        self,
        key: str,
        stage: Stage,
        module: str,
        module_type: str,
        call: int,
        out: str,
        t: torch.Tensor,
        keep_full: bool,
    ) -> None:
        import torch

        stats, sample = self._summary(t)
        n = len(self.entries)
        sample_key, full_key = self._sample_keys.get(id(sample)), None
        if sample_key is None:  # a parent returning its child's tensor shares the child's sample
            sample_key = f"sample/{n}"
            self.tensors[sample_key] = sample
            self._sample_keys[id(sample)] = sample_key
        if keep_full:
            full_key = f"full/{n}"
            real = torch.view_as_real(t.detach()) if t.is_complex() else t.detach()
            self.tensors[full_key] = real.to("cpu", copy=True).contiguous()
        shape = tuple(t.shape) + ((2,) if t.is_complex() else ())
        s = StatsModel(
            mean=finite_or_none(stats.mean),
            std=finite_or_none(stats.std),
            min=finite_or_none(stats.min),
            max=finite_or_none(stats.max),
            absmax=finite_or_none(stats.absmax),
            l2=finite_or_none(stats.l2),
            nan=stats.nan,
            inf=stats.inf,
        )
        self.entries.append(
            EntryModel(
                key=key,
                stage=stage,
                module=module,
                module_type=module_type,
                call=call,
                output=out,
                shape=shape,
                dtype=str(t.dtype).removeprefix("torch."),
                numel=_numel(shape),
                stats=s,
                sample=sample_key,
                full=full_key,
            )
        )

    def _summary(self, t: torch.Tensor) -> tuple[Stats, torch.Tensor]:
        """Summarise `t`, reusing the result when a parent module returns the very tensor a child returned."""
        key = (t.data_ptr(), tuple(t.shape), t.stride(), t.dtype, t._version)
        hit = self._recent.get(key)
        if hit is not None and hit[0]() is t:  # the weak reference proves it is the same, still-live tensor
            return hit[1], hit[2]
        stats, sample = summarise(t, self.samples)
        if len(self._recent) >= 8:
            self._recent.pop(next(iter(self._recent)))
        self._recent[key] = (weakref.ref(t), stats, sample)
        return stats, sample

    @contextlib.contextmanager
    def attach(self, model: nn.Module, backward: bool) -> Iterator[None]:
        """Hook every module of `model` for the duration of the block."""
        handles = []
        for name, mod in model.named_modules():
            path, kind = name or ROOT, type(mod).__name__
            handles.append(mod.register_forward_hook(self._forward_hook(path, kind)))
            if backward:
                handles.append(mod.register_full_backward_hook(self._backward_hook(path, kind)))
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    def _forward_hook(self, path: str, kind: str) -> Callable[..., None]:
        def hook(_mod: nn.Module, _args: Any, output: Any) -> None:
            self.add("forward", path, kind, output)

        return hook

    def _backward_hook(self, path: str, kind: str) -> Callable[..., None]:
        def hook(_mod: nn.Module, grad_input: Any, _grad_output: Any) -> None:
            self.add("grad_input", path, kind, tuple(g for g in grad_input if g is not None))

        return hook


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _probe_loss(output: Any) -> torch.Tensor:
    """0.5 * mean of squares over every floating output: a fixed, input-independent loss for the backward pass."""
    import torch

    terms = [t.float().pow(2).mean() * 0.5 for _, t in _flatten(output) if t.is_floating_point() and t.requires_grad]
    if not terms:
        raise InputError(
            "--backward: the model's output has no floating tensor that requires grad", hint="record without --backward"
        )
    return torch.stack(terms).sum()


def record_loaded(loaded: LoadedModel, inputs: InputSpec, options: RecordOptions) -> Record:
    """Record `loaded` (built on the CPU) on `options.device`; returns the record in memory."""
    import torch

    from isthmus.parity.device import device_name, environment_info, resolve_device

    device = resolve_device(options.device)
    cast = canonical_dtype(options.dtype, "--dtype")
    autocast = canonical_dtype(options.autocast, "--autocast")
    if autocast not in (None, "bfloat16", "float16"):
        raise InputError(f"--autocast {options.autocast}: autocast runs in bf16 or fp16", hint="use bf16 or fp16")
    if options.samples < 1:
        raise InputError("--samples must be at least 1")
    model = loaded.module
    digest, n_params, weights_dtype = weights_sha256(model)
    resolved = resolve_inputs(loaded, inputs, options.seed)
    target_dtype = getattr(torch, cast) if cast else None
    model = model.to(device)
    if target_dtype is not None:  # floating tensors only: Module.to(dtype) would also cast complex buffers to real
        _cast_floats(model, target_dtype)
    model.eval()  # no dropout: both sides must compute the same function
    args = tuple(_to(a, device, target_dtype) for a in resolved.args)

    rec = Recorder(options.samples, options.full)
    numerics_dtype: str | None = None
    seed_everything(options.seed)
    with contextlib.ExitStack() as stack:
        if options.emulate:
            rec.outside_modes = True
            numerics_dtype = stack.enter_context(
                emulated_numerics(options.emulate, options.emulate_dtype or autocast, model)
            )
        stack.enter_context(rec.attach(model, options.backward))
        stack.enter_context(torch.enable_grad() if options.backward else torch.no_grad())
        if options.backward:
            args = tuple(
                a.requires_grad_(True) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args
            )
        with torch.autocast(device.type, dtype=getattr(torch, autocast)) if autocast else contextlib.nullcontext():
            output = model(*args)
        if options.backward:
            with warnings.catch_warnings():  # inputs without grad (token ids) make torch warn once per model
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
                torch.autograd.backward(_probe_loss(output))
            for name, p in model.named_parameters():
                if p.grad is not None:
                    rec.add("grad_param", name, "Parameter", p.grad)
    compute = _compute_dtype(cast or weights_dtype, autocast, numerics_dtype)
    manifest = Manifest(
        format="isthmus-parity",
        version=1,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        isthmus=__version__,
        model=ModelInfo(
            spec=loaded.spec,
            name=loaded.name,
            kind=loaded.kind,
            parameters=n_params,
            weights_sha256=digest,
            weights_dtype=weights_dtype,
        ),
        inputs=resolved.info,
        run=RunInfo(
            device=str(device),
            device_name=device_name(device),
            dtype=cast,
            autocast=autocast,
            compute_dtype=compute,
            numerics=options.emulate,
            backward=options.backward,
            full=options.full,
            samples=options.samples,
            sampling=SAMPLING,
            seed=options.seed,
        ),
        environment=environment_info(device),
        entries=tuple(rec.entries),
    )
    return Record(manifest, {**rec.tensors, **resolved.tensors})


@contextlib.contextmanager
def emulated_numerics(target: str, dtype: str | None, model: nn.Module) -> Iterator[str]:
    """Emulate `target`'s arithmetic (isthmus.ops.emulate, report mode); yields the compute dtype it rounds to."""
    import torch

    try:
        from isthmus.ops.emulate import emulation
        from isthmus.ops.numerics import policy_for
    except ModuleNotFoundError as e:
        raise InputError("--emulate needs isthmus.ops.emulate, which this installation lacks") from e
    from isthmus.ops import get_target

    profile = get_target(target)
    name = canonical_dtype(dtype, "--emulate-dtype") or policy_for(profile.device_type).autocast_dtype
    with emulation(profile, strict=False, numerics=True, compute_dtype=getattr(torch, name), root=model):
        yield name


def _compute_dtype(model_dtype: str, autocast: str | None, numerics: str | None) -> str:
    from isthmus.parity.tolerances import effective_dtype

    return effective_dtype(model_dtype, autocast, numerics)


def _cast_floats(model: nn.Module, dtype: torch.dtype) -> None:
    """Cast floating parameters and buffers in place (tied parameters stay tied; complex buffers are kept)."""
    for p in model.parameters():
        if p.is_floating_point():
            p.data = p.data.to(dtype)
    for mod in model.modules():
        for name, buf in mod.named_buffers(recurse=False):
            if buf.is_floating_point():
                setattr(mod, name, buf.to(dtype))


def _to(arg: Any, device: torch.device, dtype: torch.dtype | None) -> Any:
    import torch

    if not isinstance(arg, torch.Tensor):
        return arg
    if dtype is not None and arg.is_floating_point():
        return arg.to(device=device, dtype=dtype)
    return arg.to(device)


def record_model(spec: str, inputs: InputSpec, options: RecordOptions) -> Record:
    """Load `spec` with `isthmus.models.load_model` on the CPU (same weights everywhere) and record it."""
    from isthmus.models import load_model

    seed_everything(options.seed)
    loaded = load_model(spec, device="cpu", seed=options.seed)
    return record_loaded(loaded, inputs, options)


def record_against(
    spec: str,
    reference: Record,
    *,
    device: str,
    dtype: str | None = None,
    autocast: str | None = None,
    emulate: str | None = None,
) -> Record:
    """Record `spec` on `device` the way `reference` was recorded: same seed, inputs, sampling and gradients."""
    run = reference.manifest.run
    options = RecordOptions(
        device=device,
        dtype=dtype,
        autocast=autocast,
        backward=run.backward,
        full=run.full,
        samples=run.samples,
        seed=run.seed,
        emulate=emulate,
    )
    return record_model(spec, InputSpec(record=reference), options)
