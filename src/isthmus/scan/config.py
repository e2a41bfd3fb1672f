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
from typing import get_args

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from isthmus.errors import InputError
from isthmus.scan.model import Target
from isthmus.schema import StrictModel, describe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TARGETS: tuple[str, ...] = get_args(Target)
SEVERITIES = ("error", "warning", "info")


class ScanTable(StrictModel):
    """`[tool.isthmus.scan]` as written (validated; `ScanConfig` is what the scanner reads). Codes are upper-cased
    on the way to `ScanConfig`; globs are kept as written."""

    target: str | None = None  # one of TARGETS
    select: list[str] | None = None  # code prefixes; None: the command line's default
    ignore: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)  # globs relative to the pyproject.toml
    fail_on: str | None = Field(None, alias="fail-on")  # one of SEVERITIES
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")

    @field_validator("target", "fail_on")
    @classmethod
    def _one_of(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed = TARGETS if info.field_name == "target" else SEVERITIES
        if value is not None and value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value


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
    try:
        spec = ScanTable.model_validate(table)
    except ValidationError as e:
        what = describe(e)
        keys = ", ".join(f.alias or name for name, f in ScanTable.model_fields.items())
        hint = f"[tool.isthmus.scan] keys: {keys}" if what.endswith("unknown key") else None
        raise InputError(f"{path}: [tool.isthmus.scan] {what}", hint=hint) from e
    return ScanConfig(
        path=path,
        root=path.parent,
        target=spec.target,
        select=None if spec.select is None else _upper(spec.select),
        ignore=_upper(spec.ignore),
        exclude=tuple(spec.exclude),
        fail_on=spec.fail_on,
        per_file_ignores=tuple((g, _upper(codes)) for g, codes in spec.per_file_ignores.items()),
    )


def _upper(codes: list[str]) -> tuple[str, ...]:
    return tuple(c.upper() for c in codes)
