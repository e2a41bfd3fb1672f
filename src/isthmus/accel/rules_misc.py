"""Redirect the device-generic APIs that name CUDA in an argument, collectives and backend flags.

- `torch.autocast("cuda")`, `torch.amp.autocast("cuda")`, `torch.amp.GradScaler("cuda")`: subclasses of the real
  classes (so `isinstance` still holds) that swap the device type.
- `init_process_group("nccl")` and `new_group(backend="nccl")` use the target's backend (gloo/hccl/xccl); on the
  CPU target, DDP's `device_ids`/`output_device` and `barrier(device_ids=...)` are dropped (they are GPU-only).
- `FullyShardedDataParallel(device_id=...)`: a CUDA device or a bare ordinal becomes the target's device (FSDP
  runs on the CPU with gloo when it is given the CPU device; given an ordinal it asks for an accelerator).
  On the CPU target, state-dict configs with `offload_to_cpu=True` are set without it: the tensors are already in
  host memory, and the "offloaded" copy FSDP makes of a CPU tensor is the storage it frees when it reshards.
  Patched when the program imports FSDP, so a program that never does pays nothing for it.
- `DeviceMesh("cuda", ...)` and so `init_device_mesh("cuda", ...)` (FSDP2, tensor parallelism): a mesh of the
  target's devices (torch would otherwise call the real `torch.cuda.set_device` for it).
- `torch.backends.cuda.matmul.*` and `torch.backends.cudnn.*` settings: mapped where the target has the same
  switch (TF32 -> HF32 on Ascend), otherwise recorded as no-ops and remembered, so the program reads back what it
  wrote. The SDPA backend switches of `torch.backends.cuda` are recorded as no-ops off CUDA.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import os
import sys
import types
from collections.abc import Callable
from typing import Any

import torch

from isthmus.accel.redirect import RedirectContext, is_cuda_device, is_cuda_or_ordinal

SDP_SWITCHES = (
    "enable_flash_sdp",
    "enable_mem_efficient_sdp",
    "enable_math_sdp",
    "enable_cudnn_sdp",
    "sdp_kernel",
    "preferred_linalg_library",
    "preferred_blas_library",
    "preferred_rocm_fa_library",
)


def _autocast_class(ctx: RedirectContext) -> type[Any]:
    base: type[Any] = torch.amp.autocast_mode.autocast
    t = ctx.type

    class TargetAutocast(base):  # type: ignore[misc]
        """torch.autocast whose CUDA device type is swapped for the target's."""

        def __init__(
            self,
            device_type: str,
            dtype: torch.dtype | None = None,
            enabled: bool = True,
            cache_enabled: bool | None = None,
        ) -> None:
            if device_type == "cuda":
                ctx.log.hit("torch.autocast('cuda')", f"torch.autocast('{t}')")
                device_type = t
                dtype = dtype or torch.float16  # CUDA's autocast default, kept on the target
            super().__init__(device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    return TargetAutocast


def _grad_scaler_class(ctx: RedirectContext) -> type[Any]:
    base: type[Any] = torch.amp.grad_scaler.GradScaler
    t = ctx.type

    class TargetGradScaler(base):  # type: ignore[misc]
        """torch.amp.GradScaler whose CUDA device is swapped for the target's."""

        def __init__(self, device: str = "cuda", *args: Any, **kwargs: Any) -> None:
            if device == "cuda":
                ctx.log.hit("torch.amp.GradScaler('cuda')", f"GradScaler('{t}')")
                device = t
            super().__init__(device, *args, **kwargs)

    return TargetGradScaler


def _map_backend(ctx: RedirectContext, backend: Any) -> Any:
    """'nccl' -> target backend; 'cpu:gloo,cuda:nccl' -> the cuda part retargeted (or dropped on the CPU)."""
    if not isinstance(backend, str) or "nccl" not in backend:
        return backend
    target = ctx.acc.dist_backend
    if ":" not in backend:
        ctx.log.hit(f"init_process_group(backend='{backend}')", f"backend='{target}'")
        return target
    parts = dict(p.split(":", 1) for p in backend.split(","))
    cuda = parts.pop("cuda", None)
    if cuda is not None and ctx.indexed:
        parts[ctx.type] = target
    elif "cpu" not in parts:
        parts["cpu"] = target
    mapped = ",".join(f"{k}:{v}" for k, v in parts.items())
    mapped = mapped.split(":", 1)[1] if len(parts) == 1 else mapped
    ctx.log.hit(f"init_process_group(backend='{backend}')", f"backend='{mapped}'")
    return mapped


def _init_process_group(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def init_process_group(backend: Any = None, *args: Any, **kwargs: Any) -> Any:
        backend = _map_backend(ctx, backend)
        if "device_id" in kwargs and is_cuda_device(kwargs["device_id"]):
            ctx.log.hit("init_process_group(device_id=cuda)", "device_id dropped" if not ctx.indexed else ctx.type)
            kwargs["device_id"] = ctx.map_device(kwargs["device_id"]) if ctx.indexed else None
        return original(backend, *args, **kwargs)

    return init_process_group


def _new_group(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def new_group(*args: Any, **kwargs: Any) -> Any:
        if "backend" in kwargs:
            kwargs["backend"] = _map_backend(ctx, kwargs["backend"])
        return original(*args, **kwargs)

    return new_group


def _drop_device_ids(
    ctx: RedirectContext, what: str, original: Callable[..., Any], names: tuple[str, ...]
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if any(kwargs.get(n) is not None for n in names):
            ctx.log.hit(what, "dropped (CPU target)", "no-op")
            for n in names:
                kwargs.pop(n, None)
        return original(*args, **kwargs)

    return call


def _ddp_init(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def __init__(self: Any, module: Any, device_ids: Any = None, output_device: Any = None, *a: Any, **k: Any) -> None:
        if device_ids is not None or output_device is not None:
            ctx.log.hit("DistributedDataParallel(device_ids=...)", "dropped (CPU target)", "no-op")
        original(self, module, None, None, *a, **k)

    return __init__


def _fsdp_init(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def __init__(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind_partial(*args, **kwargs)
        device_id = bound.arguments.get("device_id")
        if is_cuda_or_ordinal(device_id):
            target = torch.device(ctx.map_device(device_id))
            ctx.log.hit("FullyShardedDataParallel(device_id=cuda)", f"device_id={target}")
            bound.arguments["device_id"] = target
        original(*bound.args, **bound.kwargs)

    return __init__


def _state_dict_on_host(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def set_state_dict_type(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind_partial(*args, **kwargs)
        for name in ("state_dict_config", "optim_state_dict_config"):
            config = bound.arguments.get(name)
            if config is not None and getattr(config, "offload_to_cpu", False):
                ctx.log.hit(f"FSDP {type(config).__name__}(offload_to_cpu=True)", "offload_to_cpu=False", "no-op")
                bound.arguments[name] = dataclasses.replace(config, offload_to_cpu=False)
        return original(*bound.args, **bound.kwargs)

    return set_state_dict_type


def _patch_fsdp(ctx: RedirectContext, module: types.ModuleType) -> None:
    fsdp = module.FullyShardedDataParallel
    ctx.patcher.set(fsdp, "__init__", _fsdp_init(ctx, fsdp.__init__))
    if not ctx.indexed:  # FSDP.state_dict_type(...) calls it as well
        set_type = staticmethod(_state_dict_on_host(ctx, fsdp.set_state_dict_type))
        ctx.patcher.set(fsdp, "set_state_dict_type", set_type)


def _mesh_init(ctx: RedirectContext, original: Callable[..., Any]) -> Callable[..., Any]:
    def __init__(self: Any, device_type: str, *args: Any, **kwargs: Any) -> None:
        if device_type == "cuda":
            ctx.log.hit("DeviceMesh('cuda')", f"DeviceMesh('{ctx.type}')")
            device_type = ctx.type
        original(self, device_type, *args, **kwargs)

    return __init__


class FlagProxy(types.ModuleType):
    """Stands in for a backend-flag object: reads pass through (or return what the program set), writes go to
    `on_set` (mapped to the target's switch or recorded as a no-op)."""

    def __init__(self, real: Any, qualname: str, on_set: Callable[[str, Any], bool]) -> None:
        super().__init__(qualname)
        object.__setattr__(self, "_real", real)
        object.__setattr__(self, "_qual", qualname)
        object.__setattr__(self, "_on_set", on_set)
        object.__setattr__(self, "_shadow", {})

    def __getattr__(self, name: str) -> Any:
        shadow = object.__getattribute__(self, "_shadow")
        if name in shadow:
            return shadow[name]
        return getattr(object.__getattribute__(self, "_real"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        qual = object.__getattribute__(self, "_qual")
        if not object.__getattribute__(self, "_on_set")(f"{qual}.{name}", value):
            object.__getattribute__(self, "_shadow")[name] = value


def _flag_setter(ctx: RedirectContext) -> Callable[[str, Any], bool]:
    """Apply a backend flag on the target when it has the same switch; return False when recorded as a no-op."""
    npu_map = {"torch.backends.cuda.matmul.allow_tf32": "matmul", "torch.backends.cudnn.allow_tf32": "conv"}

    def on_set(name: str, value: Any) -> bool:
        if ctx.type == "npu" and name in npu_map:
            # through the patcher: leaving the redirection puts torch_npu's switch back as it was
            ctx.patcher.set_setting(getattr(ctx.acc.module, npu_map[name]), "allow_hf32", value)
            ctx.log.hit(name, f"torch.npu.{npu_map[name]}.allow_hf32")
            return False  # also shadowed so the program reads back its value
        ctx.log.hit(name, f"no-op on {ctx.type} (value remembered)", "no-op")
        return False

    return on_set


def _install_flags(ctx: RedirectContext) -> None:
    on_set = _flag_setter(ctx)
    p = ctx.patcher
    cudnn = FlagProxy(torch.backends.cudnn, "torch.backends.cudnn", on_set)
    p.set(torch.backends, "cudnn", cudnn)
    p.set_item(sys.modules, "torch.backends.cudnn", cudnn)  # `import torch.backends.cudnn as cudnn` sees it too
    p.set(torch.backends.cuda, "matmul", FlagProxy(torch.backends.cuda.matmul, "torch.backends.cuda.matmul", on_set))
    for name in SDP_SWITCHES:
        if hasattr(torch.backends.cuda, name):
            p.set(torch.backends.cuda, name, _sdp_noop(ctx, f"torch.backends.cuda.{name}"))


def _sdp_noop(ctx: RedirectContext, what: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        ctx.log.hit(what, f"no-op on {ctx.type}", "no-op")
        return contextlib.nullcontext()

    return call


def run_redirected(target: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Entry point of a process started by `torch.multiprocessing.spawn` under redirection: the same redirection,
    then the program's function (a spawned process starts a fresh interpreter without it otherwise)."""
    from isthmus.accel.runner import redirect

    with redirect(target, rebind=_program_namespaces(fn)):
        return fn(*args)


def _program_namespaces(fn: Callable[..., Any]) -> list[dict[str, Any]]:
    """The program's namespaces in a spawned process: `fn`'s globals (the main script, run by multiprocessing
    into a dictionary of its own), its main module `__mp_main__` and the modules imported from the main module's
    directory (its `trainer.py`, `datautils.py`)."""
    spaces = [fn.__globals__] if isinstance(fn, types.FunctionType) else []
    main = sys.modules.get("__mp_main__")
    main_file = getattr(main, "__file__", None)
    if main is not None:
        spaces.append(vars(main))
    if main_file:
        home = os.path.dirname(os.path.abspath(main_file)) + os.sep
        spaces += [vars(m) for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").startswith(home)]
    return spaces


def _spawn(ctx: RedirectContext, original: Callable[..., Any], what: str) -> Callable[..., Any]:
    def spawn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ctx.log.hit(what, f"each process redirected to {ctx.type} (its calls are not counted here)")
        return original(functools.partial(run_redirected, ctx.acc.name, fn), *args, **kwargs)

    return spawn


def install(ctx: RedirectContext) -> None:
    """Patch autocast/GradScaler, collectives and backend flags for the duration of the redirection."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    p = ctx.patcher
    autocast = _autocast_class(ctx)
    p.set(torch, "autocast", autocast)
    p.set(torch.amp, "autocast", autocast)
    p.set(torch.amp, "GradScaler", _grad_scaler_class(ctx))
    if ctx.type != "cuda":
        _install_flags(ctx)
    if dist.is_available():
        p.set(dist, "init_process_group", _init_process_group(ctx, dist.init_process_group))
        p.set(dist, "new_group", _new_group(ctx, dist.new_group))
        if not ctx.indexed:
            p.set(dist, "barrier", _drop_device_ids(ctx, "dist.barrier(device_ids=...)", dist.barrier, ("device_ids",)))
    if not ctx.indexed:
        p.set(DistributedDataParallel, "__init__", _ddp_init(ctx, DistributedDataParallel.__init__))
    if ctx.type != "cuda" and dist.is_available():
        from torch.distributed.device_mesh import DeviceMesh

        p.set(DeviceMesh, "__init__", _mesh_init(ctx, DeviceMesh.__init__))
        p.after_import("torch.distributed.fsdp.fully_sharded_data_parallel", functools.partial(_patch_fsdp, ctx))
    import torch.multiprocessing as mp

    for name in ("spawn", "start_processes"):
        if hasattr(mp, name):
            p.set(mp, name, _spawn(ctx, getattr(mp, name), f"torch.multiprocessing.{name}"))
