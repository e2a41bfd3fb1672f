"""Run real computation on the CPU under a target's constraints and record what would break there.

`emulation(target)` installs a `TorchDispatchMode` that sees every operator the program executes. For each one it
asks the target profile of `isthmus.ops` (the same registries and support logic as `isthmus ops`):

- no kernel (fallback / unsupported): strict mode raises `EmulationError` naming the operator, module path and
  source line; report mode records the site and runs the op on the CPU, as the target's CPU fallback would;
- ambiguous evidence (unverified: only the out= variant is listed, or only older torch_npu lists): recorded with
  its evidence, never raised;
- host kernels (the CPU's lowering of `lstm`, SDPA...) are judged as the operator the program called, and
  CompositeExplicit operators without a kernel are followed into their parts (`isthmus.ops.decompose`), exactly
  as `isthmus ops` does;
- a dtype the target lacks: "error" is recorded (raised in strict mode); "downcast" is recorded and followed:
  floating results are rounded through the downcast dtype, as the device's silent cast would leave them;
- a known slow path (AICPU kernels): recorded with its share of host time.

Decisions are cached per operator and per dtype, and a Python stack walk happens only when a new problem site is
recorded or a new (module, operator) pair runs in forward (so that backward sites can name the forward line that
created their autograd node), so a clean op costs a few dict lookups and a dtype scan. Outside the context manager
nothing is installed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from isthmus.errors import ExitCode, IsthmusError
from isthmus.ops.emulate_report import EmulateFinding, EmulationReport, FindingKind, Phase
from isthmus.ops.emulate_track import ForwardLines, ModuleTracker, exception_location, user_frame
from isthmus.ops.numerics import (
    CONV_PACKETS,
    MATMUL_PACKETS,
    describe_numerics,
    policy_for,
    run_autocast,
    run_reduced_fp32,
)

if TYPE_CHECKING:
    import torch
    from torch import nn

_DEVICE_TAG = "_isthmus_on_device"
_INTERNAL_NAMESPACES = frozenset(
    {"profiler", "prim", "prims", "c10d", "_c10d_functional", "_c10d_functional_autograd", "_dtensor", "debugprims"}
)
_ALL_DTYPES = frozenset(
    {
        "float64",
        "float32",
        "float16",
        "bfloat16",
        "complex128",
        "complex64",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint8",
        "bool",
    }
)
_ALIAS_PACKETS = frozenset({"aten::detach", "aten::alias", "aten::lift_fresh", "aten::_unsafe_view"})


class EmulationError(IsthmusError):
    """The program used something the emulated target cannot run (strict mode)."""

    exit_code = ExitCode.FINDINGS


class TargetLike(Protocol):
    """What the emulation needs from a target profile (`isthmus.ops.TargetProfile` provides it)."""

    @property
    def name(self) -> str: ...

    @property
    def device_type(self) -> str: ...

    @property
    def registry_source(self) -> str: ...

    def support_of(self, func: Any) -> Any: ...

    def dtype_support(self, dtype: Any) -> Any: ...


@dataclass(frozen=True)
class _OpDecision:
    """Cached per operator: what the target does with it and what the numerics emulation must do."""

    name: str
    kind: FindingKind | None  # None: runs natively (or decomposes into native ops)
    behaviour: str
    note: str
    suggestion: str | None
    numerics: str | None  # "matmul" or "conv" when the op runs on the matrix unit
    mutable: bool
    view: bool  # a view or alias: no arithmetic, so no dtype check (the producer of the tensor was checked)
    slow_key: str | None = None  # registry key when the op is slow for some input dtypes (int64 sort on AICPU)
    packet: str = ""  # base name (`aten::gelu.default` -> `gelu`), as autograd nodes name their forward op


def _support(profile: TargetLike, func: Any, args: Any, kwargs: Any) -> Any:
    """The target's answer for `func`, following a CompositeExplicit operator the target lacks into its parts."""
    support = getattr(profile, "support", None)
    has_kernel = getattr(profile, "has_kernel", None)
    if support is None or has_kernel is None:  # a minimal profile: ask it directly
        return profile.support_of(func)
    from isthmus.ops.decompose import decompose, is_composite_explicit
    from isthmus.ops.levels import program_key
    from isthmus.ops.targets import key_of

    key = program_key(key_of(func))
    if is_composite_explicit(key) and not has_kernel(key):
        return profile.support_of(func, decompose(func, args, kwargs))  # type: ignore[call-arg]
    return profile.support_of(func)


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


class _State:
    """Everything the dispatch mode reads on the hot path, plus the slow-path recorder."""

    def __init__(
        self,
        profile: TargetLike,
        report: EmulationReport,
        tracker: ModuleTracker,
        *,
        strict: bool,
        numerics: bool,
        compute_dtype: torch.dtype | None,
        track_device: bool,
    ) -> None:
        import torch

        self.profile, self.report, self.tracker = profile, report, tracker
        self.strict, self.numerics, self.track_device = strict, numerics, track_device
        self.compute_dtype = compute_dtype
        self.policy = policy_for(profile.device_type)
        self.ops: dict[Any, _OpDecision] = {}
        self.dtypes: dict[Any, Any] = {}  # torch.dtype -> DtypeSupport
        self.ok: set[Any] = set()  # dtypes the target runs natively
        self.fp32 = torch.float32
        self.tensor = torch.Tensor
        self.graph_task = torch._C._current_graph_task_id
        self.lines = ForwardLines()
        self.skip = 0  # > 0 inside a high-level operator the target runs natively: its host lowering is not judged
        self.high: dict[str, Any] = {}  # op key of a high-level operator -> the target's support

    # ---- cached decisions -------------------------------------------------------------------------------
    def decide_op(self, func: Any, args: Any = (), kwargs: Any = None) -> _OpDecision:
        name = f"{func._schema.name}.{func._overloadname}"
        packet = func._schema.name
        if func.namespace in _INTERNAL_NAMESPACES:  # bookkeeping, not device kernels
            d = _OpDecision(name, None, "", "", None, None, False, True, None, packet.split("::", 1)[-1])
            self.ops[func] = d
            return d
        sup = _support(self.profile, func, args, kwargs or {})
        kind: FindingKind | None
        if sup.status == "unverified":
            kind, behaviour = "unverified", "unverified: " + (", ".join(sup.via) if sup.via else "see evidence")
        elif sup.status in ("fallback", "unsupported"):
            kind = sup.status
            behaviour = (
                ("CPU fallback via " + ", ".join(sup.via))
                if sup.status == "fallback" and sup.via
                else ("CPU fallback" if sup.status == "fallback" else "error: no kernel")
            )
        elif sup.slow:
            kind, behaviour = "slow", "slow path: " + (", ".join(sup.via) if sup.via else "AICPU")
        else:
            kind, behaviour = None, ""
        numerics = "matmul" if packet in MATMUL_PACKETS else "conv" if packet in CONV_PACKETS else None
        view = bool(func.is_view) or packet in _ALIAS_PACKETS
        slow_key = None
        slow_path = getattr(self.profile, "slow_path", None)
        if kind is None and slow_path is not None:
            from isthmus.ops.targets import key_of

            key = key_of(func)
            slow_key = key if slow_path(key, _ALL_DTYPES) else None
        note = f"{sup.note} [evidence: {sup.evidence}; decided by: {sup.source}]" if getattr(
            sup, "evidence", "") else sup.note  # fmt: skip
        d = _OpDecision(
            name,
            kind,
            behaviour,
            note,
            sup.suggestion,
            numerics,
            func._schema.is_mutable,
            view,
            slow_key,
            packet.split("::", 1)[-1],
        )
        self.ops[func] = d
        return d

    def decide_dtype(self, dtype: Any) -> Any:
        ds = self.profile.dtype_support(dtype)
        self.dtypes[dtype] = ds
        if ds.status == "native":
            self.ok.add(dtype)
        return ds

    # ---- per call -----------------------------------------------------------------------------------------
    def odd_dtypes(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        """Dtypes of tensor arguments (one level into lists) and `dtype=` that the target lacks."""
        tensor, ok = self.tensor, self.ok
        odd: list[Any] = []
        for a in args:
            if isinstance(a, tensor):
                if a.dtype not in ok:
                    odd.append(a.dtype)
            elif isinstance(a, (list, tuple)):
                for b in a:
                    if isinstance(b, tensor) and b.dtype not in ok:
                        odd.append(b.dtype)
        dt = kwargs.get("dtype")
        if dt is not None and dt not in ok:
            odd.append(dt)
        for v in kwargs.values():
            if isinstance(v, tensor) and v.dtype not in ok:
                odd.append(v.dtype)
        if not odd:
            return odd
        return [d for d in dict.fromkeys(odd) if (self.dtypes.get(d) or self.decide_dtype(d)).status != "native"]

    def odd_outputs(self, out: Any) -> list[Any]:
        tensor, ok = self.tensor, self.ok
        outs = (out,) if isinstance(out, tensor) else out if isinstance(out, (tuple, list)) else ()
        odd = [o.dtype for o in outs if isinstance(o, tensor) and o.dtype not in ok]
        return [d for d in odd if (self.dtypes.get(d) or self.decide_dtype(d)).status != "native"]

    def where(self) -> tuple[str | None, Phase]:
        if self.graph_task() != -1:
            return self.tracker.current(True), "backward"
        path = self.tracker.current(False)
        return path, "forward" if path is not None else "outside"

    def record(
        self,
        kind: FindingKind,
        op: _OpDecision,
        dtypes: tuple[str, ...],
        behaviour: str,
        note: str,
        suggestion: str | None,
        seconds: float,
    ) -> EmulateFinding | None:
        """Count a call at its site; on a new site, walk the stack once for the source line."""
        module, phase = self.where()
        key = (kind, op.name, dtypes, module, phase)
        if self.report.bump(key, seconds):
            return None
        # backward kernels run from the autograd engine: the forward line that created the autograd node says
        # more than the `.backward()` call (and the launcher is no model code at all)
        if phase == "backward":
            source, code = self.lines.backward_site(module)
            if not source:
                source, code = self.forward_source(module, dtypes)
        else:
            source, code = user_frame()
        f = EmulateFinding(kind, op.name, dtypes, behaviour, module, phase, source, code, 1, seconds, note, suggestion)
        self.report.add(key, f)
        return f

    def forward_source(self, module: str | None, dtypes: tuple[str, ...]) -> tuple[str, str]:
        """Backward kernels run from the autograd engine, with no user frame: point at the forward code of the
        same module (same dtypes first)."""
        same = [f for f in self.report.findings if f.module == module and f.phase == "forward" and f.source]
        best = next((f for f in same if f.dtypes == dtypes), same[0] if same else None)
        return (best.source, f"(backward of) {best.code}") if best else ("", "")

    def fail(self, f: EmulateFinding | None, what: str) -> None:
        if f is None:
            return
        raise EmulationError(
            f"{f.op} {what} on {self.report.target}, in module {f.where} ({f.phase}) at {f.source or '?'}"
            + (f": {f.code}" if f.code else ""),
            hint=f.suggestion or "run without --strict to list every problem",
        )


class _EmulationMode:
    """Factory for the dispatch mode class (torch is imported lazily, so the class is built on first use)."""

    cls: type | None = None
    function_cls: type | None = None

    @classmethod
    def make(cls, state: _State) -> Any:
        if cls.cls is None:
            cls.cls = _build_mode_class()
        return cls.cls(state)

    @classmethod
    def make_function_mode(cls, state: _State) -> Any:
        if cls.function_cls is None:
            cls.function_cls = _build_function_mode_class()
        return cls.function_cls(state)


def _build_mode_class() -> type:
    from torch.utils._python_dispatch import TorchDispatchMode

    class EmulationMode(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __init__(self, state: _State) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.s = state

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            s = self.s
            kw = kwargs or {}
            if s.skip:  # the host's lowering of a high-level operator the target runs natively
                out = func(*args, **kw)
                if s.track_device:
                    _tag(out, s.tensor)
                return out
            if s.track_device and not (s.tracker.fwd or s.graph_task() != -1 or _tagged(args, s.tensor)):
                return func(*args, **kw)  # host-side work: not on the device
            s.report.calls += 1
            op = s.ops.get(func) or s.decide_op(func, args, kw)
            fwd = s.tracker.fwd
            if fwd and (fwd[-1], op.packet) not in s.lines.lines and s.graph_task() == -1:
                s.lines.note(fwd[-1], op.packet)
            odd = [] if op.view else s.odd_dtypes(args, kw)
            if op.kind is None and not odd and op.slow_key is None and not (s.numerics and op.numerics):
                out = func(*args, **kw)
            else:
                out = _slow_path(s, func, op, args, kw, odd)
            if not op.view:
                odd_out = s.odd_outputs(out)
                if odd_out and not set(odd_out) <= set(odd):
                    out = _dtype_outputs(s, op, [d for d in odd_out if d not in odd], out)
            if s.track_device:
                _tag(out, s.tensor)
            return out

    return EmulationMode


def _build_function_mode_class() -> type:
    from torch.overrides import TorchFunctionMode

    from isthmus.ops.levels import call_opened, high_level, opened

    table = high_level()
    plain: set[Any] = set()

    class HighLevelMode(TorchFunctionMode):
        """Judges scaled_dot_product_attention, lstm, gru... as the program called them (as `isthmus ops` does):
        when the target runs one natively, the host's lowering of it is not judged."""

        def __init__(self, state: _State) -> None:
            super().__init__()
            self.s = state

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kw = kwargs or {}
            if func in plain:  # the common case: a torch function that is neither judged nor opened
                return func(*args, **kw)
            resolve = table.get(func)
            s = self.s
            if resolve is None and opened(func) is None:
                plain.add(func)
                return func(*args, **kw)
            if resolve is None or s.skip:
                return func(*args, **kw) if s.skip else call_opened(self, func, args, kw)
            key = resolve(args)
            sup = s.high.get(key)
            if sup is None:
                sup = s.high[key] = _high_support(s.profile, key)
            if sup is None or sup.status != "native":  # the target decomposes it: the parts are judged one by one
                return func(*args, **kw)
            s.report.calls += 1
            s.skip += 1
            try:
                return func(*args, **kw)
            finally:
                s.skip -= 1

    return HighLevelMode


def _high_support(profile: TargetLike, key: str) -> Any:
    support = getattr(profile, "support", None)
    return support(key if "." in key else f"aten::{key}.default") if support is not None else None


def _tagged(args: Any, tensor: type) -> bool:
    for a in args:
        if isinstance(a, tensor):
            if getattr(a, _DEVICE_TAG, False):
                return True
        elif isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, tensor) and getattr(b, _DEVICE_TAG, False):
                    return True
    return False


def _tag(out: Any, tensor: type) -> None:
    if isinstance(out, tensor):
        setattr(out, _DEVICE_TAG, True)
    elif isinstance(out, (tuple, list)):
        for o in out:
            if isinstance(o, tensor):
                setattr(o, _DEVICE_TAG, True)


def _slow_path(s: _State, func: Any, op: _OpDecision, args: Any, kw: dict[str, Any], odd: list[Any]) -> Any:
    """An op that needs recording, a dtype decision or numerics: time it and record it."""
    dtypes = tuple(sorted({_dtype_name(d) for d in odd}))
    for d in odd:  # dtype errors come first: the device would reject the call before running it
        ds = s.dtypes[d]
        if ds.status == "error":
            f = s.record("dtype", op, (_dtype_name(d),), "error", ds.note, None, 0.0)
            if s.strict:
                s.fail(f, f"with dtype {_dtype_name(d)} is not supported")
    t0 = time.perf_counter()
    out = _run(s, func, op, args, kw)
    seconds = time.perf_counter() - t0
    if op.kind is not None:
        f = s.record(op.kind, op, dtypes, op.behaviour, op.note, op.suggestion, seconds)
        if s.strict and op.kind in ("fallback", "unsupported"):
            s.fail(f, "has no kernel" if op.kind == "unsupported" else "has no device kernel (CPU fallback)")
    if op.slow_key is not None:
        _record_dtype_slow(s, op, args, seconds)
    for d in odd:
        ds = s.dtypes[d]
        if ds.status == "downcast":
            s.record("dtype", op, (_dtype_name(d),), f"downcast to {ds.to}", ds.note, None, seconds)
            out = _downcast(out, d, ds.to, op.mutable, args)
    return out


def _record_dtype_slow(s: _State, op: _OpDecision, args: Any, seconds: float) -> None:
    """A slow path that depends on the input dtypes (e.g. int64 sort runs on AICPU)."""
    dtypes = {_dtype_name(a.dtype) for a in args if isinstance(a, s.tensor)}
    note = s.profile.slow_path(op.slow_key, dtypes)  # type: ignore[attr-defined]
    if note:
        s.record("slow", op, tuple(sorted(dtypes)), "slow path (AICPU)", note, None, seconds)


def _run(s: _State, func: Any, op: _OpDecision, args: Any, kw: dict[str, Any]) -> Any:
    """Run the op, with the target's matmul arithmetic when numerics are on.

    The compute dtype is `compute_dtype` when given, else the dtype of low-precision inputs (autocast casts
    matmul inputs before they reach the dispatch mode, so fp16/bf16 inputs are the program's autocast choice);
    fp32 inputs without a compute dtype get the target's default HF32/TF32 treatment.
    """
    if not (s.numerics and op.numerics) or op.mutable:
        return func(*args, **kw)
    import torch

    first = next((a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()), None)
    if first is None:
        return func(*args, **kw)
    dtype = s.compute_dtype
    if dtype is None and first.dtype in (torch.float16, torch.bfloat16):
        dtype = first.dtype
    if dtype is not None and dtype != torch.float32:
        return run_autocast(func, args, kw, dtype, all_outputs=op.name.split(".")[0].endswith("_backward"))
    bits = s.policy.matmul_mantissa_bits if op.numerics == "matmul" else s.policy.conv_mantissa_bits
    if bits is not None and first.dtype == torch.float32:
        return run_reduced_fp32(func, args, kw, bits)
    return func(*args, **kw)


def _downcast(out: Any, dtype: Any, to: str | None, mutable: bool, args: Any) -> Any:
    """Leave results with the precision of the dtype the device silently computes in (dtype kept)."""
    import torch

    target = getattr(torch, to, None) if to else None
    if not isinstance(target, torch.dtype):
        return out

    def fix(t: Any) -> Any:
        if isinstance(t, torch.Tensor) and t.dtype == dtype:
            with torch.no_grad():
                return t.copy_(t.to(target)) if mutable else t.to(target).to(dtype)
        return t

    if isinstance(out, torch.Tensor):
        return fix(out)
    if isinstance(out, tuple):
        return tuple(fix(o) for o in out)
    return out


def _dtype_outputs(s: _State, op: _OpDecision, odd: list[Any], out: Any) -> Any:
    """An output dtype the target lacks (e.g. `view_as_complex` producing complex128)."""
    for d in odd:
        ds = s.dtypes[d]
        if ds.status == "error":
            f = s.record("dtype", op, (_dtype_name(d),), "error", ds.note, None, 0.0)
            if s.strict:
                s.fail(f, f"producing dtype {_dtype_name(d)} is not supported")
        elif ds.status == "downcast":
            s.record("dtype", op, (_dtype_name(d),), f"downcast to {ds.to}", ds.note, None, 0.0)
            out = _downcast(out, d, ds.to, op.mutable, ())
    return out


def resolve_target(target: str | TargetLike, torch_npu_version: str | None = None) -> TargetLike:
    """A target profile from its name (through `isthmus.ops.get_target`) or as given."""
    if not isinstance(target, str):
        return target
    from isthmus.ops import get_target

    profile: TargetLike = get_target(target, torch_npu_version)
    return profile


@contextlib.contextmanager
def emulation(
    target: str | TargetLike,
    *,
    strict: bool = False,
    numerics: bool = False,
    compute_dtype: torch.dtype | None = None,
    root: nn.Module | None = None,
    track_device: bool = False,
    torch_npu_version: str | None = None,
) -> Iterator[EmulationReport]:
    """Emulate `target` for the operators run inside the block; yields the report, filled as the block runs.

    - `strict`: raise `EmulationError` at the first operator or dtype the target cannot run.
    - `numerics`: emulate the target's arithmetic for matmul-class operators: results rounded to `compute_dtype`
      (default: the dtype of fp16/bf16 inputs, i.e. the program's autocast choice), HF32/TF32 input rounding for fp32
      where the target does that by default (isthmus.ops.numerics).
    - `root`: the model, to name module paths from it ("blocks.0.attn"); otherwise the first module called is
      the root.
    - `track_device`: for whole programs: only operators on "device" tensors are checked (inside module forward
      and backward, and on tensors produced there); host-side work such as data loading and module
      construction is not. Without it, every operator in the block counts as device work.

    An exception leaving the block is recorded as the report's last entry (with its source location), then
    re-raised.
    """
    profile = resolve_target(target, torch_npu_version)
    report = EmulationReport(
        target=profile.name, strict=strict, numerics=numerics, registry_source=str(profile.registry_source)
    )
    if numerics:
        report.numerics_note = describe_numerics(profile.device_type, compute_dtype)
    tracker = ModuleTracker(root)
    state = _State(
        profile,
        report,
        tracker,
        strict=strict,
        numerics=numerics,
        compute_dtype=compute_dtype,
        track_device=track_device,
    )
    mode = _EmulationMode.make(state)
    function_mode = _EmulationMode.make_function_mode(state)
    tracker.install()
    try:
        with mode, function_mode:
            yield report
    except BaseException as e:
        record_crash(report, e)
        raise
    finally:
        tracker.remove()
        report.finish()


def record_crash(report: EmulationReport, exc: BaseException) -> None:
    """Make `exc` the report's last entry, with the user source line where it happened."""
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return
    source, code = exception_location(exc)
    if not source and isinstance(exc, IsthmusError):
        last = report.findings[-1] if report.findings else None
        source, code = (last.source, last.code) if last else ("", "")
    report.crash = EmulateFinding(
        "crash", type(exc).__name__, (), "raised", None, "outside", source, code, 1, 0.0, str(exc)[:500], None
    )
