"""`isthmus assess`: the report's sections, and bad input that must leave nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from isthmus.errors import ExitCode
from isthmus.files import atomic_output_dir, atomic_write_text


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
    from isthmus.project import Project
    from isthmus.report import runner

    monkeypatch.setattr(
        runner,
        "SECTIONS",
        (
            ("boom", "Boom", "isthmus.report.inventory:does_not_exist"),
            ("inventory", "Project inventory", "isthmus.report.inventory:section"),
        ),
    )
    report = runner.run_assess(Project.load(tinygpt_dir), tmp_path)
    assert [s.status for s in report.sections] == ["error", "pass"]
    assert "does_not_exist" in report.sections[0].summary


def test_sections_get_an_absolute_work_dir_for_a_relative_out(monkeypatch, tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.project import Project
    from isthmus.report import runner

    seen: list[Path] = []
    real = runner.run_assess

    def spy(project, work_dir, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(work_dir)
        return real(project, work_dir, *args, **kwargs)

    monkeypatch.setattr(runner, "run_assess", spy)
    monkeypatch.chdir(tmp_path)
    runner.write_report(Project.load(tinygpt_dir), Path("rel-out"), only=frozenset({"inventory"}))
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
