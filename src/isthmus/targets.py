"""The target registry: every device a project is assessed, scanned, emulated and planned for, in one data file.

`data/targets.yaml` names each target's aliases, vendor and stack, the `isthmus.accel` backend that drives it, its
operator registry (torch or a torch_npu release), dtype table, numerics, the catalogue chips and systems it stands
for and the scan rule family it implies. Capabilities read targets only through this module: adding a chip that is
also a target is an entry here (and the chip in the catalogue); a new accelerator backend is an `isthmus.accel`
backend (or an entry-point plugin) plus an entry here.

Devices are a different, wider set: `isthmus.accel.known_names()` lists the backends (built-in and plugins) that
`run` and `parity record --device` accept.
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import cache
from typing import Literal

from isthmus.errors import InputError
from isthmus.schema import StrictModel, validate_packaged

Side = Literal["cuda", "ascend"]
ScanFamily = Literal["npu", "cuda", "any"]
DtypeStatus = Literal["native", "downcast", "error"]


class DtypeRule(StrictModel):
    """What a target does with tensors of one dtype (dtypes a table does not list are native)."""

    status: DtypeStatus
    to: str | None = None  # the dtype it is converted to, for "downcast"
    note: str = ""


class Numerics(StrictModel):
    """Default fp32 and mixed-precision matrix arithmetic of a device family."""

    autocast_dtype: str
    matmul_mantissa_bits: int | None
    conv_mantissa_bits: int | None
    basis: str  # one line, shown in reports
    source: str


class Target(StrictModel):
    """One entry of data/targets.yaml (see its header for the fields)."""

    name: str = ""  # the key, filled in on load
    description: str
    aliases: tuple[str, ...] = ()
    vendor: str
    stack: str
    side: Side | None
    backend: str
    registry: Literal["torch", "torch_npu"]
    torch_npu: str | None = None
    dtypes: str
    numerics: str
    chips: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    scan: Literal["npu", "cuda"]
    status: Literal["shipping", "roadmap"]
    source: str


class _File(StrictModel):
    data_date: dt.date
    targets: dict[str, Target]
    default_targets: tuple[str, ...]
    scan_profiles: dict[Literal["npu", "cuda"], str]
    dtype_tables: dict[str, dict[str, DtypeRule]]
    numerics: dict[str, Numerics]


def parse(text: str) -> _File:
    """Read a targets file's text, checking that every name it refers to within itself exists."""
    data = validate_packaged(_File, text, "target data (data/targets.yaml)")
    targets = {k: t.model_copy(update={"name": k}) for k, t in data.targets.items()}
    for t in targets.values():
        if t.dtypes not in data.dtype_tables or t.numerics not in data.numerics:
            raise RuntimeError(f"isthmus/data/targets.yaml: target {t.name} names an unknown dtype table or numerics")
    if not set(data.scan_profiles.values()) | set(data.default_targets) <= set(targets):
        raise RuntimeError("isthmus/data/targets.yaml: scan_profiles or default_targets names an unknown target")
    return data.model_copy(update={"targets": targets})


@cache
def _load() -> _File:
    from importlib import resources

    return parse(resources.files("isthmus").joinpath("data", "targets.yaml").read_text(encoding="utf-8"))


def names() -> tuple[str, ...]:
    """Target names, in the file's order."""
    return tuple(_load().targets)


def defaults() -> tuple[str, ...]:
    """The targets checked when none is named (one per side)."""
    return _load().default_targets


def all_targets() -> tuple[Target, ...]:
    return tuple(_load().targets.values())


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for t in all_targets():
        out[t.name] = t.name
        out.update({a: t.name for a in t.aliases})
    return out


def find(name: str) -> Target | None:
    """The target named `name` or one of its aliases (any case), else None."""
    key = _aliases().get(name.strip().lower())
    return None if key is None else _load().targets[key]


def get(name: str) -> Target:
    """The target named `name` (or an alias); InputError with the nearest names otherwise."""
    found = find(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name.strip().lower(), list(_aliases()), n=3, cutoff=0.4)
    close = list(dict.fromkeys(_aliases()[c] for c in close))
    hint = f"did you mean {' or '.join(close)}?" if close else f"targets: {', '.join(names())}"
    raise InputError(f"unknown target {name!r}", hint=hint)


def canonical(names_: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The registry names of `names_` (aliases resolved, duplicates dropped); InputError naming every unknown one."""
    bad = [n for n in names_ if find(n) is None]
    if bad:
        raise InputError(f"unknown target(s) {', '.join(bad)}", hint=f"choose from {', '.join(names())}")
    return tuple(dict.fromkeys(get(n).name for n in names_))


def side_of(name: str) -> Side | None:
    """The report side of a target or device name ('cuda-sm90' -> 'cuda', 'npu' -> 'ascend', 'cpu' -> None).

    Names the registry does not know are read by their accel backend's prefix (`cuda:1` -> cuda)."""
    target = find(name) or find(name.split(":", 1)[0])
    return None if target is None else target.side


def dtype_table(target: Target) -> dict[str, DtypeRule]:
    """The dtype table a target uses."""
    return _load().dtype_tables[target.dtypes]


def numerics(family: str) -> tuple[str, Numerics]:
    """(family, its numerics) for a target's family or backend ("npu", "cuda", "cpu"); unknown families get the
    host's arithmetic, named "cpu"."""
    table = _load().numerics
    return (family, table[family]) if family in table else ("cpu", table["cpu"])


def scan_family(targets: tuple[str, ...] | list[str]) -> ScanFamily:
    """The scan rule family for a project's targets: npu when any is an Ascend part (the stricter rules), else any."""
    fams = {t.scan for name in targets if (t := find(name)) is not None}
    return "npu" if "npu" in fams else "any"


def scan_profiles(family: ScanFamily) -> tuple[str, ...]:
    """Targets whose operator registry scan's IST9xx rules check for a rule family ("any": both)."""
    table = _load().scan_profiles
    return tuple(table.values()) if family == "any" else (table[family],)


def chips_of(name: str) -> tuple[str, ...]:
    found = find(name)
    return () if found is None else found.chips


def systems_of(name: str) -> tuple[str, ...]:
    found = find(name)
    return () if found is None else found.systems
