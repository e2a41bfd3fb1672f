"""NVML stubs, recorded npu-smi outputs and a DCMI stub all map onto one schema, in its units."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from monitor_stubs import FakeGpu, StubDcmi, fake_nvml, npu_smi_runner, recorded

from isthmus.monitor import Sources, load_schema, take_snapshot
from isthmus.monitor.ascend import read_npu_smi
from isthmus.monitor.dcmi import read_dcmi
from isthmus.monitor.nvml import read_all

MIB = 2**20


def _910b_runner(**overrides: str) -> object:
    pages = {
        ("info",): recorded("npu_smi_info_910b.txt"),
        ("info", "-t", "common", "-i", "0"): recorded("npu_smi_common_910b.txt"),
        ("info", "-t", "board", "-i", "0"): recorded("npu_smi_board_910b.txt"),
    }
    pages.update({tuple(k.split()): v for k, v in overrides.items()})
    return npu_smi_runner(pages)


def test_nvml_stub_maps_to_schema_units() -> None:
    (dev,), notes = read_all(fake_nvml([FakeGpu()]), "n1")
    assert notes == [] and not dev.error
    assert dev.labels() == {
        "vendor": "nvidia",
        "model": "NVIDIA H200",
        "index": "0",
        "uuid": "GPU-00000000-1111-2222-3333-444444444444",
        "node": "n1",
    }
    assert dev.value("isthmus_accel_utilization_ratio") == pytest.approx(0.87)
    assert dev.value("isthmus_accel_memory_used_bytes") == 60 * 2**30
    assert dev.value("isthmus_accel_power_watts") == pytest.approx(412.345)
    assert dev.value("isthmus_accel_core_clock_hertz") == 1980e6
    assert dev.value("isthmus_accel_ecc_errors_total", type="correctable") == 3
    assert dev.value("isthmus_accel_ecc_errors_total", type="uncorrectable") == 0
    assert dev.value("isthmus_accel_link_errors_total") == 3  # links 0, 1, 5
    assert "isthmus_accel_health_status" not in dev.values  # NVML has no health level: nothing invented


def test_nvml_unsupported_queries_are_missing_not_zero() -> None:
    gpu = FakeGpu(ecc=None, nvlinks={}, unsupported=frozenset({"nvmlDeviceGetPowerUsage"}))
    (dev,), _ = read_all(fake_nvml([gpu]), "n1")
    for metric in ("isthmus_accel_power_watts", "isthmus_accel_ecc_errors_total", "isthmus_accel_link_errors_total"):
        assert metric not in dev.values and dev.missing[metric]
    assert dev.missing["isthmus_accel_link_errors_total"] == "no active NVLink"
    assert dev.value("isthmus_accel_temperature_celsius") == 51


def test_nvml_lost_gpu_is_a_per_device_error_and_no_driver_is_a_note() -> None:
    devs, _ = read_all(fake_nvml([FakeGpu(), FakeGpu(uuid="GPU-b")], broken_handles=frozenset({0})), "n1")
    assert devs[0].error == "NVML: GPU is lost" and not devs[0].values
    assert devs[1].uuid == "GPU-b" and not devs[1].error
    assert read_all(fake_nvml([], init_error="Driver Not Loaded"), "n1") == (
        [],
        ["NVML: not available (Driver Not Loaded)"],
    )


def test_910b_recording_maps_to_schema_units() -> None:
    devs, _ = read_npu_smi(_910b_runner(), "n2")
    d0, d1 = devs
    assert d0.labels() == {
        "vendor": "huawei",
        "model": "910B3",
        "index": "0",
        "uuid": "102400000TEST0001",
        "node": "n2",
    }
    assert d0.value("isthmus_accel_utilization_ratio") == pytest.approx(0.87)
    assert d0.value("isthmus_accel_memory_used_bytes") == 59356 * MIB
    assert d0.value("isthmus_accel_memory_total_bytes") == 65536 * MIB
    assert d0.value("isthmus_accel_power_watts") == 187.5 and d0.value("isthmus_accel_temperature_celsius") == 47
    assert d0.value("isthmus_accel_core_clock_hertz") == 1650e6
    assert d0.value("isthmus_accel_health_status") == 0 and d1.value("isthmus_accel_health_status") == 1
    # NPU 1's common/board pages are not in the recording: its clock is missing with the tool's message, no zero
    assert (
        "isthmus_accel_core_clock_hertz" not in d1.values
        and "-t common -i 1: exit 255" in d1.missing["isthmus_accel_core_clock_hertz"]
    )
    assert d1.uuid == "" and not d1.error


def test_a3_recording_indexes_chips_and_leaves_second_chip_power_missing() -> None:
    devs, _ = read_npu_smi(npu_smi_runner({("info",): recorded("npu_smi_info_a3.txt")}), "n3")
    assert [d.index for d in devs] == ["0.0", "0.1", "1.0", "1.1"]
    assert devs[0].value("isthmus_accel_power_watts") == 171.3
    assert "isthmus_accel_power_watts" not in devs[1].values
    assert "first chip" in devs[1].missing["isthmus_accel_power_watts"]
    assert devs[1].value("isthmus_accel_memory_used_bytes") == 46582 * MIB


def test_malformed_and_truncated_npu_smi_are_per_device_errors() -> None:
    text = recorded("npu_smi_info_910b.txt").replace("187.5       47", "18x.5       47", 1)
    devs, _ = read_npu_smi(_910b_runner(info=text), "n2")
    ok = [d for d in devs if not d.error]
    (bad,) = [d for d in devs if d.error]
    assert [d.index for d in ok] == ["1"] and bad.index == "0" and "Power(W)" in bad.error and not bad.values
    common = recorded("npu_smi_common_910b.txt").replace(": 1650", ": fast")
    devs, _ = read_npu_smi(_910b_runner(**{"info -t common -i 0": common}), "n2")
    assert "Aicore curFreq(MHZ)" in devs[0].error and devs[0].value("isthmus_accel_power_watts") == 187.5
    (failed,), _ = read_npu_smi(npu_smi_runner({("info",): "Error: device not ready\n"}), "n2")
    assert failed.error.startswith("npu-smi info: no device table") and failed.vendor == "huawei"


def test_dcmi_stub_maps_to_schema_units() -> None:
    api = StubDcmi(
        {
            (0, 0): {"name": "910B3", "aicore": 55, "temp": 44, "power_dw": 1875, "health": 0, "hbm": (3000, 65536)},
            (1, 0): {
                "name": "910B3",
                "aicore": 0,
                "temp": 40,
                "power_dw": 900,
                "health": 2,
                "hbm": OSError("code -8005"),
            },
            (2, 0): {"name": "910B3", "aicore": 0, "temp": 40, "power_dw": 900, "health": 0xFFFFFFFF, "hbm": (0, 0)},
        }
    )
    devs, notes = read_dcmi(api, "n4")
    assert notes == [] and [d.index for d in devs] == ["0", "1", "2"]
    assert devs[0].value("isthmus_accel_power_watts") == 187.5  # 0.1 W units
    assert devs[0].value("isthmus_accel_memory_used_bytes") == 3000 * MIB
    assert (
        devs[1].value("isthmus_accel_health_status") == 2
        and "code -8005" in devs[1].missing["isthmus_accel_memory_used_bytes"]
    )
    assert "health code" in devs[2].error and not devs[2].values


def test_both_vendors_share_one_schema() -> None:
    npu1 = {"info -t common -i 1": recorded("npu_smi_common_910b.txt")}
    snap = take_snapshot(Sources(nvml=fake_nvml([FakeGpu()]), npu_smi=_910b_runner(**npu1)), "mixed")
    assert {d.vendor for d in snap.devices} == {"nvidia", "huawei"}
    names = {m.name for m in load_schema().metrics}
    common = {
        "isthmus_accel_utilization_ratio",
        "isthmus_accel_memory_used_bytes",
        "isthmus_accel_memory_total_bytes",
        "isthmus_accel_power_watts",
        "isthmus_accel_temperature_celsius",
        "isthmus_accel_core_clock_hertz",
    }
    for d in snap.devices:
        assert set(d.values) <= names and common <= set(d.values), d.index
        assert set(d.labels()) == {"vendor", "model", "index", "uuid", "node"}


def test_dcmi_wins_over_npu_smi_and_a_crashing_backend_is_a_note() -> None:
    api = StubDcmi({(0, 0): {"name": "910B3", "aicore": 1, "temp": 40, "power_dw": 900, "health": 0, "hbm": (1, 2)}})
    snap = take_snapshot(Sources(dcmi=api, npu_smi=_910b_runner()), "n")
    assert [d.backend for d in snap.devices] == ["dcmi"]

    class Exploding(StubDcmi):
        def cards(self) -> list[int]:
            raise RuntimeError("boom")

    snap = take_snapshot(Sources(dcmi=Exploding({})), "n")
    assert snap.devices == () and snap.notes == ("DCMI: cannot list cards (boom)",)


def test_nvml_stub_matches_the_real_pynvml_names_and_constants() -> None:
    pynvml = pytest.importorskip("pynvml")
    fake = fake_nvml([FakeGpu()])
    for name, value in vars(fake).items():
        if name.startswith("NVML_") and name != "NVML_NVLINK_MAX_LINKS":
            assert getattr(pynvml, name) == value, name
        elif name.startswith("nvml"):
            assert callable(getattr(pynvml, name)), name
