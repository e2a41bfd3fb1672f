"""The assess section: a snapshot in the monitor schema, or "no accelerators: skipped"."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from monitor_stubs import FakeGpu, fake_nvml, npu_smi_runner, recorded

from isthmus.assess.model import AssessContext
from isthmus.assess.sections.telemetry import section
from isthmus.monitor import Sources
from isthmus.project import Project
from isthmus.report import render_blocks


def _ctx(tinygpt_dir: Path, tmp_path: Path) -> AssessContext:
    return AssessContext(project=Project.load(tinygpt_dir), targets=("cuda",), work_dir=tmp_path, quick=True)


def test_section_with_accelerators(tinygpt_dir: Path, tmp_path: Path) -> None:
    sources = Sources(nvml=fake_nvml([FakeGpu()]), npu_smi=npu_smi_runner({("info",): recorded("npu_smi_info_a3.txt")}))
    r = section(_ctx(tinygpt_dir, tmp_path), sources)
    assert r.status == "pass" and r.summary.startswith("5 device(s) (huawei, nvidia)")
    assert (
        r.data["format"] == "isthmus-monitor/1"
        and "NVIDIA H200" in render_blocks(r.blocks)
        and "<script" not in render_blocks(r.blocks)
    )


def test_section_without_accelerators_is_skipped(tinygpt_dir: Path, tmp_path: Path) -> None:
    r = section(_ctx(tinygpt_dir, tmp_path), Sources(nvml=fake_nvml([], init_error="Driver Not Loaded")))
    assert r.status == "skipped" and r.summary == "no accelerators: skipped"
    assert "Driver Not Loaded" in render_blocks(r.blocks)


def test_section_warns_on_unreadable_device(tinygpt_dir: Path, tmp_path: Path) -> None:
    broken = recorded("npu_smi_info_910b.txt").replace("| OK            | 187.5", "| UNKNOWN       | 187.5", 1)
    r = section(_ctx(tinygpt_dir, tmp_path), Sources(npu_smi=npu_smi_runner({("info",): broken})))
    assert r.status == "warn" and "1 unreadable" in r.summary and "UNKNOWN" in render_blocks(r.blocks)


def test_section_without_nvml_says_what_to_install(tinygpt_dir: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr("isthmus.monitor.dcmi.load_dcmi", lambda *a: None)
    monkeypatch.setattr("isthmus.monitor.ascend.npu_smi_path", lambda: None)
    r = section(_ctx(tinygpt_dir, tmp_path))
    assert r.status == "skipped" and "isthmus[monitor]" in r.summary
