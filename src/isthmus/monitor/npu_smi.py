"""Parse `npu-smi` output (Ascend): the `npu-smi info` table and the `npu-smi info -t TYPE -i N` key/value pages.

Formats follow Huawei's npu-smi command reference (sources NPUSMI-* in data/schema.yaml): Atlas A2 (910B) prints one
chip per NPU with an HBM-Usage(MB) column; Atlas A3 (910C) prints two chips per NPU and a Phy-ID column. A block that
does not match the format becomes a per-device error naming the NPU and the offending text; documented placeholders
("-", "NA") become missing values, never zeros.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEALTH_LEVELS: dict[str, int] = {"OK": 0, "Warning": 1, "Alarm": 2, "Critical": 3}
PLACEHOLDERS = frozenset({"-", "NA", "N/A"})
_PAIR = re.compile(r"(\S+?)\s*/\s*(\S+)")


class NpuSmiFormatError(ValueError):
    """Output that does not follow the documented format (one line, names what was expected)."""


@dataclass(frozen=True)
class ChipRow:
    """One chip of the `npu-smi info` table; None for a documented placeholder."""

    npu: int
    chip: int
    name: str
    health: str
    power_w: float | None
    temp_c: float | None
    aicore_pct: float | None
    mem_used_mb: float | None
    mem_total_mb: float | None
    bus_id: str


@dataclass(frozen=True)
class ChipError:
    """A block of the table that could not be read."""

    npu: str  # as printed, or "?" when even that is unreadable
    chip: str
    message: str


@dataclass(frozen=True)
class InfoTable:
    chips: tuple[ChipRow, ...]
    errors: tuple[ChipError, ...] = ()
    version: str = ""
    has_hbm: bool = False


def number(text: str, what: str) -> float | None:
    """A numeric cell: float, None for a documented placeholder, NpuSmiFormatError for anything else."""
    t = text.strip()
    if t in PLACEHOLDERS:
        return None
    try:
        return float(t)
    except ValueError:
        raise NpuSmiFormatError(f"{what}: expected a number or '-'/'NA', got {t!r}") from None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _parse_block(first: list[str], second: list[str], has_hbm: bool) -> ChipRow:
    if len(first) < 3 or len(second) < 3:
        raise NpuSmiFormatError("expected 3 columns in both rows of the block")
    head = first[0].split(None, 1)
    chip_cell = second[0].split()
    if len(head) != 2 or not head[0].isdecimal() or not chip_cell or not chip_cell[0].isdecimal():
        raise NpuSmiFormatError(f"expected 'NPU Name' and 'Chip' cells, got {first[0]!r} / {second[0]!r}")
    health = first[1]
    if health not in HEALTH_LEVELS:
        raise NpuSmiFormatError(f"health {health!r} (device absent or not started, or unknown state)")
    stats = first[2].split()
    if len(stats) < 2:
        raise NpuSmiFormatError(f"expected 'Power(W) Temp(C)', got {first[2]!r}")
    usage = second[2].split(None, 1)
    if len(usage) != 2:
        raise NpuSmiFormatError(f"expected 'AICore(%) Memory-Usage(MB)', got {second[2]!r}")
    pairs = _PAIR.findall(usage[1])
    if len(pairs) != (2 if has_hbm else 1):
        raise NpuSmiFormatError(f"expected {'two' if has_hbm else 'one'} used/total pair(s), got {usage[1]!r}")
    used, total = pairs[-1]  # HBM when the table has the column, the on-board memory otherwise
    return ChipRow(
        npu=int(head[0]),
        chip=int(chip_cell[0]),
        name=head[1],
        health=health,
        power_w=number(stats[0], "Power(W)"),
        temp_c=number(stats[1], "Temp(C)"),
        aicore_pct=number(usage[0], "AICore(%)"),
        mem_used_mb=number(used, "memory used (MB)"),
        mem_total_mb=number(total, "memory total (MB)"),
        bus_id=second[1],
    )


@dataclass
class _Rows:
    version: str = ""
    has_hbm: bool = False
    header: bool = False
    rows: list[list[str]] = field(default_factory=list)


def _rows(text: str) -> _Rows:
    out = _Rows()
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("|"):
            continue
        if s.startswith("| npu-smi"):
            out.version = s.strip("| ").split()[1] if len(s.split()) > 2 else ""
        elif "Process id" in s:  # the process table that follows the device table
            break
        elif "Bus-Id" in s:
            out.header, out.has_hbm = True, "HBM-Usage" in s
        elif "Health" in s and "Name" in s:
            continue
        elif out.header:
            out.rows.append(_cells(s))
    return out


def parse_info(text: str) -> InfoTable:
    """Parse `npu-smi info`. Raises NpuSmiFormatError only when there is no device table at all."""
    found = _rows(text)
    if not found.header:
        raise NpuSmiFormatError("npu-smi info: no device table (header with 'Bus-Id' not found)")
    chips: list[ChipRow] = []
    errors: list[ChipError] = []
    rows = found.rows
    i = 0
    while i < len(rows):
        first = rows[i]
        npu = first[0].split()[0] if first and first[0].split() else "?"
        second = rows[i + 1] if i + 1 < len(rows) else None
        if second is None:
            errors.append(ChipError(npu, "?", "truncated: the block's second row (Chip, Bus-Id, usage) is missing"))
            break
        try:
            chips.append(_parse_block(first, second, found.has_hbm))
        except NpuSmiFormatError as e:
            chip = second[0].split()[0] if second and second[0].split() else "?"
            errors.append(ChipError(npu, chip, str(e)))
        i += 2
    return InfoTable(tuple(chips), tuple(errors), found.version, found.has_hbm)


def parse_kv(text: str) -> list[dict[str, str]]:
    """Parse an `npu-smi info -t TYPE -i N` page into blocks of `Key : value`; a repeated key starts a new block
    (multi-chip NPUs print one block per chip)."""
    blocks: list[dict[str, str]] = [{}]
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            continue
        k = key.strip()
        if k in blocks[-1]:
            blocks.append({})
        blocks[-1][k] = value.strip()
    return [b for b in blocks if b]
