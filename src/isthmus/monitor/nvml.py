"""NVIDIA telemetry through NVML (`nvidia-ml-py`, module `pynvml`).

Import contract: `pynvml` is imported only by `load_pynvml()`; every reader takes the module object as an argument,
so tests pass a stub and nothing touches a GPU at import time.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from typing import Any

from isthmus.errors import NotInstalledError
from isthmus.extras import install_command
from isthmus.monitor.model import DeviceReading
from isthmus.monitor.readings import ReadingBuilder, failed_device

INSTALL = install_command("monitor")


def load_pynvml() -> Any:
    """The `pynvml` module from nvidia-ml-py, or NotInstalledError with the install command."""
    try:
        return importlib.import_module("pynvml")
    except ImportError as e:
        raise NotInstalledError("nvidia-ml-py (module pynvml)", INSTALL) from e


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _link_errors(nvml: Any, handle: Any) -> float | None:
    """Sum of DL CRC flit errors over active NVLinks; None on a GPU without NVLink."""
    total, links = 0, 0
    for link in range(int(nvml.NVML_NVLINK_MAX_LINKS)):
        try:
            if not nvml.nvmlDeviceGetNvLinkState(handle, link):
                continue
        except nvml.NVMLError:
            continue  # link index not present on this GPU
        total += int(nvml.nvmlDeviceGetNvLinkErrorCounter(handle, link, nvml.NVML_NVLINK_ERROR_DL_CRC_FLIT))
        links += 1
    return float(total) if links else None


def _ecc(nvml: Any, handle: Any, error_type: int) -> float:
    return float(nvml.nvmlDeviceGetTotalEccErrors(handle, error_type, nvml.NVML_VOLATILE_ECC))


def read_device(nvml: Any, index: int, node: str) -> DeviceReading:
    """Every schema metric NVML offers for GPU `index`; a query the GPU does not support is `missing`."""
    try:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        model = _text(nvml.nvmlDeviceGetName(handle))
        uuid = _text(nvml.nvmlDeviceGetUUID(handle))
    except nvml.NVMLError as e:
        return failed_device("nvidia", str(index), node, "nvml", f"NVML: {e}")
    b = ReadingBuilder("nvidia")
    b.read("isthmus_accel_utilization_ratio", lambda: float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
    mem = None
    try:
        mem = nvml.nvmlDeviceGetMemoryInfo(handle)
    except nvml.NVMLError as e:
        b.missing["isthmus_accel_memory_used_bytes"] = b.missing["isthmus_accel_memory_total_bytes"] = f"NVML: {e}"
    if mem is not None:
        b.put("isthmus_accel_memory_used_bytes", float(mem.used))
        b.put("isthmus_accel_memory_total_bytes", float(mem.total))
    b.read("isthmus_accel_power_watts", lambda: float(nvml.nvmlDeviceGetPowerUsage(handle)))
    b.read(
        "isthmus_accel_temperature_celsius",
        lambda: float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)),
    )
    b.read("isthmus_accel_core_clock_hertz", lambda: float(nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM)))
    b.read("isthmus_accel_memory_clock_hertz", lambda: float(nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_MEM)))
    for kind, code in (
        ("correctable", nvml.NVML_MEMORY_ERROR_TYPE_CORRECTED),
        ("uncorrectable", nvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED),
    ):
        b.read("isthmus_accel_ecc_errors_total", functools.partial(_ecc, nvml, handle, code), type=kind)
    b.read("isthmus_accel_link_errors_total", lambda: _link_errors(nvml, handle))
    if (
        "isthmus_accel_link_errors_total" in b.missing
        and "not reported" in b.missing["isthmus_accel_link_errors_total"]
    ):
        b.missing["isthmus_accel_link_errors_total"] = "no active NVLink"
    return b.build(model=model, index=str(index), uuid=uuid, node=node, backend="nvml")


def read_all(nvml: Any, node: str) -> tuple[list[DeviceReading], list[str]]:
    """Read every GPU NVML sees. Returns (readings, notes); no driver is a note, not an error."""
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as e:
        return [], [f"NVML: not available ({e})"]
    try:
        count = int(nvml.nvmlDeviceGetCount())
        return [read_device(nvml, i, node) for i in range(count)], [] if count else ["NVML: no NVIDIA GPU"]
    finally:
        with contextlib.suppress(nvml.NVMLError):
            nvml.nvmlShutdown()
