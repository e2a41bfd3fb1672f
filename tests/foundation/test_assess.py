"""`isthmus assess`: the report's sections, and bad input that must leave nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from isthmus.errors import ExitCode
from isthmus.files import atomic_output_dir, atomic_write_text
from isthmus.report import render_blocks


def test_assess_inventory_and_environment(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, _, err = run_cli(
        "assess", str(tinygpt_dir), "--out", str(out), "--only", "environment", "--only", "inventory"
    )
    assert code == 0, err
    data = json.loads((out / "report.json").read_text())
    sections = {s["key"]: s for s in data["sections"]}
    assert set(sections) == {"environment", "inventory"}
    inv = sections["inventory"]["data"]
    py_files = [p for p in tinygpt_dir.rglob("*.py") if "__pycache__" not in p.parts]
    assert inv["files"]["Python"] == len(py_files) and inv["files"]["CUDA"] == 1
    assert inv["lines"]["Python"] == sum(len(p.read_text().splitlines()) for p in py_files)
    assert "PyTorch" in inv["frameworks"] and "flash-attn" in inv["frameworks"]
    assert {"train.py", "generate.py", "launch.sh"} <= set(inv["entry_points"])
    html = (out / "report.html").read_text()
    assert 'id="sec-inventory"' in html and 'id="sec-environment"' in html
    assert "<script" not in html  # self-contained and static


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_bad_project_path(run_cli, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "proj"
    if kind == "file":
        target.write_text("x = 1\n")
    elif kind == "empty":
        target.mkdir()
    out = tmp_path / "out"
    code, _, err = run_cli("assess", str(target), "--out", str(out))
    assert code == ExitCode.USAGE
    assert err.startswith("isthmus: error:") and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_project(run_cli, tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a.py").write_text("x = 1\n")
    proj.chmod(0)
    try:
        code, _, err = run_cli("assess", str(proj), "--out", str(tmp_path / "out"))
    finally:
        proj.chmod(0o755)
    assert code == ExitCode.USAGE and "permission" in err


def test_malformed_project_config(run_cli, tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "isthmus.toml").write_text("[assess]\nmodel = 3\n")
    code, _, err = run_cli("assess", str(proj), "--out", str(tmp_path / "out"))
    assert code == ExitCode.USAGE and "model" in err


def test_failed_build_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_output_dir(out) as d:
        (d / "report.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_output_dir(out) as d:
        (d / "report.json").write_text("half")
        raise RuntimeError("crash mid-write")
    assert (out / "report.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    p = tmp_path / "f.txt"
    atomic_write_text(p, "one")
    atomic_write_text(p, "two")
    assert p.read_text() == "two" and len(list(tmp_path.iterdir())) == 1


def test_section_that_raises_becomes_error_section(monkeypatch, tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.assess import runner
    from isthmus.project import Project

    monkeypatch.setattr(
        runner,
        "SECTIONS",
        (
            ("boom", "Boom", "isthmus.assess.sections.inventory:does_not_exist"),
            ("inventory", "Project inventory", "isthmus.assess.sections.inventory:section"),
        ),
    )
    report = runner.run_assess(Project.load(tinygpt_dir), tmp_path)
    assert [s.status for s in report.sections] == ["error", "pass"]
    assert "does_not_exist" in report.sections[0].summary


def test_sections_get_an_absolute_work_dir_for_a_relative_out(monkeypatch, tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.project import Project
    from isthmus.report import writer

    seen: list[Path] = []
    real = writer.run_assess

    def spy(project, work_dir, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(work_dir)
        return real(project, work_dir, *args, **kwargs)

    monkeypatch.setattr(writer, "run_assess", spy)
    monkeypatch.chdir(tmp_path)
    writer.write_report(Project.load(tinygpt_dir), Path("rel-out"), only=frozenset({"inventory"}))
    assert seen and seen[0].is_absolute()
    assert (tmp_path / "rel-out" / "report.json").is_file()


@pytest.mark.parametrize("command", [["assess", "{proj}", "--only", "inventory"], ["plan", "{fleet}"]])
def test_out_never_replaces_a_directory_isthmus_did_not_write(
    run_cli, tinygpt_dir: Path, repo_root: Path, tmp_path: Path, command: list[str]
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important.txt").write_text("keep me")
    args = [a.format(proj=tinygpt_dir, fleet=repo_root / "examples" / "fleet.yaml") for a in command]
    code, _, err = run_cli(*args, "--out", str(victim))
    assert code == ExitCode.USAGE and "refusing" in err
    assert (victim / "important.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim"]


def test_out_that_is_a_file_is_refused(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "report"
    f.write_text("x")
    code, _, err = run_cli("assess", str(tinygpt_dir), "--only", "inventory", "--out", str(f))
    assert code == ExitCode.USAGE and "not a directory" in err and f.read_text() == "x"


def test_rewrite_of_own_output_and_permissions_follow_umask(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        for _ in range(2):  # the second run replaces the first run's directory
            code, _, err = run_cli("assess", str(tinygpt_dir), "--only", "inventory", "--out", str(out))
            assert code == 0, err
    finally:
        os.umask(old)
    assert (out / "report.json").stat().st_mode & 0o777 == 0o644
    assert out.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize(
    ("toml", "args", "words"),
    [
        ("[assess]\nmodel = 3\n", (), "model"),
        ("[assess\n", (), "TOML"),
        ('[assess]\nmodel = "missing.py:f"\n', (), "missing.py"),
        ('[assess]\ntrain_script = "train.py"\n', (), "train_script"),
        ('[assess]\nfleet = "fleet.yaml"\n', (), "fleet"),
        ("", ("--target", "bogus"), "bogus"),
        ('[assess]\ntargets = ["ascend-999"]\n', (), "ascend-999"),
    ],
)
def test_bad_settings_exit_2_with_one_line(
    run_cli, tmp_path: Path, toml: str, args: tuple[str, ...], words: str
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a.py").write_text("x = 1\n")
    (proj / "isthmus.toml").write_text(toml)
    out = tmp_path / "out"
    code, stdout, err = run_cli("assess", str(proj), "--out", str(out), *args)
    assert code == ExitCode.USAGE and words in err and err.count("\n") == 1 and stdout == ""
    assert not out.exists()


@pytest.mark.slow
def test_json_format_prints_only_json_on_stdout(tinygpt_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    cmd = [
        sys.executable,
        "-m",
        "isthmus",
        "assess",
        str(tinygpt_dir),
        "--out",
        str(tmp_path / "o"),
        "--format",
        "json",
    ]
    proc = subprocess.run(
        [*cmd, "--only", "inventory", "--only", "fleet"], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # the fleet solver's banner, if any, went to stderr
    assert [s["key"] for s in data["sections"]] == ["inventory", "fleet"] and "sides" in data["summary"]


@pytest.mark.slow
def test_links_point_into_the_final_report_directory(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    import re

    out = tmp_path / "out"
    code, _, err = run_cli("assess", str(tinygpt_dir), "--out", str(out), "--quick", "--only", "run")
    assert code == 0, err
    html = (out / "report.html").read_text()
    links = re.findall(r'href="([^"#]+)"', html)
    assert "artifacts/run.json" in links and all((out / link).exists() for link in links)
    assert ".tmp" not in html and ".tmp" not in (out / "report.json").read_text()
    (run,) = json.loads((out / "report.json").read_text())["sections"]
    assert run["data"]["ran_on"] == "cpu" or run["data"]["ran_on"].startswith(("cuda", "npu"))
    assert "train.py ran on" in run["summary"]


def _fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CUDA device as the report sees it, whose records are made on the CPU (the code path, without a GPU)."""
    from isthmus.assess.hardware import HostAccelerator
    from isthmus.assess.sections import parity as parity_section

    real = parity_section.record_against
    monkeypatch.setattr(parity_section, "host_accelerator", lambda: HostAccelerator("cuda", "cuda", "Stub GPU", "test"))
    monkeypatch.setattr(
        parity_section, "record_against", lambda spec, ref, device, **kw: real(spec, ref, device="cpu", **kw)
    )


@pytest.mark.slow
def test_parity_with_an_accelerator_compares_it_with_cpu_and_emulated_ascend(
    monkeypatch: pytest.MonkeyPatch, tinygpt_dir: Path, tmp_path: Path
) -> None:
    from isthmus.assess.model import AssessContext
    from isthmus.assess.sections.parity import section
    from isthmus.project import Project

    _fake_gpu(monkeypatch)
    work = tmp_path / "artifacts"
    work.mkdir()
    result = section(AssessContext(Project.load(tinygpt_dir), ("cuda", "ascend-910b"), work, quick=True))
    comparisons = result.data["comparisons"]
    assert {"cuda fp32 vs cpu fp32", "cuda bf16 autocast vs cpu fp32"} <= set(comparisons)
    assert "emulated ascend-910b vs cuda bf16 autocast" in comparisons
    assert "recorded on cuda (Stub GPU)" in result.summary and result.data["records"] == "artifacts/parity"
    assert (work / "parity" / "cuda-bf16-autocast").is_dir()
    assert render_blocks(result.blocks).count('class="series"') == len(
        comparisons
    )  # one line per comparison in the chart


@pytest.mark.gpu
def test_parity_and_run_use_the_gpu(run_cli, tinygpt_dir: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():  # isthmus: ignore[IST101]
        pytest.skip("needs an NVIDIA GPU")
    out = tmp_path / "out"
    code, _, err = run_cli(
        "assess", str(tinygpt_dir), "--out", str(out), "--quick", "--only", "parity", "--only", "run"
    )
    assert code == 0, err
    sections = {s["key"]: s for s in json.loads((out / "report.json").read_text())["sections"]}
    run = sections["run"]["data"]
    assert run["ran_on"] == "cpu" and run["runs"][0]["ran_on"].startswith("cuda")  # redirected, then native
    assert "natively on cuda" in sections["run"]["summary"]
    assert "emulated ascend-910b vs cuda bf16 autocast" in sections["parity"]["data"]["comparisons"]


def test_text_output_keeps_brackets_and_ends_with_the_verdicts(run_cli, tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a.py").write_text("x = 1\n")
    code, _, err = run_cli("assess", str(proj), "--out", str(tmp_path / "o"), "--only", "ops")
    assert code == 0 and "no [assess] model in isthmus.toml" in err  # not eaten as console markup
    assert "not assessed: Ascend (ascend-910b)" in err and "not assessed: CUDA (cuda)" in err
