"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINYGPT = REPO / "examples" / "tinygpt"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tinygpt_dir() -> Path:
    return TINYGPT


@pytest.fixture()
def tinygpt_copy(tmp_path: Path) -> Path:
    """A writable copy of the example project (for tests that modify it)."""
    import shutil

    dest = tmp_path / "tinygpt"
    shutil.copytree(TINYGPT, dest, ignore=shutil.ignore_patterns("__pycache__", "runs"))
    return dest


@pytest.fixture()
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run the `isthmus` entry point in-process (with its top-level error handler).

    Returns (exit_code, stdout, stderr).
    """
    from isthmus.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        captured = capsys.readouterr()
        code = exc.value.code
        return (code if isinstance(code, int) else 0 if code is None else 2), captured.out, captured.err

    return run
