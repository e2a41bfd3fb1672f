"""The layout's import contracts (pyproject `[tool.importlinter]`) hold, and can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; 3.10 runs the same check through `make lint`


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return exe


def _run(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}  # check this checkout's sources
    return subprocess.run(
        [_lint_imports(), "--no-logo", "--no-cache", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_is_kept(repo_root: Path) -> None:
    proc = _run(repo_root)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_a_broken_contract_fails_the_check(repo_root: Path, tmp_path: Path) -> None:
    """The same check exits non-zero on a contract the code breaks (the CLI does import the assess recipe)."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "isthmus"\n\n[[tool.importlinter.contracts]]\n'
        'name = "planted"\ntype = "forbidden"\nsource_modules = ["isthmus.cli"]\n'
        'forbidden_modules = ["isthmus.assess"]\n'
    )
    proc = _run(repo_root, "--config", str(config))
    assert proc.returncode != 0 and "planted BROKEN" in proc.stdout


def test_every_private_module_is_protected(repo_root: Path) -> None:
    """A private module (`_name.py`) below a package is named in a `protected` contract for that package."""
    config = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    protected = {
        m: tuple(c["allowed_importers"]) for c in contracts if c["type"] == "protected" for m in c["protected_modules"]
    }
    src = repo_root / "src"
    private = sorted(
        ".".join(p.relative_to(src).with_suffix("").parts)
        for p in (src / "isthmus").rglob("_*.py")
        if not p.name.startswith("__") and p.parent != src / "isthmus"  # isthmus/_paths.py: the core's own helper
    )
    assert private, "expected private modules (e.g. isthmus.plan._names)"
    for name in private:
        assert name in protected, f"{name} is private but no protected contract names it"
        assert protected[name] == (name.rpartition(".")[0],), f"{name}: only its own package may import it"
