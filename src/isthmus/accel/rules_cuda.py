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


def _mapped(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """torch.cuda name -> replacement calling the target accelerator."""
    acc = ctx.acc
    available = acc.is_available()

    def set_rng_state_all(states: Any) -> None:
        for i, state in enumerate(states):
            acc.set_rng_state(state, None if not ctx.indexed else i)

    def device_context(device: Any) -> contextlib.AbstractContextManager[Any]:
        return acc.module.device(device) if ctx.indexed else contextlib.nullcontext()

    return {
        "is_available": lambda: available,
        "device_count": lambda: acc.device_count(),
        "current_device": lambda: acc.current_device(),
        "set_device": lambda device: acc.set_device(ctx.device_index(device)),
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
        "Stream": lambda *a, **k: acc.Stream(),
        "Event": lambda enable_timing=False, blocking=False, interprocess=False: acc.Event(enable_timing),
        "current_stream": lambda device=None: acc.current_stream(),
        "default_stream": lambda device=None: acc.current_stream(),
        "stream": lambda stream: acc.stream(stream),
        "set_stream": lambda stream: None if not ctx.indexed else acc.module.set_stream(stream),
    }


def _graphs(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    if not ctx.acc.supports_graphs():
        return {}
    return {
        "CUDAGraph": lambda *a, **k: ctx.acc.graph_class()(*a, **k),
        "graph": lambda g, *a, **k: ctx.acc.graph(g, *a, **k),
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

    return {"range_push": push, "range_pop": pop, "range": range_, "mark": lambda msg: None}


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


def _class_proxy(real: type[Any], call: Callable[..., Any]) -> type[Any]:
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
        proxy: type[Any] = Meta(real.__name__, (real,), {**namespace, "__wrapped__": real})
    return proxy


def _install_namespace(
    ctx: RedirectContext, module: Any, prefix: str, table: dict[str, Callable[..., Any]], forward: bool
) -> None:
    target_module = ctx.acc.module if forward and ctx.indexed else None
    for name, original in _public_callables(module).items():
        qual = f"{prefix}.{name}"
        if name in table:
            fn = ctx.counted(qual, f"{ctx.acc.name}: {name}", table[name])
        elif target_module is not None and hasattr(target_module, name):
            fn = ctx.counted(qual, f"torch.{ctx.type}.{name}", getattr(target_module, name))
        else:
            fn = _missed(ctx, qual, original)
        stand_in = _class_proxy(original, fn) if isinstance(original, type) else ctx.wrap_library_aware(original, fn)
        ctx.patcher.set(module, name, stand_in)


def _missed(ctx: RedirectContext, what: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        ctx.log.miss(what)
        return original(*args, **kwargs)

    return call


def install(ctx: RedirectContext) -> None:
    """Patch torch.cuda, torch.cuda.amp and torch.cuda.nvtx for the duration of the redirection."""
    _install_namespace(ctx, torch.cuda, "torch.cuda", {**_mapped(ctx), **_graphs(ctx)}, forward=True)
    _install_namespace(ctx, torch.cuda.amp, "torch.cuda.amp", _amp(ctx), forward=False)
    _install_namespace(ctx, torch.cuda.nvtx, "torch.cuda.nvtx", _nvtx(ctx), forward=False)
