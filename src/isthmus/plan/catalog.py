"""The hardware catalogue: accelerators and systems, every figure with its source and kind.

Data lives in `plan/data/{sources,chips,systems}.yaml`, validated by `catalog_schema` on load. Where sources
disagree all figures are kept; the one marked `default: true` (else the first listed) is what the float attributes
return, and `figure()` / `figures()` give the full story. Nothing here is measured: the catalogue records what
vendors, analysts and the press have published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from isthmus.errors import InputError
from isthmus.plan import catalog_schema as schema
from isthmus.plan._names import build_index, resolve
from isthmus.schema import validate_packaged

Precision = Literal["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4"]
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
_PRECISION_FIELD = {p: f"{p}_tops" if p == "int8" else f"{p}_tflops" for p in PRECISIONS}


@dataclass(frozen=True)
class Source:
    """A citable document: title, URL, date and what kind of source it is."""

    id: str
    title: str
    url: str
    date: str | None
    kind: str
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """One value of one field from one source. `value` is None when the source says n/a or not disclosed."""

    field: str
    value: float | None
    unit: str
    source: Source
    kind: str  # official | analyst | press | roadmap | derived | community
    note: str = ""
    quoted: str = ""  # as published, when the value was normalised (sparse halved, bidirectional halved)
    default: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "unit": self.unit,
            "source": self.source.id,
            "source_title": self.source.title,
            "source_url": self.source.url,
            "kind": self.kind,
            "note": self.note,
            "quoted": self.quoted,
            "default": self.default,
        }


def _no_figure(owner: str, name: str, unit: str) -> Figure:
    src = Source("none", "no source in the catalogue", "", None, "community")
    return Figure(name, None, unit, src, "derived", note=f"{owner}: not in the catalogue", default=True)


@dataclass(frozen=True)
class _HasFigures:
    key: str
    name: str
    _figures: Mapping[str, tuple[Figure, ...]] = field(repr=False, compare=False)

    def figures(self, name: str) -> tuple[Figure, ...]:
        """Every figure recorded for `name`, default first."""
        return self._figures.get(name, ())

    def figure(self, name: str) -> Figure:
        """The default figure for `name` (value None, source "none", when the catalogue has none)."""
        found = self._figures.get(name)
        if found:
            return found[0]
        units = {**schema.CHIP_FIELDS, **schema.SYSTEM_FIELDS}
        if name not in units:
            raise InputError(f"unknown figure {name!r}", hint=f"use one of {', '.join(sorted(units))}")
        return _no_figure(self.key, name, units[name])

    def value(self, name: str) -> float | None:
        return self.figure(name).value

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self._figures)


@dataclass(frozen=True)
class Chip(_HasFigures):
    """An accelerator. Float attributes are the documented defaults (None if unknown)."""

    vendor: str = "nvidia"
    aliases: tuple[str, ...] = ()
    status: str = "shipping"
    datacenter: bool = True
    designer_hq: str = "US"
    process: str = ""
    release: str = ""
    note: str = ""

    def peak_tflops(self, precision: str) -> float | None:
        """Dense peak for `precision` (fp64, fp32, tf32, bf16, fp16, fp8, int8 in TOPS, fp4)."""
        if precision not in _PRECISION_FIELD:
            raise InputError(f"unknown precision {precision!r}", hint=f"use one of {', '.join(PRECISIONS)}")
        return self.value(_PRECISION_FIELD[precision])

    @property
    def memory_gib(self) -> float | None:
        return self.value("memory_gib")

    @property
    def memory_bw_tbs(self) -> float | None:
        return self.value("memory_bw_tbs")

    @property
    def scaleup_bw_gbs(self) -> float | None:
        return self.value("scaleup_bw_gbs")

    @property
    def scaleout_bw_gbs(self) -> float | None:
        return self.value("scaleout_bw_gbs")

    @property
    def tdp_w(self) -> float | None:
        return self.value("tdp_w")

    @property
    def die_area_mm2(self) -> float | None:
        return self.value("die_area_mm2")

    @property
    def price_usd(self) -> float | None:
        return self.value("price_usd")

    @property
    def rent_usd_per_hour(self) -> float | None:
        return self.value("rent_usd_per_hour")


@dataclass(frozen=True)
class System(_HasFigures):
    """A node, rack or SuperPoD built from `chips` copies of one chip. Per-chip bandwidths default to the chip's."""

    vendor: str = "nvidia"
    aliases: tuple[str, ...] = ()
    chip: str = ""  # chip key
    chips: int = 1
    scaleup_domain: int = 1
    status: str = "shipping"
    note: str = ""

    @property
    def scaleup_bw_gbs(self) -> float | None:
        return self.value("scaleup_bw_gbs")

    @property
    def scaleout_bw_gbs(self) -> float | None:
        return self.value("scaleout_bw_gbs")

    @property
    def power_kw(self) -> float | None:
        return self.value("power_kw")

    @property
    def price_usd(self) -> float | None:
        return self.value("price_usd")

    @property
    def rent_usd_per_hour(self) -> float | None:
        return self.value("rent_usd_per_hour")


@dataclass(frozen=True)
class Catalog:
    """All chips and systems, looked up by key or alias (case- and punctuation-insensitive)."""

    chips: Mapping[str, Chip]
    systems: Mapping[str, System]
    sources: Mapping[str, Source]
    data_date: dt.date
    _chip_index: Mapping[str, str] = field(repr=False, compare=False)
    _system_index: Mapping[str, str] = field(repr=False, compare=False)

    def chip(self, name: str) -> Chip:
        """The chip called `name` (key or alias); InputError with the nearest names otherwise."""
        return self.chips[resolve(name, self._chip_index, "chip")]

    def system(self, name: str) -> System:
        """The system called `name` (key or alias); InputError with the nearest names otherwise."""
        return self.systems[resolve(name, self._system_index, "system")]

    def chip_or_system(self, name: str) -> Chip | System:
        """A chip if `name` names one, else a system (used by `hw show`)."""
        try:
            return self.chip(name)
        except InputError:
            pass
        try:
            return self.system(name)
        except InputError:
            index = {**self._chip_index, **self._system_index}
            resolve(name, index, "chip or system")
            raise


def _figures(
    raw: Mapping[str, list[schema.FigureSpec]], units: Mapping[str, str], sources: Mapping[str, Source], owner: str
) -> Mapping[str, tuple[Figure, ...]]:
    out: dict[str, tuple[Figure, ...]] = {}
    for name, specs in raw.items():
        for target in schema.SHORTHANDS.get(name, (name,)):
            if target in raw and target != name:
                continue  # an explicit field wins over the shorthand
            figs = []
            for s in specs:
                if s.source not in sources:
                    raise ValueError(f"{owner}.{name}: unknown source id {s.source!r}")
                figs.append(
                    Figure(target, s.value, units[target], sources[s.source], s.kind, s.note, s.quoted, s.default)
                )
            if not any(f.default for f in figs):
                figs[0] = dataclasses.replace(figs[0], default=True)
            figs.sort(key=lambda f: not f.default)
            out[target] = tuple(figs)
    return MappingProxyType(out)


def _read(name: str) -> str:
    return resources.files("isthmus.plan").joinpath("data", name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Load and validate the packaged catalogue (cached: the data files are part of the install)."""
    src_file = validate_packaged(schema.SourcesFile, _read("sources.yaml"), "hardware data (sources.yaml)")
    chips_file = validate_packaged(schema.ChipsFile, _read("chips.yaml"), "hardware data (chips.yaml)")
    sys_file = validate_packaged(schema.SystemsFile, _read("systems.yaml"), "hardware data (systems.yaml)")
    sources = {k: Source(k, v.title, v.url, v.date, v.kind, v.note) for k, v in src_file.sources.items()}
    chips = {
        k: Chip(
            k,
            c.name,
            _figures(c.figures, schema.CHIP_FIELDS, sources, k),
            c.vendor,
            c.aliases,
            c.status,
            c.datacenter,
            c.designer_hq,
            c.process,
            c.release,
            c.note,
        )
        for k, c in chips_file.chips.items()
    }
    systems = {}
    for k, s in sys_file.systems.items():
        if s.chip not in chips:
            raise RuntimeError(f"system {k}: unknown chip {s.chip!r}")
        figs = dict(_figures(s.figures, schema.SYSTEM_FIELDS, sources, k))
        for inherited in ("scaleup_bw_gbs", "scaleout_bw_gbs"):  # per-chip links come with the chip
            if inherited not in figs and chips[s.chip].figures(inherited):
                figs[inherited] = chips[s.chip].figures(inherited)
        systems[k] = System(
            k, s.name, MappingProxyType(figs), s.vendor, s.aliases, s.chip, s.chips, s.scaleup_domain, s.status, s.note
        )
    return Catalog(
        chips=MappingProxyType(chips),
        systems=MappingProxyType(systems),
        sources=MappingProxyType(sources),
        data_date=max(chips_file.data_date, sys_file.data_date),
        _chip_index=MappingProxyType(build_index(((k, c.aliases) for k, c in chips.items()), "chip")),
        _system_index=MappingProxyType(build_index(((k, s.aliases) for k, s in systems.items()), "system")),
    )
