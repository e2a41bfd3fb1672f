"""The `Accelerator` interface: one object per backend that answers every device question a training loop asks.

Shaped after vLLM's `Platform` and DeepSpeed's `DeepSpeedAccelerator`: identity as class attributes, then device,
memory, RNG, streams/events, graphs, profiler ranges, autocast and capability queries. Capability queries default
to the conservative answer (`False`) and backends opt in; hooks do nothing by default.

Every method goes through the backend's *device module* (`torch.cuda`, `torch.npu`, `torch.xpu`, `torch.mps`,
`torch.cpu`), resolved lazily with the upstream device-generic `torch.get_device_module` (importlib on older
torch). A backend can be built around any module object (`Backend(module=stub)`), which is how the conformance tests
check each backend's calls without its hardware. Nothing here initialises a device at import or construction.
"""

from __future__ import annotations

import contextlib
import importlib
from abc import ABC
from collections.abc import Iterator
from typing import Any, ClassVar

import torch


class Accelerator(ABC):  # noqa: B024 - abstract by convention: every backend sets the identity attributes
    """One backend. Subclasses set the identity attributes and override what differs from the shared default."""

    # --- identity -------------------------------------------------------------------------------------------
    name: ClassVar[str] = ""  # the name users pass (`--target npu`, ISTHMUS_ACCELERATOR=npu)
    device_type: ClassVar[str] = ""  # torch.device type: "cuda", "npu", "xpu", "mps", "cpu"
    dispatch_key: ClassVar[str] = ""  # the dispatcher key its kernels register under ("CUDA", "PrivateUse1", ...)
    dist_backend: ClassVar[str] = "gloo"  # torch.distributed backend for this device
    visible_devices_env: ClassVar[str | None] = None  # environment variable that masks devices
    install_hint: ClassVar[str] = ""  # what to install when the stack is missing

    def __init__(self, module: Any | None = None) -> None:
        self._module = module  # the device module; None -> resolved on first use

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def module(self) -> Any:
        """The backend's device module (`torch.cuda`, `torch.npu`, ...), imported on first use."""
        if self._module is None:
            self._module = self._load_module()
        return self._module

    def _load_module(self) -> Any:
        get = getattr(torch, "get_device_module", None)
        if get is not None:
            return get(self.device_type)
        return importlib.import_module(f"torch.{self.device_type}")  # compat path for torch < 2.3

    # --- device ---------------------------------------------------------------------------------------------
    def is_available(self) -> bool:
        return bool(self.module.is_available())

    def device_count(self) -> int:
        return int(self.module.device_count())

    def current_device(self) -> int:
        return int(self.module.current_device())

    def set_device(self, index: int) -> None:
        self.module.set_device(index)

    def device(self, index: int | None = None) -> torch.device:
        """A `torch.device` for this backend (the current device when `index` is None)."""
        return torch.device(self.device_type, self.current_device() if index is None else index)

    def device_name(self, index: int | None = None) -> str:
        return str(self.module.get_device_name(self.current_device() if index is None else index))

    def synchronize(self, index: int | None = None) -> None:
        self.module.synchronize(index)

    # --- memory (bytes) -------------------------------------------------------------------------------------
    def memory_allocated(self, index: int | None = None) -> int:
        return int(self.module.memory_allocated(index))

    def max_memory_allocated(self, index: int | None = None) -> int:
        return int(self.module.max_memory_allocated(index))

    def memory_reserved(self, index: int | None = None) -> int:
        return int(self.module.memory_reserved(index))

    def max_memory_reserved(self, index: int | None = None) -> int:
        return int(self.module.max_memory_reserved(index))

    def reset_peak_memory_stats(self, index: int | None = None) -> None:
        self.module.reset_peak_memory_stats(index)

    def empty_cache(self) -> None:
        self.module.empty_cache()

    def mem_get_info(self, index: int | None = None) -> tuple[int, int]:
        """(free, total) device memory in bytes."""
        free, total = self.module.mem_get_info(index)
        return int(free), int(total)

    # --- RNG ------------------------------------------------------------------------------------------------
    def manual_seed_all(self, seed: int) -> None:
        """Seed the host generator and every device generator of this backend."""
        torch.manual_seed(seed)
        self.seed_device(seed)

    def seed_device(self, seed: int) -> None:
        """Seed only the device generators (what `torch.cuda.manual_seed_all` does on CUDA)."""
        self.module.manual_seed_all(seed)

    def get_rng_state(self, index: int | None = None) -> torch.Tensor:
        return self.module.get_rng_state(self.current_device() if index is None else index)  # type: ignore[no-any-return]

    def set_rng_state(self, state: torch.Tensor, index: int | None = None) -> None:
        self.module.set_rng_state(state, self.current_device() if index is None else index)

    # --- streams and events ---------------------------------------------------------------------------------
    def Stream(self, **kwargs: Any) -> Any:
        return self.module.Stream(**kwargs)

    def Event(self, enable_timing: bool = False, **kwargs: Any) -> Any:
        """An event; with `enable_timing`, `start.elapsed_time(end)` returns milliseconds."""
        return self.module.Event(enable_timing=enable_timing, **kwargs)

    def current_stream(self) -> Any:
        return self.module.current_stream()

    def stream(self, stream: Any) -> contextlib.AbstractContextManager[Any]:
        """Context manager that makes `stream` current."""
        return self.module.stream(stream)  # type: ignore[no-any-return]

    # --- graphs ---------------------------------------------------------------------------------------------
    def supports_graphs(self) -> bool:
        return False

    def graph_class(self) -> Any:
        """The capture-and-replay graph class (CUDAGraph, NPUGraph); raises where the backend has none."""
        raise NotImplementedError(f"{self.name} has no graph capture")

    def graph(self, graph: Any, **kwargs: Any) -> contextlib.AbstractContextManager[Any]:
        """Context manager that captures work into `graph` (an instance of `graph_class()`)."""
        raise NotImplementedError(f"{self.name} has no graph capture")

    # --- profiler ranges ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def range(self, name: str) -> Iterator[None]:
        """A named range in the profiler timeline (NVTX, mstx, or torch's `record_function`)."""
        with torch.profiler.record_function(name):
            yield

    # --- autocast -------------------------------------------------------------------------------------------
    def autocast_dtype(self) -> torch.dtype:
        """The best low-precision dtype: bf16 where supported, else fp16 (which needs a GradScaler)."""
        return torch.bfloat16 if self.supports_bf16() else torch.float16

    def autocast(self, dtype: torch.dtype | None = None, enabled: bool = True) -> torch.autocast:
        """`torch.autocast` for this device with `dtype` (default: `autocast_dtype()`)."""
        return torch.autocast(device_type=self.device_type, dtype=dtype or self.autocast_dtype(), enabled=enabled)

    def grad_scaler(self, dtype: torch.dtype | None = None, enabled: bool | None = None) -> torch.amp.GradScaler:
        """A GradScaler for this device, enabled only for fp16 unless `enabled` says otherwise."""
        on = (dtype or self.autocast_dtype()) == torch.float16 if enabled is None else enabled
        return torch.amp.GradScaler(self.device_type, enabled=on)

    def set_allow_tf32(self, allow: bool) -> None:
        """Allow reduced-precision fp32 matmul/conv (TF32 on NVIDIA, HF32 on Ascend); a no-op elsewhere."""
        return None

    # --- capabilities (conservative defaults; never a compute capability as a proxy) ---------------------------
    def supports_bf16(self) -> bool:
        return False

    def supports_fp16(self) -> bool:
        return True

    def supports_fp8(self) -> bool:
        return False

    def supports_fp64(self) -> bool:
        return True

    def supports_tf32(self) -> bool:
        return False

    def supports_triton(self) -> bool:
        return False

    def supports_pin_memory(self) -> bool:
        return True

    # --- host memory ----------------------------------------------------------------------------------------
    def pin_memory(self, tensor: torch.Tensor) -> torch.Tensor:
        """Page-locked copy of a host tensor for async copies; the tensor itself where pinning does not apply."""
        return tensor.pin_memory() if self.supports_pin_memory() else tensor

    def to_device(self, tensor: torch.Tensor, non_blocking: bool = False) -> torch.Tensor:
        return tensor.to(self.device(), non_blocking=non_blocking)

    # --- distributed hooks ----------------------------------------------------------------------------------
    def on_init_distributed(self, local_rank: int) -> None:
        """Called by `init_distributed` before the process group exists: select this rank's device."""
        if self.device_count() > 0:
            self.set_device(local_rank % self.device_count())
