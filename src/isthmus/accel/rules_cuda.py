"""Redirect the `torch.cuda` namespace (and `torch.cuda.amp`, `torch.cuda.nvtx`) to the target accelerator.

Every public function of `torch.cuda` is replaced while the redirection is active:
- the mapped ones (device, memory, RNG, streams/events, ranges, amp) call the target `Accelerator`;
- on a device target, any other name the target's module also has (`torch.npu.X` for `torch.cuda.X`) forwards
  there, because torch_npu mirrors the torch.cuda API;
- the rest are CUDA-only: they are counted as "unmapped" and passed through unchanged.
Classes are replaced by stand-ins that derive from the real class (see `_class_proxy`): calling one builds the
target's object, and `isinstance`/`issubclass`/`except` keep working. Exception classes (`OutOfMemoryError`,
`AcceleratorError`, ...) exist in every torch build and are left as they are.
Calls made by torch or isthmus themselves reach the real functions (see `RedirectContext.wrap_library_aware`).

`torch.cuda.is_available()` answers True from user code when the target is usable: the program's CUDA path is the
code being ported, and every CUDA call on it is redirected; answering False would silently run a different path.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import warnings
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import torch

from isthmus.accel.redirect import RedirectContext, called_from_library


def _properties(ctx: RedirectContext, device: Any = None) -> SimpleNamespace:
    """`torch.cuda.get_device_properties()` for the target, with the fields CUDA code reads.

    `major`/`minor` are a CUDA compute capability: the target's own where its properties report one, else 0 (the
    target is no CUDA device, so `props.major >= 8` takes the path for hardware without Ampere features).
    `multi_processor_count` is the target's where reported; on the CPU it is the number of logical cores.
    `total_memory` is the target's (on the CPU, the host's physical memory).
    """
    acc = ctx.acc
    real = None
    if ctx.indexed and hasattr(acc.module, "get_device_properties"):
        real = acc.module.get_device_properties(ctx.device_index(device) if device is not None else None)
    _free, total = acc.mem_get_info()
    units = getattr(real, "multi_processor_count", None) or (os.cpu_count() or 1 if not ctx.indexed else 1)
    return SimpleNamespace(
        name=acc.device_name(),
        type=acc.device_type,
        total_memory=total,
        major=getattr(real, "major", 0),
        minor=getattr(real, "minor", 0),
        multi_processor_count=units,
    )


def _device_selection(ctx: RedirectContext) -> tuple[Callable[[], int], Callable[[], int], Callable[[Any], None]]:
    """device_count, current_device and set_device for the target.

    On the CPU every local process has "its" device: `device_count()` answers the number of local processes
    (torchrun's LOCAL_WORLD_SIZE, else 1), so per-process arithmetic such as `device_count() // local_world_size`
    gives each process one device, and `current_device()` answers what the program last selected.
    """
    acc = ctx.acc
    if ctx.indexed:
        return acc.device_count, acc.current_device, lambda device: acc.set_device(ctx.device_index(device))
    local = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1))
    selected = [0]

    def set_device(device: Any) -> None:
        selected[0] = ctx.device_index(device)

    return (lambda: local), (lambda: selected[0]), set_device


def _with_priority(stream: Any) -> Any:
    """Streams on targets without priorities read as CUDA's default priority (0), as programs may print it."""
    if not hasattr(stream, "priority"):
        with contextlib.suppress(AttributeError, TypeError):
            stream.priority = 0
    return stream


def _mapped(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """torch.cuda name -> replacement calling the target accelerator."""
    acc = ctx.acc
    available = acc.is_available()

    def set_rng_state_all(states: Any) -> None:
        for i, state in enumerate(states):
            acc.set_rng_state(state, None if not ctx.indexed else i)

    def device_context(device: Any) -> contextlib.AbstractContextManager[Any]:
        return acc.module.device(device) if ctx.indexed else contextlib.nullcontext()

    count, current, set_device = _device_selection(ctx)
    return {
        "is_available": lambda: available,
        "device_count": count,
        "current_device": current,
        "set_device": set_device,
        "device": device_context,
        "synchronize": lambda device=None: acc.synchronize(),
        "init": lambda: None,
        "is_initialized": lambda: True,
        "get_device_name": lambda device=None: acc.device_name(),
        "get_device_properties": lambda device=None: _properties(ctx, device),
        "is_bf16_supported": lambda *a, **k: acc.supports_bf16(),
        "memory_allocated": lambda device=None: acc.memory_allocated(),
        "max_memory_allocated": lambda device=None: acc.max_memory_allocated(),
        "memory_reserved": lambda device=None: acc.memory_reserved(),
        "max_memory_reserved": lambda device=None: acc.max_memory_reserved(),
        "memory_cached": lambda device=None: acc.memory_reserved(),
        "max_memory_cached": lambda device=None: acc.max_memory_reserved(),
        "reset_peak_memory_stats": lambda device=None: acc.reset_peak_memory_stats(),
        "reset_max_memory_allocated": lambda device=None: acc.reset_peak_memory_stats(),
        "empty_cache": lambda: acc.empty_cache(),
        "mem_get_info": lambda device=None: acc.mem_get_info(),
        "manual_seed": lambda seed: acc.seed_device(int(seed)),
        "manual_seed_all": lambda seed: acc.seed_device(int(seed)),
        "get_rng_state": lambda device="cuda": acc.get_rng_state(),
        "set_rng_state": lambda new_state, device="cuda": acc.set_rng_state(new_state),
        "get_rng_state_all": lambda: [acc.get_rng_state()],
        "set_rng_state_all": set_rng_state_all,
        "Stream": lambda *a, **k: _with_priority(acc.Stream()),
        "Event": lambda enable_timing=False, blocking=False, interprocess=False: acc.Event(enable_timing),
        "current_stream": lambda device=None: acc.current_stream(),
        "default_stream": lambda device=None: acc.current_stream(),
        "stream": lambda stream: acc.stream(stream),
        "set_stream": lambda stream: None if not ctx.indexed else acc.module.set_stream(stream),
    }


def _fallbacks(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """Answers for torch.cuda queries the target's module lacks (on the CPU: all of them): conservative values
    that describe the target (no CUDA architecture, no peer access, nothing captured) and no-op housekeeping."""
    from isthmus.accel.rules_generic import memory_stats

    def capability(device: Any = None) -> tuple[int, int]:
        props = _properties(ctx, device)
        return (props.major, props.minor)

    def summary(device: Any = None, abbreviated: bool = False) -> str:
        return "\n".join(f"{k}: {v}" for k, v in memory_stats(ctx).items())

    return {
        "get_device_capability": capability,
        "get_arch_list": lambda: [],
        "get_gencode_flags": lambda: "",
        "memory_stats": lambda device=None: memory_stats(ctx),
        "memory_summary": summary,
        "memory_snapshot": lambda *a, **k: [],
        "reset_accumulated_memory_stats": lambda device=None: None,
        "set_per_process_memory_fraction": lambda fraction, device=None: None,
        "ipc_collect": lambda: None,
        "can_device_access_peer": lambda device, peer_device: False,
        "is_current_stream_capturing": lambda: False,
        "get_sync_debug_mode": lambda: 0,
        "set_sync_debug_mode": lambda debug_mode: None,
        "utilization": lambda device=None: 0,
        "is_tf32_supported": lambda: False,
        "get_allocator_backend": lambda: "native",
        "seed": lambda: None,
        "seed_all": lambda: None,
        "initial_seed": lambda: torch.initial_seed(),
    }


class EagerGraph:
    """`torch.cuda.CUDAGraph` on a target without graph capture: the captured block runs eagerly, once, when it
    is "captured"; a replay cannot re-run Python code, so it raises instead of silently leaving stale outputs."""

    def __init__(self, target: str, *args: Any, **kwargs: Any) -> None:
        self.target = target

    def capture_begin(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to capture: the work runs as it is issued."""

    def capture_end(self) -> None:
        """Nothing was captured."""

    def pool(self) -> tuple[int, int]:
        return (0, 0)

    def reset(self) -> None:
        """Nothing to free."""

    def replay(self) -> None:
        raise RuntimeError(
            f"torch.cuda.CUDAGraph.replay() has no eager equivalent on {self.target}: the captured block ran once, "
            "eagerly, at capture (run the model directly instead of replaying a graph, or use --target cuda)"
        )


def _graphs(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    if ctx.acc.supports_graphs():
        return {
            "CUDAGraph": lambda *a, **k: ctx.acc.graph_class()(*a, **k),
            "graph": lambda g, *a, **k: ctx.acc.graph(g, *a, **k),
        }
    return {
        "CUDAGraph": lambda *a, **k: EagerGraph(ctx.type),
        "graph": lambda g, *a, **k: contextlib.nullcontext(),
        "make_graphed_callables": lambda callables, *a, **k: callables,
    }


def _nvtx(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """NVTX ranges become the target's ranges (mstx on Ascend, record_function elsewhere)."""
    stack: list[contextlib.AbstractContextManager[None]] = []

    def push(msg: str, *args: Any) -> int:
        cm = ctx.acc.range(msg)
        cm.__enter__()
        stack.append(cm)
        return len(stack) - 1

    def pop() -> int:
        if stack:
            stack.pop().__exit__(None, None, None)
        return len(stack)

    @contextlib.contextmanager
    def range_(msg: str, *args: Any, **kwargs: Any) -> Iterator[None]:
        with ctx.acc.range(msg):
            yield

    started: dict[int, contextlib.AbstractContextManager[None]] = {}

    def start(msg: str, *args: Any) -> int:
        cm = ctx.acc.range(msg)
        cm.__enter__()
        started[id(cm)] = cm
        return id(cm)

    def end(range_id: int) -> None:
        cm = started.pop(range_id, None)
        if cm is not None:
            cm.__exit__(None, None, None)

    return {
        "range_push": push,
        "range_pop": pop,
        "range": range_,
        "range_start": start,
        "range_end": end,
        "mark": lambda msg: None,
    }


def _amp(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """torch.cuda.amp -> torch.amp on the target (same defaults as torch.cuda.amp: fp16 autocast)."""
    t = ctx.type

    def autocast(enabled: bool = True, dtype: torch.dtype = torch.float16, cache_enabled: bool = True) -> Any:
        return torch.amp.autocast_mode.autocast(t, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    def grad_scaler(*args: Any, **kwargs: Any) -> Any:
        return torch.amp.grad_scaler.GradScaler(t, *args, **kwargs)

    return {
        "autocast": autocast,
        "GradScaler": grad_scaler,
        "custom_fwd": lambda fwd=None, **k: torch.amp.custom_fwd(fwd, device_type=t, **k),
        "custom_bwd": lambda bwd=None: torch.amp.custom_bwd(bwd, device_type=t),
    }


def _public_callables(module: Any) -> dict[str, Any]:
    """The public functions and classes `module` defines, less those that must keep their identity."""
    out = {}
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value) or not callable(value):
            continue
        if name.endswith(("Tensor", "Storage")):
            continue  # legacy tensor types are used in isinstance checks: leave them alone
        if isinstance(value, type) and issubclass(value, BaseException):
            continue  # `except torch.cuda.OutOfMemoryError:` needs the class itself; it exists on every build
        if not str(getattr(value, "__module__", "")).startswith("torch"):
            continue  # re-exported helpers (typing.cast, functools.lru_cache, collections.abc.Callable)
        out[name] = value
    return out


def _class_proxy(real: type[Any], call: Callable[..., Any], extra: dict[str, Any] | None = None) -> type[Any]:
    """A stand-in for the torch.cuda class `real` while redirected.

    Constructing it from user code returns `call(...)` (the target's object, or the real one for unmapped names);
    torch and isthmus get the real class. It derives from `real`, so class attributes, `issubclass(proxy, real)`
    and user subclasses (which construct the real class, as without redirection) behave as before; `isinstance`
    accepts instances of `real` and of the classes of the objects it returned.
    """
    made: set[type[Any]] = set()

    class Meta(type(real)):  # type: ignore[misc]
        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            if cls is not proxy:
                return super().__call__(*args, **kwargs)  # a user subclass of the stand-in
            if called_from_library():
                return real(*args, **kwargs)
            obj = call(*args, **kwargs)
            if obj is not None:
                made.add(type(obj))
            return obj

        def __instancecheck__(cls, obj: Any) -> bool:
            if cls is proxy and (isinstance(obj, real) or type(obj) in made):
                return True
            return bool(super().__instancecheck__(obj))

        def __subclasscheck__(cls, sub: Any) -> bool:
            if cls is proxy and isinstance(sub, type) and (issubclass(sub, real) or sub in made):
                return True
            return bool(super().__subclasscheck__(sub))

    namespace = {"__module__": real.__module__, "__qualname__": real.__qualname__, "__doc__": real.__doc__}
    with warnings.catch_warnings():  # deriving from a deprecated class (torch.cuda.amp.autocast) warns
        warnings.simplefilter("ignore", FutureWarning)
        proxy: type[Any] = Meta(real.__name__, (real,), {**namespace, "__wrapped__": real, **(extra or {})})
    return proxy


def _install_namespace(
    ctx: RedirectContext,
    module: Any,
    prefix: str,
    table: dict[str, Callable[..., Any]],
    forward: bool,
    fallbacks: dict[str, Callable[..., Any]] | None = None,
) -> None:
    """Replace every public callable of `module`: `table` first, then the target module's namesake (`forward`),
    then `fallbacks`; the rest pass through and are counted as unmapped."""
    target_module = ctx.acc.module if forward and ctx.indexed else None
    fallbacks = fallbacks or {}
    for name, original in _public_callables(module).items():
        qual = f"{prefix}.{name}"
        if name in table:
            fn = ctx.counted(qual, f"{ctx.acc.name}: {name}", table[name])
        elif target_module is not None and hasattr(target_module, name):
            fn = ctx.counted(qual, f"torch.{ctx.type}.{name}", getattr(target_module, name))
        elif name in fallbacks:
            fn = ctx.counted(
                qual, f"{ctx.acc.name}: {name} (no CUDA counterpart: conservative answer)", fallbacks[name]
            )
        else:
            fn = _missed(ctx, qual, original)
        stand_in = (
            _class_proxy(original, fn, _CLASS_EXTRAS.get(name))
            if isinstance(original, type)
            else ctx.wrap_library_aware(original, fn)
        )
        ctx.patcher.set(module, name, stand_in)


# class-level members of torch.cuda classes that reach the CUDA driver when called on the class itself
_CLASS_EXTRAS: dict[str, dict[str, Any]] = {"Stream": {"priority_range": staticmethod(lambda: (0, -1))}}


def _private(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """Private torch.cuda helpers that frameworks call directly (`torch.cuda._lazy_init()` before touching a device,
    `_is_compiled()` next to `is_available()`, `_get_device_index("cuda:1")`)."""
    return {
        "_lazy_init": lambda: None,
        "_is_compiled": lambda: True,
        "_get_device_index": lambda device, optional=False, allow_cpu=False: ctx.device_index(device),
    }


# torch._C entry points behind the public torch.cuda wrappers (present on CUDA builds only)
_C_ENTRY_POINTS = {
    "_cuda_getDeviceCount": "device_count",
    "_cuda_getDevice": "current_device",
    "_cuda_setDevice": "set_device",
    "_cuda_synchronize": "synchronize",
    "_cuda_emptyCache": "empty_cache",
    "_cuda_init": "init",
    "_cuda_isInBadFork": None,
}


def _install_private(ctx: RedirectContext, table: dict[str, Callable[..., Any]]) -> None:
    for name, fn in _private(ctx).items():
        original = getattr(torch.cuda, name, None)
        if original is not None:
            counted = ctx.counted(f"torch.cuda.{name}", f"{ctx.acc.name}: {name.lstrip('_')}", fn)
            ctx.patcher.set(torch.cuda, name, ctx.wrap_library_aware(original, counted))
    for name, public in _C_ENTRY_POINTS.items():
        original = getattr(torch._C, name, None)
        if original is None:
            continue
        fn = table[public] if public is not None else (lambda: False)
        counted = ctx.counted(f"torch._C.{name}", f"{ctx.acc.name}: {public or 'not in a bad fork'}", fn)
        ctx.patcher.set(torch._C, name, ctx.wrap_library_aware(original, counted))


def _missed(ctx: RedirectContext, what: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        ctx.log.miss(what)
        return original(*args, **kwargs)

    return call


def install(ctx: RedirectContext) -> None:
    """Patch torch.cuda, torch.cuda.amp and torch.cuda.nvtx for the duration of the redirection."""
    table = {**_mapped(ctx), **_graphs(ctx)}
    _install_namespace(ctx, torch.cuda, "torch.cuda", table, forward=True, fallbacks=_fallbacks(ctx))
    _install_private(ctx, table)
    _install_namespace(ctx, torch.cuda.amp, "torch.cuda.amp", _amp(ctx), forward=False)
    _install_namespace(ctx, torch.cuda.nvtx, "torch.cuda.nvtx", _nvtx(ctx), forward=False)
