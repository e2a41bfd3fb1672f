"""Malformed user YAML gives the same one-line error from every command that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.datafiles import read_yaml
from isthmus.errors import ExitCode, InputError


def test_read_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("a: 1\nb: [\n")
    with pytest.raises(InputError) as e:
        read_yaml(f)
    assert "line 3" in str(e.value) and "\n" not in str(e.value)


def test_read_yaml_reports_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_yaml(tmp_path / "missing.yaml", what="fleet")


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "{f}"],
        ["plan", "--sweep", "{f}"],
        [
            "compliance",
            "check",
            "--chip",
            "H20",
            "--to",
            "CN",
            "--actor",
            "hq=DE",
            "--date",
            "2026-03-01",
            "--scenario",
            "{f}",
        ],
    ],
)
def test_every_yaml_reader_fails_in_one_line(run_cli, tmp_path: Path, args: list[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("garbage: [\n")
    code, _, err = run_cli(*[a.format(f=f) for a in args])
    assert code == ExitCode.USAGE
    assert err.count("\n") == 1 and "malformed YAML at line" in err
