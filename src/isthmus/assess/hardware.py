"""The accelerator this assessment runs on, chosen through `isthmus.accel` (env override > plugin > built-in).

Sections that can use real hardware (the unmodified run, parity) ask `host_accelerator()`: a CUDA GPU or an
Ascend NPU when one is visible, else the reason there is none, which the report prints instead of silently
running on the CPU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from isthmus.errors import IsthmusError

# device types parity can record on (isthmus.parity's --device) and whose numerics the report compares
RECORDABLE = ("cuda", "npu")


@dataclass(frozen=True)
class HostAccelerator:
    """What `isthmus.accel` found: `name` is the backend (`isthmus run --target NAME`), None when none is usable."""

    name: str | None
    device_type: str | None
    device_name: str
    reason: str  # why this one, or why none

    @property
    def found(self) -> bool:
        return self.name is not None

    @property
    def recordable(self) -> bool:
        """Parity can record on it (a CUDA or NPU device)."""
        return self.device_type in RECORDABLE

    def label(self) -> str:
        """`cuda (NVIDIA H200)` or `cpu`."""
        return f"{self.device_type} ({self.device_name})" if self.found else "cpu"


def host_accelerator() -> HostAccelerator:
    """The accelerator `isthmus.accel.current()` selects, if it is a real device that is available."""
    from isthmus import accel

    try:
        with warnings.catch_warnings():  # "no accelerator found, using the CPU" becomes the reason below
            warnings.simplefilter("ignore", RuntimeWarning)
            acc = accel.current()
        if acc.device_type == "cpu":
            return HostAccelerator(None, None, "", f"no CUDA or Ascend device visible; isthmus.accel chose {acc.name}")
        if not acc.is_available():
            return HostAccelerator(None, None, "", f"{acc.name}: the backend is installed but reports no device")
        name = acc.device_name(0)
    except (IsthmusError, RuntimeError, OSError) as e:  # a broken driver or stack: report it, run on the CPU
        return HostAccelerator(None, None, "", f"accelerator discovery failed: {e}")
    return HostAccelerator(acc.name, acc.device_type, name, f"isthmus.accel selected {acc.name}")
