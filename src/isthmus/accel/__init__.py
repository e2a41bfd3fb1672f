"""isthmus.accel: one runtime API over CUDA, Ascend NPU, XPU, MPS and CPU.

    from isthmus import accel
    acc = accel.current()                  # discovered lazily: env override > plugin > built-in > CPU
    model.to(acc.device())
    with acc.autocast():                   # bf16 where supported, else fp16 (use acc.grad_scaler())
        loss = model(x, y)
    info = accel.init_distributed()        # torchrun env -> nccl / hccl / xccl / gloo

Existing CUDA code runs unmodified under `isthmus run` (`isthmus.accel.runner`). Importing this package has no side
effects: no device is touched and nothing is patched until you ask.
"""

from __future__ import annotations

from isthmus.accel.discovery import ENTRY_POINT_GROUP, ENV_VAR, backend_class, detect, known_names, resolve
from isthmus.accel.distributed import DistInfo, init_distributed
from isthmus.accel.interface import Accelerator
from isthmus.accel.timing import HostEvent, HostStream

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "Accelerator",
    "DistInfo",
    "HostEvent",
    "HostStream",
    "backend_class",
    "current",
    "get_accelerator",
    "init_distributed",
    "known_names",
    "set_accelerator",
]

_current: Accelerator | None = None


def current() -> Accelerator:
    """The accelerator of this process, discovered on first call and cached."""
    global _current
    if _current is None:
        _current = detect()()
    return _current


def set_accelerator(accelerator: Accelerator | None) -> None:
    """Force the accelerator (tests, embedding); None forgets it so the next `current()` discovers again."""
    global _current
    _current = accelerator


def get_accelerator(name: str) -> Accelerator:
    """A ready accelerator by name ("cuda", "npu", "xpu", "mps", "cpu" or a plugin's name); "auto" = `current()`.

    Raises InputError for an unknown name and NotInstalledError when the backend's stack is missing.
    """
    if name == "auto":
        return current()
    return resolve(name)()
