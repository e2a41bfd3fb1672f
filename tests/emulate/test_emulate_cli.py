"""`isthmus emulate`, `isthmus run --emulate` and the assess section, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isthmus.report import render_blocks

HERE = Path(__file__).parent
PLANTED = f"{HERE / 'emu_helpers.py'}:planted"


def _entries(path: Path) -> list[dict[str, object]]:
    data = json.loads(path.read_text())
    assert data["format"] == "isthmus-emulate/1"
    entries: list[dict[str, object]] = data["entries"]
    return entries


def test_emulate_json_and_report_file(run_cli, tmp_path: Path) -> None:
    report = tmp_path / "emu.json"
    code, out, _ = run_cli("emulate", PLANTED, "--target", "ascend-910b", "--train", "--format", "json",
                           "--report", str(report))  # fmt: skip
    assert code == 1
    printed = json.loads(out)
    assert printed["entries"] == _entries(report)
    kinds = {(e["kind"], tuple(e["dtypes"]), e["module"]) for e in printed["entries"]}  # type: ignore[arg-type]
    assert ("fallback", (), "stages.2") in kinds and ("dtype", ("float64",), "stages.0") in kinds


def test_emulate_cuda_profile_is_clean(run_cli) -> None:
    code, out, _ = run_cli("emulate", PLANTED, "--target", "cuda", "--format", "json")
    assert code == 0 and json.loads(out)["entries"] == []


def test_emulate_text_and_strict(run_cli) -> None:
    code, out, _ = run_cli("emulate", PLANTED, "--target", "ascend-910b")
    assert code == 1 and "stages.2" in out and "emu_helpers.py" in out and "float64" in out
    code, out, _ = run_cli("emulate", PLANTED, "--target", "ascend-910b", "--strict", "--format", "json")
    entries = json.loads(out)["entries"]
    assert code == 1 and entries[-1]["kind"] == "crash" and entries[-1]["op"] == "EmulationError"
    failing = [e for e in entries[:-1] if e["behaviour"] == "error" or e["kind"] in ("fallback", "unsupported")]
    assert failing == [entries[-2]]  # stopped at the first failure (downcasts before it are recorded, not fatal)
    assert failing[0]["dtypes"] == ["complex128"] and failing[0]["module"] == "stages.1"


def test_crash_is_written_as_last_entry(run_cli, tmp_path: Path) -> None:
    report = tmp_path / "emu.json"
    code, _, err = run_cli("emulate", f"{HERE / 'emu_helpers.py'}:crashing", "--report", str(report))
    assert code == 1 and "model crashed" in err
    last = _entries(report)[-1]
    assert last["kind"] == "crash" and "model crashed" in str(last["note"])
    assert "emu_helpers.py:" in str(last["source"]) and "raise" in str(last["code"])


def test_factory_that_raises_is_bad_input_and_writes_nothing(run_cli, tmp_path: Path) -> None:
    """The model never ran: exit 2, one line naming the factory's error, and no report (nothing to report)."""
    report = tmp_path / "emu.json"
    code, _, err = run_cli("emulate", f"{HERE / 'emu_helpers.py'}:broken_factory", "--report", str(report))
    assert code == 2 and "factory failed" in err and not report.exists()


def test_factory_that_raises_prints_no_summary(run_cli) -> None:
    code, out, err = run_cli("emulate", f"{HERE / 'emu_helpers.py'}:broken_factory")
    assert code == 2 and out == "" and "no problems" not in err
    assert len(err.strip().splitlines()) == 1 and "factory failed" in err


def test_model_crash_during_the_run_is_a_finding(run_cli) -> None:
    code, out, err = run_cli("emulate", f"{HERE / 'emu_helpers.py'}:crashing", "--target", "ascend-910b")
    assert code == 1
    assert "crashed: ValueError: model crashed" in out and "ValueError" in err


def test_missing_model_file_writes_no_report(run_cli, tmp_path: Path) -> None:
    report = tmp_path / "emu.json"
    code, out, err = run_cli("emulate", str(tmp_path / "nope.py") + ":f", "--report", str(report))
    assert code == 2 and out == "" and "does not exist" in err and not report.exists()


def test_bad_input(run_cli) -> None:
    code, _, err = run_cli("emulate", PLANTED, "--target", "ascend-910x")
    assert code == 2 and "ascend-910" in err
    code, _, err = run_cli("emulate", "no/such/file.py:f")
    assert code == 2 and "does not exist" in err


@pytest.mark.slow
def test_run_emulate_tinygpt_completes_and_ignores_host_init(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "emu.json"
    code, out, err = run_cli("run", "--emulate", "ascend-910b", "--emulate-report", str(report),
                             str(tinygpt_dir / "train.py"), "--steps", "2", "--batch-size", "2")  # fmt: skip
    assert code == 0, err
    assert "done: 2 steps" in out
    data = json.loads(report.read_text())
    assert data["device_calls"] > 100
    # the float64 rotary table is computed on the host before .cuda(): not a device problem
    assert not any("float64" in e["dtypes"] for e in data["entries"])


@pytest.mark.slow
def test_run_emulate_strict_stops_at_first_failure(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "emu.json"
    code, out, _ = run_cli("run", "--emulate", "ascend-910a", "--strict", "--emulate-report", str(report),
                           str(tinygpt_dir / "train.py"), "--steps", "2", "--batch-size", "2")  # fmt: skip
    assert code == 1 and "step" not in out  # no step completed
    entries = _entries(report)
    assert entries[-1]["kind"] == "crash" and entries[-1]["op"] == "EmulationError"
    assert "bfloat16" in str(entries[-1]["note"]) and "model.py:" in str(entries[-1]["source"])


def test_run_emulate_script_crash_and_device_tracking(run_cli, tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        "import torch\n"
        "host = torch.arange(4, dtype=torch.float64) * 2\n"
        "class Net(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return (x.double() * 2).float()\n"
        "Net()(torch.randn(2, 4).cuda())\n"
        "raise KeyError('script failed')\n"
    )
    report = tmp_path / "emu.json"
    code, _, _ = run_cli("run", "--emulate", "ascend-910b", "--emulate-report", str(report), str(script))
    assert code == 1
    entries = _entries(report)
    doubles = [e for e in entries if "float64" in e["dtypes"]]  # type: ignore[operator]
    assert doubles and all(e["module"] == "" and "prog.py:5" in str(e["source"]) for e in doubles)
    assert entries[-1]["kind"] == "crash" and entries[-1]["op"] == "KeyError"
    assert str(entries[-1]["source"]).endswith("prog.py:7")


def test_run_emulate_needs_target(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("run", "--strict", str(tmp_path / "x.py"))
    assert code == 2 and "--emulate" in err


def test_assess_section(tinygpt_copy: Path, tmp_path: Path) -> None:
    import shutil

    from isthmus.assess.model import AssessContext
    from isthmus.assess.sections.emulate import section
    from isthmus.project import Project

    clean = section(AssessContext(Project.load(tinygpt_copy), ("cuda", "ascend-910b"), tmp_path, quick=True))
    assert set(clean.data) == {"ascend-910b"}  # Ascend targets only
    assert clean.status == "pass" and (tmp_path / "emulate-ascend-910b.json").is_file()

    shutil.copy(HERE / "emu_helpers.py", tinygpt_copy / "emu_helpers.py")
    toml = tinygpt_copy / "isthmus.toml"
    toml.write_text(toml.read_text().replace('"model.py:tiny"', '"emu_helpers.py:planted"'))
    planted = section(AssessContext(Project.load(tinygpt_copy), ("ascend-910b",), tmp_path, quick=True))
    assert (
        planted.status == "fail"
        and "stages.2" in render_blocks(planted.blocks)
        and "complex128" in render_blocks(planted.blocks)
    )
