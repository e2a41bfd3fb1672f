"""Rewrite CUDA device arguments, and only device arguments, to the target device.

Covered: `Tensor.cuda()`, `Module.cuda()`, the device (first positional or `device=`) of `Tensor.to`/`Module.to`,
`device=` of the tensor factories and `Tensor.new_*`, `torch.set_default_device`, `with torch.device("cuda"):`,
`torch.load(map_location=...)` (including checkpoints saved on CUDA loaded without one) and `Tensor.pin_memory()` on
the CPU target. A string
anywhere else (a path, a label, a dict key) is never touched, and `torch.device` itself stays the real type:
a `torch.device("cuda")` object is rewritten where it is consumed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from isthmus.accel.redirect import RedirectContext, called_from_library, is_cuda_or_ordinal, is_ordinal

# torch functions whose `device=` keyword places a new tensor
FACTORIES = (
    "zeros",
    "ones",
    "empty",
    "full",
    "rand",
    "randn",
    "randint",
    "randperm",
    "arange",
    "range",
    "linspace",
    "logspace",
    "eye",
    "tensor",
    "as_tensor",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "empty_strided",
    "scalar_tensor",
    "tril_indices",
    "triu_indices",
    "asarray",
    "sparse_coo_tensor",
    "frombuffer",
    "normal",
    "bartlett_window",
    "hann_window",
    "hamming_window",
    "blackman_window",
    "kaiser_window",
)
TENSOR_NEW = ("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor", "new_empty_strided")


def _kw_device(ctx: RedirectContext, what: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `original` so that a CUDA `device=` keyword becomes the target device."""
    to = f"device={ctx.type}"

    def call(*args: Any, **kwargs: Any) -> Any:
        d = kwargs.get("device")
        if d is not None and is_cuda_or_ordinal(d):
            kwargs["device"] = ctx.map_device(d)
            ctx.log.hit(what, to)
        return original(*args, **kwargs)

    call.__name__ = getattr(original, "__name__", "call")
    call.__doc__ = getattr(original, "__doc__", None)
    return call


def _to(ctx: RedirectContext, owner: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """`.to(...)`: rewrite the device when it is the first positional argument or `device=`."""
    what, to = f"{owner}.to(cuda)", f"{owner}.to({ctx.type})"

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and is_cuda_or_ordinal(args[0]):
            args = (ctx.map_device(args[0]), *args[1:])
            ctx.log.hit(what, to)
        elif "device" in kwargs and is_cuda_or_ordinal(kwargs["device"]):
            kwargs["device"] = ctx.map_device(kwargs["device"])
            ctx.log.hit(what, to)
        return original(self, *args, **kwargs)

    return call


def _tensor_cuda(ctx: RedirectContext, tensor_to: Callable[..., Any]) -> Callable[..., Any]:
    to = f"Tensor.to({ctx.type})"

    def cuda(
        self: torch.Tensor,
        device: Any = None,
        non_blocking: bool = False,
        memory_format: torch.memory_format = torch.preserve_format,
    ) -> torch.Tensor:
        ctx.log.hit("Tensor.cuda()", to)
        target = ctx.map_device(device) if device is not None and ctx.indexed else ctx.type
        return tensor_to(self, target, non_blocking=non_blocking, memory_format=memory_format)  # type: ignore[no-any-return]

    return cuda


def _module_cuda(ctx: RedirectContext, module_to: Callable[..., Any]) -> Callable[..., Any]:
    to = f"Module.to({ctx.type})"

    def cuda(self: torch.nn.Module, device: Any = None) -> torch.nn.Module:
        ctx.log.hit("Module.cuda()", to)
        target = ctx.map_device(device) if device is not None and ctx.indexed else ctx.type
        return module_to(self, target)  # type: ignore[no-any-return]

    return cuda


def _pin_memory(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def pin_memory(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        ctx.log.hit("Tensor.pin_memory()", "returns the tensor (no device to pin for)", "no-op")
        return self

    return pin_memory


def _load(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    """torch.load: map CUDA locations (explicit or stored in the checkpoint) to the target."""
    from torch.serialization import default_restore_location

    def restore(storage: Any, location: str) -> Any:
        if location.startswith("cuda"):
            ctx.log.hit("torch.load(CUDA storage)", f"map_location={ctx.type}")
            return default_restore_location(storage, str(ctx.map_device(location)))  # type: ignore[no-untyped-call]
        return default_restore_location(storage, location)  # type: ignore[no-untyped-call]

    def load(f: Any, map_location: Any = None, *args: Any, **kwargs: Any) -> Any:
        if map_location is None:
            map_location = restore
        elif isinstance(map_location, (str, torch.device, int)) and is_cuda_or_ordinal(map_location):
            ctx.log.hit("torch.load(map_location=cuda)", f"map_location={ctx.type}")
            map_location = ctx.map_device(map_location)
        elif isinstance(map_location, dict):
            mapped = {k: (ctx.map_device(v) if is_cuda_or_ordinal(v) else v) for k, v in map_location.items()}
            if mapped != map_location:
                ctx.log.hit("torch.load(map_location={...: cuda})", f"map_location={ctx.type}")
            map_location = mapped
        return original(f, map_location, *args, **kwargs)

    return load


def _set_default_device(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def set_default_device(device: Any) -> None:
        if device is not None and is_cuda_or_ordinal(device):
            ctx.log.hit("torch.set_default_device(cuda)", f"set_default_device({ctx.type})")
            device = ctx.map_device(device)
        original(device)

    return set_default_device


def _device_context_init(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    """`torch.utils._device.DeviceContext.__init__`: the mode that `with torch.device("cuda"):` pushes (torch.device's
    `__enter__` builds one) gives every factory called inside, the ones isthmus does not wrap included
    (`torch.empty_permuted`, `torch.fft.fftfreq`), a default device: make that the target."""
    to = f"with torch.device({ctx.type})"

    def __init__(self: Any, device: Any) -> None:
        if is_cuda_or_ordinal(device):
            ctx.log.hit("with torch.device(cuda)", to)
            device = ctx.map_device(device)
        original(self, device)

    return __init__


def _device_type(ctx: RedirectContext, real: type[Any]) -> type[Any]:
    """`torch.device` that maps a bare ordinal (`torch.device(rank)`, which torch reads as "accelerator device N")
    to the target; every other form builds the real device unchanged (`torch.device("cuda")` is rewritten where it
    is used). Instances are always real `torch.device` objects, and `isinstance(x, torch.device)` holds."""
    to = f"torch.device({ctx.type})"

    class Meta(type):
        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            if len(args) == 1 and not kwargs and is_ordinal(args[0]) and not called_from_library():
                ctx.log.hit("torch.device(int)", to)
                mapped = ctx.map_device(args[0])
                return mapped if isinstance(mapped, real) else real(mapped)
            return real(*args, **kwargs)

        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, real)

        def __subclasscheck__(cls, sub: Any) -> bool:
            return isinstance(sub, type) and issubclass(sub, real)

    return Meta("device", (), {"__module__": "torch", "__doc__": real.__doc__, "__wrapped__": real})


def _default_device_mode(ctx: RedirectContext) -> None:
    """torch's default-device mode (`with torch.device(...):`, `torch.set_default_device`), in the private module
    `torch.utils._device`, the only hook on it:
    - it recognises the factories it places by identity, in a set it builds once, on first use. Built while the
      factories are wrapped, the set would hold the wrappers, not the real factories they call, and the default
      device would be silently ignored (a model built under `torch.device("meta")` lands on the CPU): build it from
      the real functions first;
    - `with torch.device("cuda"):` pushes a `DeviceContext` (torch.device's `__enter__` builds one): its device
      becomes the target's."""
    try:
        from torch.utils._device import DeviceContext, _device_constructors
    except ImportError:  # a torch without these helpers: `with torch.device(...)` is not a default-device mode there
        return
    _device_constructors()
    ctx.patcher.set(DeviceContext, "__init__", _device_context_init(ctx, DeviceContext.__init__))


def install(ctx: RedirectContext) -> None:
    """Patch the device-taking entry points for the duration of the redirection."""
    p = ctx.patcher
    _default_device_mode(ctx)  # first: before the factories are wrapped
    tensor_to, module_to = torch.Tensor.to, torch.nn.Module.to
    p.set(torch.Tensor, "to", _to(ctx, "Tensor", tensor_to))
    p.set(torch.nn.Module, "to", _to(ctx, "Module", module_to))
    p.set(torch.Tensor, "cuda", _tensor_cuda(ctx, tensor_to))
    p.set(torch.nn.Module, "cuda", _module_cuda(ctx, module_to))
    if not ctx.acc.supports_pin_memory():
        p.set(torch.Tensor, "pin_memory", _pin_memory(ctx, torch.Tensor.pin_memory))
    for name in FACTORIES:
        if hasattr(torch, name):
            p.set(torch, name, _kw_device(ctx, f"torch.{name}(device=cuda)", getattr(torch, name)))
    for name in TENSOR_NEW:
        p.set(torch.Tensor, name, _kw_device(ctx, f"Tensor.{name}(device=cuda)", getattr(torch.Tensor, name)))
    p.set(torch, "load", _load(ctx, torch.load))
    p.set(torch, "set_default_device", _set_default_device(ctx, torch.set_default_device))
    p.set(torch, "device", _device_type(ctx, torch.device))
