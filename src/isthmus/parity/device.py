"""The device a record is made on, and the software stack written into its manifest.

`--device` takes cpu, cuda[:N], npu[:N] or any other `isthmus.accel` backend, built-in or an installed plugin
(`isthmus.accel.known_names()`); the backends come from `isthmus.accel`, so NPU support (torch_npu) and its install
hint live in one place.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from typing import TYPE_CHECKING

from isthmus import __version__
from isthmus.errors import InputError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str) -> torch.device:
    """A usable torch.device for `name`, or InputError saying why not (through isthmus.accel's backends)."""
    import torch

    from isthmus.accel import get_accelerator, known_names

    text = name.strip().lower()
    kind, _, index = text.partition(":")
    known = known_names()
    if kind not in known or (index and not index.isdigit()):
        raise InputError(f"unknown device {name!r}", hint=f"use {', '.join(known)}, optionally with :N (cuda:1)")
    if kind == "cpu":
        return torch.device("cpu")
    acc = get_accelerator(kind)  # NotInstalledError when the stack (torch_npu) is missing
    if not acc.is_available():
        hint = "record on a machine with the device, or use --device cpu"
        raise InputError(f"--device {name}: no {kind.upper()} device is available here", hint=hint)
    return acc.device(int(index) if index else None)


def device_name(device: torch.device) -> str:
    """Human name of the device: the GPU/NPU model, or the CPU's architecture."""
    if device.type == "cpu":
        return f"{platform.machine()} CPU ({os.cpu_count()} cores)"
    from isthmus.accel import get_accelerator

    return str(get_accelerator(device.type).device_name(device.index))


def _dist_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _nvidia_driver() -> str | None:
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return None
    parts = first.split("Kernel Module")
    return parts[1].split()[0] if len(parts) > 1 and parts[1].split() else first.strip() or None


def environment_info(device: torch.device) -> dict[str, str | None]:
    """Versions of everything that can change numerics: torch, CUDA/cuDNN or torch_npu/CANN, driver, Python."""
    import torch

    return {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,  # isthmus: ignore[IST110]  (recorded, not relied on)
        "nvidia_driver": _nvidia_driver() if device.type == "cuda" else None,  # isthmus: ignore[IST105]
        "torch_npu": _dist_version("torch-npu") if device.type == "npu" else None,
        "cann": os.environ.get("ASCEND_TOOLKIT_HOME") if device.type == "npu" else None,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "numpy": _dist_version("numpy"),
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "isthmus": __version__,
    }
