"""CPU backend: always available, the fallback of discovery and the default target of `isthmus run`.

Import contract: only `torch` and the standard library; nothing happens at import.
Memory counters are 0: the CPU has no device allocator with statistics (`mem_get_info` reports host RAM).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch

from isthmus.accel.interface import Accelerator
from isthmus.accel.timing import HostEvent


class CpuAccelerator(Accelerator):
    """The host CPU, with gloo collectives and host-timed events."""

    name = "cpu"
    device_type = "cpu"
    dispatch_key = "CPU"
    dist_backend = "gloo"
    visible_devices_env = None
    install_hint = ""

    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def current_device(self) -> int:
        return 0

    def set_device(self, index: int) -> None:
        """One logical CPU device: selecting it is a no-op."""

    def device(self, index: int | None = None) -> torch.device:
        return torch.device("cpu")

    def device_name(self, index: int | None = None) -> str:
        import platform

        return platform.processor() or platform.machine() or "cpu"

    def synchronize(self, index: int | None = None) -> None:
        """CPU ops complete before they return."""

    def memory_allocated(self, index: int | None = None) -> int:
        return 0

    def max_memory_allocated(self, index: int | None = None) -> int:
        return 0

    def memory_reserved(self, index: int | None = None) -> int:
        return 0

    def max_memory_reserved(self, index: int | None = None) -> int:
        return 0

    def reset_peak_memory_stats(self, index: int | None = None) -> None:
        """No counters to reset."""

    def empty_cache(self) -> None:
        """No device cache."""

    def mem_get_info(self, index: int | None = None) -> tuple[int, int]:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page

    def seed_device(self, seed: int) -> None:
        torch.manual_seed(seed)  # the CPU's device generator is the host generator

    def get_rng_state(self, index: int | None = None) -> torch.Tensor:
        return torch.get_rng_state()

    def set_rng_state(self, state: torch.Tensor, index: int | None = None) -> None:
        torch.set_rng_state(state)

    def Stream(self, **kwargs: Any) -> Any:
        return self.module.Stream()

    def Event(self, enable_timing: bool = False, **kwargs: Any) -> Any:
        return HostEvent(enable_timing=enable_timing)

    def stream(self, stream: Any) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext(stream)

    def supports_bf16(self) -> bool:
        return True  # CPU autocast runs bf16 everywhere (natively with AVX512-BF16/AMX, emulated otherwise)

    def supports_pin_memory(self) -> bool:
        return False  # pinning needs an accelerator to copy to


def probe() -> type[Accelerator] | None:
    """Always the CPU."""
    return CpuAccelerator
