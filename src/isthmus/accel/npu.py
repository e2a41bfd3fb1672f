"""Huawei Ascend NPU backend through torch_npu (CANN), following torch_npu's documented Python API.

Import contract: `torch_npu` is imported only inside this module's functions (it registers `torch.npu` on import);
nothing initialises a device until a method is called, no `os.environ` writes, no patching.

Names used, as documented by torch_npu (`torch_npu/npu/__init__.py` `__all__` and the Ascend API reference):
`torch.npu.{is_available, device_count, current_device, set_device, synchronize, get_device_name,
memory_allocated, max_memory_allocated, memory_reserved, max_memory_reserved, reset_peak_memory_stats, empty_cache,
mem_get_info, manual_seed_all, get_rng_state, set_rng_state, Stream, Event, current_stream, stream,
is_bf16_supported, NPUGraph, graph}`, `torch_npu.npu.mstx.range_start/range_end` and
`torch_npu.npu.matmul.allow_hf32` / `torch_npu.npu.conv.allow_hf32` (the HF32 counterpart of TF32).
Collectives use HCCL; devices are masked with ASCEND_RT_VISIBLE_DEVICES.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Iterator
from typing import Any

import torch

from isthmus.accel.interface import Accelerator


class NpuAccelerator(Accelerator):
    """Ascend 910-class NPUs through torch_npu (`torch.npu`), HCCL collectives."""

    name = "npu"
    device_type = "npu"
    dispatch_key = "PrivateUse1"  # torch_npu registers its kernels under the out-of-tree PrivateUse1 key
    dist_backend = "hccl"
    visible_devices_env = "ASCEND_RT_VISIBLE_DEVICES"
    install_hint = "torch_npu matching your torch release and CANN: pip install torch-npu==<torch version>"

    def _load_module(self) -> Any:
        importlib.import_module("torch_npu")  # registers the "npu" device and `torch.npu`
        return super()._load_module()

    # --- graphs ---------------------------------------------------------------------------------------------
    def supports_graphs(self) -> bool:
        return True

    def graph_class(self) -> Any:
        return self.module.NPUGraph

    def graph(self, graph: Any, **kwargs: Any) -> contextlib.AbstractContextManager[Any]:
        return self.module.graph(graph, **kwargs)  # type: ignore[no-any-return]

    # --- profiler ranges: mstx --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def range(self, name: str) -> Iterator[None]:
        range_id = self.module.mstx.range_start(name)
        try:
            yield
        finally:
            self.module.mstx.range_end(range_id)

    # --- capabilities ---------------------------------------------------------------------------------------
    def supports_bf16(self) -> bool:
        return bool(self.module.is_bf16_supported())

    def supports_tf32(self) -> bool:
        return True  # as HF32, switched with set_allow_tf32

    def supports_fp64(self) -> bool:
        return False  # not a Cube-unit type: float64 ops run slowly on AI CPU or are missing

    def supports_triton(self) -> bool:
        """Triton kernels compile for Ascend through Triton-Ascend (PyPI `triton-ascend`, which provides the `triton`
        module); a stock `triton` has no Ascend backend. Unverified on hardware."""
        try:
            importlib.metadata.distribution("triton-ascend")
        except importlib.metadata.PackageNotFoundError:
            return False
        return True

    def set_allow_tf32(self, allow: bool) -> None:
        self.module.matmul.allow_hf32 = allow
        self.module.conv.allow_hf32 = allow


def probe() -> type[Accelerator] | None:
    """NpuAccelerator when torch_npu is installed and reports a device (counted from the driver, no init)."""
    if importlib.util.find_spec("torch_npu") is None:
        return None
    try:
        importlib.import_module("torch_npu")
    except (ImportError, OSError, RuntimeError):  # torch_npu present but CANN libraries missing or mismatched
        return None
    npu = getattr(torch, "npu", None)
    return NpuAccelerator if npu is not None and npu.is_available() else None
