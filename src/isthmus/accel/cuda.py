"""NVIDIA CUDA backend (also ROCm builds of torch, which expose HIP devices through `torch.cuda`).

Import contract: only `torch` is imported; nothing touches the driver until a method is called. The probe uses
`torch.cuda.is_available()`, which counts devices without creating a CUDA context.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from collections.abc import Iterator
from typing import Any

import torch

from isthmus.accel.interface import Accelerator


class CudaAccelerator(Accelerator):
    """NVIDIA GPUs through `torch.cuda` (NCCL); AMD GPUs on ROCm builds (RCCL answers to the name "nccl")."""

    name = "cuda"
    device_type = "cuda"
    dispatch_key = "CUDA"
    dist_backend = "nccl"
    visible_devices_env = "HIP_VISIBLE_DEVICES" if getattr(torch.version, "hip", None) else "CUDA_VISIBLE_DEVICES"
    install_hint = "a CUDA build of torch: pip install torch --index-url https://download.pytorch.org/whl/cu126"

    # --- graphs ---------------------------------------------------------------------------------------------
    def supports_graphs(self) -> bool:
        return True

    def graph_class(self) -> Any:
        return self.module.CUDAGraph

    def graph(self, graph: Any, **kwargs: Any) -> contextlib.AbstractContextManager[Any]:
        return self.module.graph(graph, **kwargs)  # type: ignore[no-any-return]

    # --- profiler ranges: NVTX --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def range(self, name: str) -> Iterator[None]:
        self.module.nvtx.range_push(name)
        try:
            yield
        finally:
            self.module.nvtx.range_pop()

    # --- capabilities ---------------------------------------------------------------------------------------
    def supports_bf16(self) -> bool:
        return bool(self.module.is_bf16_supported())

    def supports_tf32(self) -> bool:
        # TF32 tensor cores arrived with Ampere; torch exposes no direct query, so ask the device properties
        # for the architecture major version (internal only: callers get a feature answer, not a version).
        return bool(self.module.get_device_properties(self.current_device()).major >= 8)

    def supports_fp8(self) -> bool:
        return _fp8_matmul_works(self.device_type)

    def supports_triton(self) -> bool:
        return importlib.util.find_spec("triton") is not None

    def set_allow_tf32(self, allow: bool) -> None:
        torch.backends.cuda.matmul.allow_tf32 = allow
        torch.backends.cudnn.allow_tf32 = allow


@functools.cache
def _fp8_matmul_works(device_type: str) -> bool:
    """Run one tiny fp8 scaled matmul: the feature answer, measured, instead of an architecture lookup."""
    if not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
        return False
    try:
        a = torch.ones(16, 16, device=device_type).to(torch.float8_e4m3fn)
        b = torch.ones(16, 16, device=device_type).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device=device_type)
        torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


def probe() -> type[Accelerator] | None:
    """CudaAccelerator when a CUDA/ROCm build sees at least one device, else None (no context is created)."""
    return CudaAccelerator if torch.cuda.is_available() else None
