"""Strict stand-ins for vendor device modules: only documented names exist, and every call is recorded.

A backend that calls a name its vendor does not document gets an AttributeError here, so a broken mapping fails
in CI without the hardware.
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

import torch

COMMON = (
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
    "empty_cache",
    "mem_get_info",
    "manual_seed_all",
    "get_rng_state",
    "set_rng_state",
    "Stream",
    "Event",
    "current_stream",
    "stream",
    "is_bf16_supported",
)
# torch.cuda / torch.xpu / torch.mps exist in every torch build: the tests check these lists against them.
CUDA = (*COMMON, "CUDAGraph", "graph", "nvtx")
XPU = COMMON
MPS = (
    "synchronize",
    "current_allocated_memory",
    "driver_allocated_memory",
    "recommended_max_memory",
    "manual_seed",
    "get_rng_state",
    "set_rng_state",
    "Event",
    "empty_cache",
)
# torch_npu's documented API (torch_npu/npu/__init__.py __all__, Ascend/pytorch; torch_npu.npu.mstx reference)
NPU = (*COMMON, "NPUGraph", "graph", "mstx", "matmul", "conv")

RETURNS: dict[str, Any] = {
    "is_available": True,
    "device_count": 2,
    "current_device": 0,
    "get_device_name": "Stub device",
    "memory_allocated": 1 << 20,
    "max_memory_allocated": 2 << 20,
    "memory_reserved": 4 << 20,
    "max_memory_reserved": 8 << 20,
    "mem_get_info": (3 << 30, 4 << 30),
    "is_bf16_supported": True,
    "current_allocated_memory": 1 << 20,
    "driver_allocated_memory": 4 << 20,
    "recommended_max_memory": 8 << 30,
    "range_start": 7,
    "current_stream": "stub-stream",
    "Stream": "stub-stream",
}


class StubEvent:
    def __init__(self, enable_timing: bool = False, **kwargs: Any) -> None:
        self.enable_timing = enable_timing

    def record(self, stream: Any = None) -> None: ...

    def elapsed_time(self, other: StubEvent) -> float:
        return 1.5


class StubGraph:
    pass


class StubModule(types.ModuleType):
    """A module with exactly `names`; calls are appended to `calls` as (name, args)."""

    def __init__(self, qualname: str, names: tuple[str, ...]) -> None:
        super().__init__(qualname)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        for name in names:
            setattr(self, name, self._make(name))

    def _make(self, name: str) -> Any:
        if name in ("Event",):
            return self._recording(name, StubEvent)
        if name in ("CUDAGraph", "NPUGraph"):
            return StubGraph
        if name == "nvtx":
            return StubModule(f"{self.__name__}.nvtx", ("range_push", "range_pop"))
        if name == "mstx":
            sub = StubModule(f"{self.__name__}.mstx", ("range_start", "range_end"))
            sub.calls = self.calls
            return sub
        if name in ("matmul", "conv"):
            return types.SimpleNamespace(allow_hf32=False)
        if name in ("stream", "graph"):
            return self._recording(name, lambda *a, **k: contextlib.nullcontext())
        if name == "get_device_properties":
            return self._recording(name, lambda *a: types.SimpleNamespace(major=9, has_fp64=True, name="stub"))
        if name == "get_rng_state":
            return self._recording(name, lambda *a: torch.zeros(4, dtype=torch.uint8))
        value = RETURNS.get(name)
        return self._recording(name, lambda *a, **k: value)

    def _recording(self, name: str, fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            return fn(*args, **kwargs)

        return call

    def called(self, name: str) -> bool:
        return any(n == name for n, _ in self.calls)
