"""Ascend telemetry through DCMI (libdcmi.so, the driver's management API), loaded with ctypes when present.

The calls and their units follow Huawei's DCMI API reference (source DCMI-API in data/schema.yaml). They have not
been run against a device here: every call is guarded, and a failing call becomes a missing value or a per-device
error, never a crash. `DcmiApi` is the small surface the reader needs, so tests pass a stub.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Protocol

from isthmus.monitor.model import DeviceReading
from isthmus.monitor.npu_smi import HEALTH_LEVELS
from isthmus.monitor.readings import ReadingBuilder, failed_device

LIBRARY_PATHS = ("/usr/local/Ascend/driver/lib64/driver/libdcmi.so", "/usr/local/dcmi/libdcmi.so")
AICORE = 2  # dcmi_get_device_utilization_rate input_type: 2 = AI Core


class DcmiError(RuntimeError):
    """A DCMI call returned a non-zero code."""


class DcmiApi(Protocol):
    def cards(self) -> list[int]: ...
    def devices(self, card: int) -> int: ...
    def chip_name(self, card: int, dev: int) -> str: ...
    def utilization(self, card: int, dev: int, kind: int) -> int: ...
    def temperature(self, card: int, dev: int) -> int: ...
    def power_decawatts(self, card: int, dev: int) -> int: ...  # 0.1 W units
    def health(self, card: int, dev: int) -> int: ...
    def hbm_mb(self, card: int, dev: int) -> tuple[int, int]: ...  # (used, total) in MB


class _HbmInfo(ctypes.Structure):
    _fields_ = [
        ("memory_size", ctypes.c_ulonglong),  # MB
        ("freq", ctypes.c_uint),  # MHz
        ("memory_usage", ctypes.c_ulonglong),  # MB
        ("temp", ctypes.c_int),
        ("bandwith_util_rate", ctypes.c_uint),
    ]


class _ChipInfo(ctypes.Structure):
    _fields_ = [
        ("chip_type", ctypes.c_char * 32),
        ("chip_name", ctypes.c_char * 32),
        ("chip_ver", ctypes.c_char * 32),
        ("aicore_cnt", ctypes.c_uint),
    ]


class CtypesDcmi:
    """DcmiApi over a loaded libdcmi."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self._call("dcmi_init")

    def _call(self, name: str, *args: object) -> None:
        code = getattr(self.lib, name)(*args)
        if code != 0:
            raise DcmiError(f"{name} returned {code}")

    def cards(self) -> list[int]:
        num, ids = ctypes.c_int(0), (ctypes.c_int * 64)()
        self._call("dcmi_get_card_num_list", ctypes.byref(num), ids, 64)
        return list(ids[: num.value])

    def devices(self, card: int) -> int:
        n = ctypes.c_int(0)
        self._call("dcmi_get_device_num_in_card", card, ctypes.byref(n))
        return n.value

    def chip_name(self, card: int, dev: int) -> str:
        info = _ChipInfo()
        self._call("dcmi_get_device_chip_info", card, dev, ctypes.byref(info))
        name: bytes = info.chip_name
        return name.decode(errors="replace")

    def _uint(self, name: str, *args: int) -> int:
        v = ctypes.c_uint(0)
        self._call(name, *args, ctypes.byref(v))
        return v.value

    def _int(self, name: str, *args: int) -> int:
        v = ctypes.c_int(0)
        self._call(name, *args, ctypes.byref(v))
        return v.value

    def utilization(self, card: int, dev: int, kind: int) -> int:
        return self._uint("dcmi_get_device_utilization_rate", card, dev, kind)

    def temperature(self, card: int, dev: int) -> int:
        return self._int("dcmi_get_device_temperature", card, dev)

    def power_decawatts(self, card: int, dev: int) -> int:
        return self._int("dcmi_get_device_power_info", card, dev)

    def health(self, card: int, dev: int) -> int:
        return self._uint("dcmi_get_device_health", card, dev)

    def hbm_mb(self, card: int, dev: int) -> tuple[int, int]:
        info = _HbmInfo()
        self._call("dcmi_get_device_hbm_info", card, dev, ctypes.byref(info))
        return int(info.memory_usage), int(info.memory_size)


def load_dcmi(paths: tuple[str, ...] = LIBRARY_PATHS) -> DcmiApi | None:
    """A DcmiApi when libdcmi loads and initialises; None otherwise (then npu-smi is used)."""
    for path in (os.environ.get("ISTHMUS_DCMI_LIB", ""), *paths):
        if not path or not Path(path).is_file():
            continue
        try:
            return CtypesDcmi(ctypes.CDLL(path))
        except (OSError, AttributeError, DcmiError):
            return None
    return None


def _device(api: DcmiApi, card: int, dev: int, multi: bool, node: str) -> DeviceReading:
    index = f"{card}.{dev}" if multi else str(card)
    try:
        name = api.chip_name(card, dev)
        health = api.health(card, dev)
    except Exception as e:  # ctypes and DCMI failures alike: this device is unreadable
        return failed_device("huawei", index, node, "dcmi", f"DCMI card {card} device {dev}: {e}")
    levels = sorted(HEALTH_LEVELS.values())
    if health not in levels:
        return failed_device("huawei", index, node, "dcmi", f"DCMI health code {health} (device absent?)", name)
    b = ReadingBuilder("huawei")
    b.put("isthmus_accel_health_status", float(health))
    b.read("isthmus_accel_utilization_ratio", lambda: float(api.utilization(card, dev, AICORE)))
    b.read("isthmus_accel_temperature_celsius", lambda: float(api.temperature(card, dev)))
    b.read("isthmus_accel_power_watts", lambda: api.power_decawatts(card, dev) / 10.0)  # 0.1 W -> W
    try:
        used, total = api.hbm_mb(card, dev)
        b.put("isthmus_accel_memory_used_bytes", float(used))
        b.put("isthmus_accel_memory_total_bytes", float(total))
    except Exception as e:
        b.missing["isthmus_accel_memory_used_bytes"] = b.missing["isthmus_accel_memory_total_bytes"] = str(e)
    b.missing["isthmus_accel_core_clock_hertz"] = "not read on the DCMI path (frequency type codes not verified)"
    return b.build(model=name, index=index, uuid="", node=node, backend="dcmi")


def read_dcmi(api: DcmiApi, node: str) -> tuple[list[DeviceReading], list[str]]:
    """Read every device DCMI lists."""
    readings: list[DeviceReading] = []
    try:
        cards = api.cards()
    except Exception as e:
        return [], [f"DCMI: cannot list cards ({e})"]
    for card in cards:
        try:
            n = api.devices(card)
        except Exception as e:
            readings.append(failed_device("huawei", str(card), node, "dcmi", f"DCMI card {card}: {e}"))
            continue
        readings += [_device(api, card, dev, n > 1, node) for dev in range(n)]
    return readings, []
