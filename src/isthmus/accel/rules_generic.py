"""Give the device-generic torch APIs (`torch.accelerator`, `torch.Event`/`torch.Stream`, `torch.get_device_module`)
the target's meaning when torch's current accelerator is not the target.

`isthmus scan --fix` rewrites CUDA-only code to these upstream APIs. On a host without an accelerator (the CPU
target) torch raises "Cannot access accelerator device when none is available" from `torch.accelerator.synchronize`
and the memory counters, and `torch.Event` has no CPU backend. While the redirection is active:
- the `torch.accelerator` functions that need a device call the target `Accelerator` (no-op synchronize, its
  memory counters, its device selection and streams);
- `torch.Event`/`torch.Stream` become host events and streams on the CPU target (`elapsed_time` is real
  milliseconds) and the target's own classes elsewhere;
- `torch.get_device_module()` for the CPU returns `torch.cpu` completed with the memory counters and host events.
`torch.accelerator.is_available()`, `current_accelerator()` and `device_count()` keep torch's real answers: the CPU
is not an accelerator to torch, and device-generic code already falls back to "cpu" on its own.

Nothing here is installed when torch's current accelerator *is* the target: the target has these features.
Calls made by torch or isthmus themselves reach the real functions.
"""

from __future__ import annotations

import contextlib
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch

from isthmus.accel.redirect import RedirectContext, called_from_library
from isthmus.accel.timing import HostEvent, HostStream


def memory_stats(ctx: RedirectContext) -> OrderedDict[str, Any]:
    acc = ctx.acc
    return OrderedDict(
        [
            ("allocated_bytes.all.current", acc.memory_allocated()),
            ("allocated_bytes.all.peak", acc.max_memory_allocated()),
            ("reserved_bytes.all.current", acc.memory_reserved()),
            ("reserved_bytes.all.peak", acc.max_memory_reserved()),
        ]
    )


def _capability(ctx: RedirectContext) -> dict[str, Any]:
    acc = ctx.acc
    dtypes = [torch.float32, torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool]
    dtypes += [torch.float16] if acc.supports_fp16() else []
    dtypes += [torch.bfloat16] if acc.supports_bf16() else []
    dtypes += [torch.float64] if acc.supports_fp64() else []
    return {"supported_dtypes": dtypes}


def accelerator_table(ctx: RedirectContext) -> dict[str, Callable[..., Any]]:
    """`torch.accelerator` name -> replacement calling the target accelerator."""
    acc = ctx.acc
    host_stream = HostStream()

    def set_index(device: Any) -> None:
        acc.set_device(ctx.device_index(device))

    def device_index(device: Any) -> contextlib.AbstractContextManager[Any]:
        if not ctx.indexed or device is None:
            return contextlib.nullcontext()
        return acc.module.device(ctx.device_index(device))  # type: ignore[no-any-return]

    def current_stream(device: Any = None) -> Any:
        return acc.current_stream() if ctx.indexed else host_stream

    def set_stream(stream: Any) -> None:
        if ctx.indexed:
            acc.module.set_stream(stream)

    return {
        "synchronize": lambda device=None: acc.synchronize(),
        "current_device_index": lambda: acc.current_device(),
        "current_device_idx": lambda: acc.current_device(),
        "set_device_index": set_index,
        "set_device_idx": set_index,
        "device_index": device_index,
        "current_stream": current_stream,
        "set_stream": set_stream,
        "memory_allocated": lambda device_index=None: acc.memory_allocated(),
        "max_memory_allocated": lambda device_index=None: acc.max_memory_allocated(),
        "memory_reserved": lambda device_index=None: acc.memory_reserved(),
        "max_memory_reserved": lambda device_index=None: acc.max_memory_reserved(),
        "memory_stats": lambda device_index=None: memory_stats(ctx),
        "reset_peak_memory_stats": lambda device_index=None: acc.reset_peak_memory_stats(),
        "reset_accumulated_memory_stats": lambda device_index=None: None,
        "empty_cache": lambda: acc.empty_cache(),
        "empty_host_cache": lambda: None,
        "get_memory_info": lambda device_index=None: acc.mem_get_info(),
        "get_device_capability": lambda device=None: _capability(ctx),
    }


def _event_class(ctx: RedirectContext, real: type[Any]) -> type[Any]:
    """`torch.Event` for the target: a host event on the CPU (isinstance holds while redirected)."""
    to = "host event (perf_counter timing)" if not ctx.indexed else f"{ctx.acc.name}: Event"

    class TargetEvent(HostEvent):
        def __new__(cls, device: Any = None, **kwargs: Any) -> Any:
            if called_from_library():
                return real(device, **kwargs)
            ctx.log.hit("torch.Event", to)
            if ctx.indexed:
                return ctx.acc.Event(enable_timing=bool(kwargs.get("enable_timing", False)))
            return super().__new__(cls)

        def __init__(
            self, device: Any = None, *, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False
        ) -> None:
            super().__init__(enable_timing=enable_timing)

    TargetEvent.__name__ = TargetEvent.__qualname__ = "Event"
    return TargetEvent


def _stream_class(ctx: RedirectContext, real: type[Any]) -> type[Any]:
    """`torch.Stream` for the target: a host stream on the CPU (in-order, so waits are immediate)."""
    to = "host stream (in order)" if not ctx.indexed else f"{ctx.acc.name}: Stream"

    class TargetStream(HostStream):
        def __new__(cls, device: Any = None, **kwargs: Any) -> Any:
            if called_from_library():
                return real(device, **kwargs)
            ctx.log.hit("torch.Stream", to)
            if ctx.indexed:
                return ctx.acc.Stream()
            return super().__new__(cls)

        def __init__(self, device: Any = None, *, priority: int = 0) -> None:
            super().__init__()

    TargetStream.__name__ = TargetStream.__qualname__ = "Stream"
    return TargetStream


class DeviceModule(types.ModuleType):
    """`torch.cpu` completed with what device-generic code expects of a device module (memory, events)."""

    def __init__(self, real: Any, extra: dict[str, Any]) -> None:
        super().__init__(real.__name__)
        object.__setattr__(self, "_real", real)
        vars(self).update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_real"), name)


def _get_device_module(
    ctx: RedirectContext, original: Callable[..., Any], event: type[Any], stream: type[Any]
) -> Callable[..., Any]:
    """`torch.get_device_module()` resolving to `torch.cpu`: the same module completed with the target's memory
    counters and synchronize, and host events and streams."""
    table = accelerator_table(ctx)
    table["mem_get_info"] = table["get_memory_info"]
    names = ["synchronize", "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"]
    names += ["reset_peak_memory_stats", "memory_stats", "empty_cache", "mem_get_info"]
    extra: dict[str, Any] = {
        n: ctx.counted(f"torch.get_device_module().{n}", f"{ctx.acc.name}: {n}", table[n]) for n in names
    }
    module = DeviceModule(torch.cpu, {**extra, "Event": event, "Stream": stream})

    def get_device_module(device: Any = None) -> Any:
        real = original(device)
        if real is not torch.cpu:
            return real
        ctx.log.hit("torch.get_device_module()", "torch.cpu + memory counters and host events")
        return module

    return get_device_module


def install(ctx: RedirectContext) -> None:
    """Patch the device-generic APIs when torch's current accelerator is not the target."""
    current = torch.accelerator.current_accelerator() if hasattr(torch, "accelerator") else None
    if current is not None and current.type == ctx.type:
        return  # torch.accelerator already addresses the target: it has every one of these features
    p = ctx.patcher
    if hasattr(torch, "accelerator"):
        for name, fn in accelerator_table(ctx).items():
            original = getattr(torch.accelerator, name, None)
            if original is not None:
                counted = ctx.counted(f"torch.accelerator.{name}", f"{ctx.acc.name}: {name}", fn)
                p.set(torch.accelerator, name, ctx.wrap_library_aware(original, counted))
    if not (hasattr(torch, "Event") and hasattr(torch, "Stream")):
        return  # torch older than 2.5: no device-generic events and streams
    event, stream = _event_class(ctx, torch.Event), _stream_class(ctx, torch.Stream)
    p.set(torch, "Event", event)
    p.set(torch, "Stream", stream)
    if not ctx.indexed and hasattr(torch, "get_device_module"):
        p.set(
            torch,
            "get_device_module",
            ctx.wrap_library_aware(
                torch.get_device_module, _get_device_module(ctx, torch.get_device_module, event, stream)
            ),
        )
