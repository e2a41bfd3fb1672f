"""`[tool.isthmus.scan]` in pyproject.toml: defaults for `isthmus scan`, overridden by command-line options.

    [tool.isthmus.scan]
    target = "npu"                      # npu | cuda | any
    select = ["ALL"]                    # code prefixes
    ignore = ["IST604"]
    exclude = ["third_party/*"]
    fail-on = "error"                   # lowest severity that makes the exit code 1
    [tool.isthmus.scan.per-file-ignores]
    "src/mypkg/backends/cuda.py" = ["ALL"]

The nearest pyproject.toml at or above the first scanned path is used; globs are relative to its directory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isthmus.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = frozenset({"target", "select", "ignore", "exclude", "fail-on", "per-file-ignores"})
TARGETS = ("npu", "cuda", "any")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class ScanConfig:
    """The settings read from pyproject.toml (None: not set there)."""

    path: Path | None = None
    root: Path | None = None
    target: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()


def find_pyproject(start: Path) -> Path | None:
    here = start.resolve()
    for d in (here, *here.parents) if here.is_dir() else (here.parent, *here.parent.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path, explicit: Path | None = None) -> ScanConfig:
    """Read `[tool.isthmus.scan]` from `explicit` or the nearest pyproject.toml (empty config if none)."""
    path = explicit or find_pyproject(start)
    if path is None:
        return ScanConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        if explicit is None:
            return ScanConfig()  # someone else's broken pyproject: scan with defaults
        raise InputError(f"{path}: cannot read: {e}", hint="fix the TOML syntax") from e
    table = data.get("tool", {}).get("isthmus", {}).get("scan")
    if table is None:
        return ScanConfig(path=path, root=path.parent)
    if not isinstance(table, dict):
        raise InputError(f"{path}: [tool.isthmus.scan] must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise InputError(
            f"{path}: unknown key(s) in [tool.isthmus.scan]: {', '.join(unknown)}",
            hint=f"use {', '.join(sorted(KEYS))}",
        )
    target = _choice(path, table, "target", TARGETS)
    fail_on = _choice(path, table, "fail-on", SEVERITIES)
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise InputError(f"{path}: [tool.isthmus.scan].per-file-ignores must be a table of glob = [codes]")
    return ScanConfig(
        path=path,
        root=path.parent,
        target=target,
        select=_codes(path, table, "select") if "select" in table else None,
        ignore=_codes(path, table, "ignore"),
        exclude=_codes(path, table, "exclude", upper=False),
        fail_on=fail_on,
        per_file_ignores=tuple((str(g), _codes(path, pfi, g)) for g in pfi),
    )


def _choice(path: Path, table: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = table.get(key)
    if value is not None and value not in allowed:
        raise InputError(f"{path}: [tool.isthmus.scan].{key} = {value!r}", hint=f"use one of {', '.join(allowed)}")
    return value


def _codes(path: Path, table: dict[str, Any], key: str, upper: bool = True) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: [tool.isthmus.scan].{key} must be a list of strings")
    return tuple(v.upper() if upper else v for v in value)
