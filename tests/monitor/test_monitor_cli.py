"""`isthmus monitor`: JSON-only stdout, exit codes, one-line install hints, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from monitor_stubs import FakeGpu, fake_nvml, npu_smi_runner, recorded

import isthmus.monitor.collect as collect
from isthmus.monitor import Sources


@pytest.fixture()
def stub_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def detect(backend: str = "auto") -> Sources:
        return Sources(
            nvml=fake_nvml([FakeGpu()]), npu_smi=npu_smi_runner({("info",): recorded("npu_smi_info_a3.txt")})
        )

    monkeypatch.setattr(collect, "detect", detect)
    monkeypatch.setattr("isthmus.monitor.detect", detect)


def test_snapshot_json_is_json_only(run_cli, stub_host) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("monitor", "snapshot", "--format", "json", "--node", "rack1-n07")
    doc = json.loads(out)
    assert code == 0 and doc["format"] == "isthmus-monitor/1" and doc["node"] == "rack1-n07"
    assert [d["vendor"] for d in doc["devices"]] == ["nvidia"] + ["huawei"] * 4
    power = doc["devices"][2]["missing"]["isthmus_accel_power_watts"]
    assert "first chip" in power


def test_snapshot_text_and_exit_1_on_unreadable_device(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broken = recorded("npu_smi_info_a3.txt").replace("171.3       41", "171.3       4?", 1)
    sources = Sources(npu_smi=npu_smi_runner({("info",): broken}))
    monkeypatch.setattr("isthmus.monitor.detect", lambda backend="auto": sources)
    code, out, _ = run_cli("monitor", "snapshot")
    assert code == 1 and "error: huawei 0.0: npu-smi info, NPU 0.0: Temp(C)" in out


def test_missing_dependencies_give_the_install_command(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails as if nvidia-ml-py were absent
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.setattr("isthmus.monitor.dcmi.load_dcmi", lambda *a: None)
    monkeypatch.setattr("isthmus.monitor.ascend.npu_smi_path", lambda: None)
    code, out, err = run_cli("monitor", "snapshot", "--backend", "nvidia", "--format", "json")
    assert code == 2 and out == "" and "pip install 'isthmus[monitor]'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("monitor", "serve", "--port", "0")
    assert code == 2 and "prometheus-client is not installed" in err and "isthmus[monitor]" in err
    code, _, err = run_cli("monitor", "snapshot")  # auto with no Ascend interface either: say what to install
    assert code == 2 and "nvidia-ml-py" in err


def test_ascend_only_host_needs_no_nvml(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr("isthmus.monitor.dcmi.load_dcmi", lambda *a: None)
    monkeypatch.setattr("isthmus.monitor.ascend.npu_smi_path", lambda: "/usr/local/sbin/npu-smi")
    runner = npu_smi_runner({("info",): recorded("npu_smi_info_910b.txt")})
    monkeypatch.setattr("isthmus.monitor.ascend.subprocess_runner", lambda exe="npu-smi": runner)
    code, out, _ = run_cli("monitor", "snapshot", "--format", "json")
    assert code == 0 and {d["model"] for d in json.loads(out)["devices"]} == {"910B3"}


def test_bad_port_is_a_usage_error(run_cli, stub_host) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("monitor", "serve", "--port", "70000")
    assert code == 2 and "--port 70000" in err


def test_schema_command(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("monitor", "schema", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["metrics"][0]["name"] == "isthmus_accel_utilization_ratio"
    assert any(m["theirs"] == "DCGM_FI_DEV_FB_USED" for m in doc["migration"])


def test_help_imports_no_vendor_module() -> None:
    code = (
        "import sys; from isthmus.cli import main\n"
        "for args in (['--help'], ['monitor', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('torch', 'pynvml', 'prometheus_client') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "monitor" in out and out.strip().splitlines()[-1] == "[]"
