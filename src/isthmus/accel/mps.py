"""Apple silicon backend through `torch.mps` (one device, no streams, no collectives of its own).

Import contract: only `torch`; the probe asks `torch.backends.mps.is_available()`, which does not allocate.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from isthmus.accel.interface import Accelerator
from isthmus.accel.timing import HostStream


class MpsAccelerator(Accelerator):
    """Apple GPUs through Metal Performance Shaders."""

    name = "mps"
    device_type = "mps"
    dispatch_key = "MPS"
    dist_backend = "gloo"
    visible_devices_env = None
    install_hint = "a macOS arm64 build of torch: pip install torch"

    # MPS exposes a single device and no device-index API.
    def is_available(self) -> bool:
        return bool(torch.backends.mps.is_available())

    def device_count(self) -> int:
        return 1 if self.is_available() else 0

    def current_device(self) -> int:
        return 0

    def set_device(self, index: int) -> None:
        if index != 0:
            raise ValueError(f"mps has one device (index 0), not {index}")

    def device_name(self, index: int | None = None) -> str:
        return "Apple MPS"

    def synchronize(self, index: int | None = None) -> None:
        self.module.synchronize()

    def memory_allocated(self, index: int | None = None) -> int:
        return int(self.module.current_allocated_memory())

    def max_memory_allocated(self, index: int | None = None) -> int:
        return int(self.module.current_allocated_memory())  # MPS keeps no peak counter

    def memory_reserved(self, index: int | None = None) -> int:
        return int(self.module.driver_allocated_memory())

    def max_memory_reserved(self, index: int | None = None) -> int:
        return int(self.module.driver_allocated_memory())

    def reset_peak_memory_stats(self, index: int | None = None) -> None:
        """MPS has no peak counters to reset."""

    def mem_get_info(self, index: int | None = None) -> tuple[int, int]:
        total = int(self.module.recommended_max_memory())
        return max(total - self.memory_reserved(), 0), total

    def seed_device(self, seed: int) -> None:
        self.module.manual_seed(seed)

    def get_rng_state(self, index: int | None = None) -> torch.Tensor:
        return self.module.get_rng_state()  # type: ignore[no-any-return]

    def set_rng_state(self, state: torch.Tensor, index: int | None = None) -> None:
        self.module.set_rng_state(state)

    def Stream(self, **kwargs: Any) -> Any:
        return HostStream()

    def current_stream(self) -> Any:
        return HostStream()

    def stream(self, stream: Any) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext(stream)

    def supports_bf16(self) -> bool:
        return bool(torch.backends.mps.is_available() and torch.backends.mps.is_macos_or_newer(14, 0))

    def supports_fp64(self) -> bool:
        return False  # Metal has no float64

    def supports_pin_memory(self) -> bool:
        return False


def probe() -> type[Accelerator] | None:
    """MpsAccelerator on Apple silicon with an MPS-enabled torch."""
    return MpsAccelerator if torch.backends.mps.is_available() else None
