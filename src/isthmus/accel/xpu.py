"""Intel GPU backend through `torch.xpu` (upstream since torch 2.4), XCCL collectives.

Import contract: only `torch`; nothing initialised at import; the probe only counts devices.
"""

from __future__ import annotations

import importlib.util

import torch

from isthmus.accel.interface import Accelerator


class XpuAccelerator(Accelerator):
    """Intel Data Center / Arc GPUs through `torch.xpu`."""

    name = "xpu"
    device_type = "xpu"
    dispatch_key = "XPU"
    dist_backend = "xccl"
    visible_devices_env = "ZE_AFFINITY_MASK"
    install_hint = "an XPU build of torch: pip install torch --index-url https://download.pytorch.org/whl/xpu"

    def supports_bf16(self) -> bool:
        query = getattr(self.module, "is_bf16_supported", None)
        return bool(query()) if query is not None else False

    def supports_fp64(self) -> bool:
        return bool(getattr(self.module.get_device_properties(self.current_device()), "has_fp64", False))

    def supports_triton(self) -> bool:
        return importlib.util.find_spec("triton") is not None


def probe() -> type[Accelerator] | None:
    """XpuAccelerator when this torch build has XPU support and sees a device."""
    xpu = getattr(torch, "xpu", None)
    return XpuAccelerator if xpu is not None and xpu.is_available() else None
