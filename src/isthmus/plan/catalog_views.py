"""What `isthmus hw list|show|compare` show, as plain data: the catalogue listing, one part's datasheet with every
figure and source, and a side-by-side comparison with ratios.

Each result is a frozen dataclass with `to_json()` (the `--format json` shape) and table rows of strings; callers
choose the format and print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from isthmus.plan.catalog import Catalog, Chip, Source, System

# (label, field, unit) of the figures shown by `list` and `compare`
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("BF16", "bf16_tflops", "TFLOPS"),
    ("FP16", "fp16_tflops", "TFLOPS"),
    ("FP8", "fp8_tflops", "TFLOPS"),
    ("INT8", "int8_tops", "TOPS"),
    ("FP4", "fp4_tflops", "TFLOPS"),
    ("Memory", "memory_gib", "GiB"),
    ("Mem BW", "memory_bw_tbs", "TB/s"),
    ("Scale-up", "scaleup_bw_gbs", "GB/s/dir"),
    ("Scale-out", "scaleout_bw_gbs", "GB/s/dir"),
    ("TDP", "tdp_w", "W"),
    ("Die", "die_area_mm2", "mm2"),
    ("Price", "price_usd", "USD"),
    ("Rent", "rent_usd_per_hour", "USD/h"),
)
LIST_COLUMNS = (*COLUMNS[:8], COLUMNS[9])  # the chip table of `list` (JSON carries every column)
SYSTEM_PER_CHIP = ("scaleup_bw_gbs", "scaleout_bw_gbs")  # system figures that are per chip (compare uses them)


def format_number(v: float | None) -> str:
    """A figure for a table: '-' when unknown, thousands separators, integers without decimals."""
    if v is None:
        return "-"
    if v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.1f}" if v >= 100 else f"{v:,.4g}"


# ------------------------------------------------------------------------------------------------ list


@dataclass(frozen=True)
class CatalogListing:
    """Chips and systems (optionally one vendor's) with their default figures."""

    data_date: dt.date
    chips: tuple[Chip, ...]
    systems: tuple[System, ...]

    chip_columns: ClassVar[tuple[str, ...]] = (
        "key",
        "name",
        "status",
        *(f"{label}\n{unit}" for label, _, unit in LIST_COLUMNS),
    )
    system_columns: ClassVar[tuple[str, ...]] = ("key", "name", "chip", "chips", "scale-up domain", "power kW")

    def chip_rows(self) -> list[list[str]]:
        return [[c.key, c.name, c.status, *(format_number(c.value(f)) for _, f, _ in LIST_COLUMNS)] for c in self.chips]

    def system_rows(self) -> list[list[str]]:
        return [
            [s.key, s.name, s.chip, str(s.chips), str(s.scaleup_domain), format_number(s.power_kw)]
            for s in self.systems
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "data_date": self.data_date.isoformat(),
            "chips": [
                {
                    "key": c.key,
                    "name": c.name,
                    "vendor": c.vendor,
                    "status": c.status,
                    **{f: c.value(f) for _, f, _ in COLUMNS},
                }
                for c in self.chips
            ],
            "systems": [
                {
                    "key": s.key,
                    "name": s.name,
                    "chip": s.chip,
                    "chips": s.chips,
                    "scaleup_domain": s.scaleup_domain,
                    "power_kw": s.power_kw,
                }
                for s in self.systems
            ],
        }


def listing(cat: Catalog, vendor: str | None = None) -> CatalogListing:
    """Every chip and system of `cat`, only `vendor`'s when given, in catalogue order."""
    chips = tuple(c for c in cat.chips.values() if vendor in (None, c.vendor))
    systems = tuple(s for s in cat.systems.values() if vendor in (None, s.vendor))
    return CatalogListing(cat.data_date, chips, systems)


# ------------------------------------------------------------------------------------------------ show


def describe(item: Chip | System) -> dict[str, Any]:
    """The identity of a chip or system (everything but its figures)."""
    common = {"key": item.key, "name": item.name, "vendor": item.vendor, "status": item.status}
    if isinstance(item, Chip):
        extra: dict[str, Any] = {
            "datacenter": item.datacenter,
            "designer_hq": item.designer_hq,
            "process": item.process,
            "release": item.release,
        }
    else:
        extra = {"chip": item.chip, "chips": item.chips, "scaleup_domain": item.scaleup_domain}
    return {**common, **extra, "aliases": list(item.aliases), "note": item.note}


@dataclass(frozen=True)
class Datasheet:
    """Every figure of one chip or system with its source, kind and notes (all conflicting values)."""

    item: Chip | System
    data_date: dt.date
    sources: Mapping[str, Source]

    figure_columns: ClassVar[tuple[str, ...]] = ("field", "value", "kind", "source", "as published / note")

    def figures(self) -> list[dict[str, Any]]:
        return [f.to_json() for name in self.item.fields for f in self.item.figures(name)]

    def to_json(self) -> dict[str, Any]:
        return {**describe(self.item), "figures": self.figures(), "data_date": self.data_date.isoformat()}

    def meta_lines(self) -> list[str]:
        """'key: value' for each identity field that has a value (key and name excepted)."""
        return [
            f"{k}: {', '.join(v) if isinstance(v, list) else v}"
            for k, v in describe(self.item).items()
            if k not in ("key", "name") and v not in ("", [], None)
        ]

    def figure_rows(self) -> list[list[str]]:
        """field (marked '* ' when it is the planner's default), value with unit, kind, source, notes."""
        rows = []
        for r in self.figures():
            detail = "; ".join(x for x in (r["quoted"], r["note"]) if x)
            value = "n/a" if r["value"] is None else f"{format_number(r['value'])} {r['unit'].split(' ')[0]}"
            rows.append([("* " if r["default"] else "  ") + r["field"], value, r["kind"], r["source"], detail])
        return rows

    def source_lines(self) -> list[str]:
        """'id: title (kind, date) url' for every source the figures cite, by id."""
        lines = []
        for sid in sorted({r["source"] for r in self.figures()}):
            src = self.sources.get(sid)
            if src:
                lines.append(f"{sid}: {src.title} ({src.kind}, {src.date or 'undated'}) {src.url}")
        return lines


def datasheet(cat: Catalog, name: str) -> Datasheet:
    """The datasheet of the chip or system called `name` (key or alias; InputError with near names otherwise)."""
    return Datasheet(cat.chip_or_system(name), cat.data_date, cat.sources)


# ------------------------------------------------------------------------------------------------ compare


@dataclass(frozen=True)
class ChipComparison:
    """Chips side by side; a system is compared through its chip, with its own per-chip link bandwidths."""

    chips: tuple[str, ...]  # chip keys
    names: tuple[str, ...]  # column labels: the chip key, or "system (per chip)"
    rows: tuple[dict[str, Any], ...]  # field, label, unit, values, ratios (to the first), kinds

    def to_json(self) -> dict[str, Any]:
        return {
            "chips": list(self.chips),
            "names": list(self.names),
            "baseline": self.names[0],
            "rows": list(self.rows),
        }

    def table_rows(self) -> list[list[str]]:
        """'label unit', then per part the value, its ratio to the first ('(0.76x)') and ' [kind]' when the default
        figure is not from an official source."""
        out = []
        for r in self.rows:
            cells = [f"{r['label']} {r['unit']}"]
            for i, (v, ratio, kind) in enumerate(zip(r["values"], r["ratios"], r["kinds"], strict=True)):
                mark = "" if kind in (None, "official") else f" [{kind}]"
                cells.append(format_number(v) + ("" if ratio is None or i == 0 else f" ({ratio:.2f}x)") + mark)
            out.append(cells)
        return out


def compare(cat: Catalog, names: Sequence[str]) -> ChipComparison:
    """Compare the chips or systems called `names`; ratios are relative to the first."""
    items = [cat.chip_or_system(n) for n in names]
    chips = [item if isinstance(item, Chip) else cat.chip(item.chip) for item in items]
    labels = tuple(item.key if isinstance(item, Chip) else f"{item.key} (per {item.chip})" for item in items)
    rows: list[dict[str, Any]] = []
    for label, field, unit in COLUMNS:
        # a system's own per-chip bandwidths replace its chip's; every other figure is the chip's
        holders: list[Chip | System] = [
            item if field in SYSTEM_PER_CHIP and not isinstance(item, Chip) and item.value(field) is not None else c
            for item, c in zip(items, chips, strict=True)
        ]
        values = [h.value(field) for h in holders]
        b = values[0]
        rows.append(
            {
                "field": field,
                "label": label,
                "unit": unit,
                "values": values,
                "ratios": [None if (v is None or not b) else v / b for v in values],
                "kinds": [
                    h.figure(field).kind if v is not None else None for h, v in zip(holders, values, strict=True)
                ],
            }
        )
    return ChipComparison(tuple(c.key for c in chips), labels, tuple(rows))
