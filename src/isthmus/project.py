"""A user project on disk: its root, its `isthmus.toml` settings, and a safe walk over its files.

Every capability that looks at a project (scan, assess, inventory) walks it through `Project.files()`, which skips
virtual environments and build output, never follows a symlink out of the tree or into a loop, and reports
unreadable entries instead of crashing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from isthmus.errors import InputError
from isthmus.schema import StrictModel, describe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".eggs",
        "site-packages",
    }
)
CONFIG_FILE = "isthmus.toml"


def _default_targets() -> tuple[str, ...]:
    from isthmus.targets import defaults

    return defaults()


@dataclass(frozen=True)
class ProjectConfig:
    """The `[assess]` table of a project's `isthmus.toml` (every key optional)."""

    model: str | None = None  # "file.py:factory" returning nn.Module or (module, example_inputs)
    train_script: str | None = None  # a CUDA-style training script, run under `isthmus run`
    train_args: tuple[str, ...] = ()
    fleet: Path | None = None  # a fleet YAML for `isthmus plan`, resolved against the project root
    targets: tuple[str, ...] = field(default_factory=lambda: _default_targets())


class AssessTable(StrictModel):
    """The `[assess]` table as written in `isthmus.toml` (validated; `ProjectConfig` is what the code reads)."""

    model: str | None = None
    train_script: str | None = None
    train_args: list[str] = Field(default_factory=list)  # TOML arrays: lists here, tuples in ProjectConfig
    fleet: str | None = None  # relative to the project root
    targets: list[str] = Field(default_factory=lambda: list(_default_targets()))


@dataclass(frozen=True)
class Project:
    """A directory of user code, validated on load."""

    root: Path
    config: ProjectConfig = field(default_factory=ProjectConfig)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Project:
        """Validate `path` as a project directory and read its `isthmus.toml` if present."""
        root = Path(path).expanduser()
        if not root.exists():
            raise InputError(f"{root}: no such directory", hint="pass the path of a project directory")
        if not root.is_dir():
            raise InputError(f"{root}: is a file, not a directory", hint="pass the directory that contains it")
        if not os.access(root, os.R_OK | os.X_OK):
            raise InputError(f"{root}: permission denied", hint="make the directory readable")
        root = root.resolve()
        project = cls(root=root, config=_read_config(root))
        if next(project.files(), None) is None:
            raise InputError(f"{root}: the project is empty (no files)", hint="point at a directory with code")
        return project

    def check_config(self) -> None:
        """Check that what `isthmus.toml` names exists (model file, train_script, fleet): InputError otherwise.

        Separate from `load` because scanning a project must not depend on its assess settings being right.
        """
        c, where = self.config, self.root / CONFIG_FILE
        if c.model:
            from isthmus.models import check_spec

            target, sep, attr = c.model.rpartition(":")
            local = f"{self.root / target}:{attr}" if sep and target.endswith(".py") else c.model
            if not sep and (self.root / c.model).exists():
                local = str(self.root / c.model)
            try:
                check_spec(local)
            except InputError as e:
                raise InputError(f"{where}: [assess] model: {e.message}", hint=e.hint) from e
        if c.train_script and not (self.root / c.train_script).is_file():
            raise InputError(
                f"{where}: [assess] train_script {c.train_script} does not exist", hint="give a path relative to it"
            )
        if c.fleet is not None and not c.fleet.is_file():
            raise InputError(f"{where}: [assess] fleet {c.fleet} does not exist", hint="give a path relative to it")
        from isthmus.targets import canonical

        try:
            canonical(c.targets)
        except InputError as e:
            raise InputError(f"{where}: [assess] targets: {e.message}", hint=e.hint) from e

    def files(self, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
        """Yield regular files under the root, sorted per directory, filtered by suffix when given."""
        yield from walk_files(self.root, suffixes)

    def rel(self, path: Path) -> str:
        """`path` relative to the project root, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def walk_files(root: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
    """Depth-first walk that skips SKIP_DIRS, hidden directories and symlinked directories (no loops)."""
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: callers that care check access themselves
        subdirs = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name not in SKIP_DIRS and not e.name.startswith("."):
                        subdirs.append(Path(e.path))
                elif e.is_file(follow_symlinks=False) and (suffixes is None or e.name.endswith(suffixes)):
                    yield Path(e.path)
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def _read_config(root: Path) -> ProjectConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        return ProjectConfig()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}", hint="fix the TOML syntax") from e
    table = data.get("assess", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [assess] must be a table")
    try:
        spec = AssessTable.model_validate(table)
    except ValidationError as e:
        what = describe(e)
        hint = f"[assess] keys: {', '.join(AssessTable.model_fields)}" if what.endswith("unknown key") else None
        raise InputError(f"{path}: [assess] {what}", hint=hint) from e
    return ProjectConfig(
        model=spec.model,
        train_script=spec.train_script,
        train_args=tuple(spec.train_args),
        fleet=(root / spec.fleet).resolve() if spec.fleet else None,
        targets=tuple(spec.targets),
    )
