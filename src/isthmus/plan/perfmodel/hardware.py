"""The hardware view of the performance model: one accelerator and its links, resolved from the catalogue.

Every figure comes from `isthmus.plan.catalog` (contract 3); nothing here is a hardware literal. A name may be a
system (its scale-up domain and per-chip links come from the system entry) or a chip (then the smallest catalogue
system built from that chip provides the scale-up domain; a chip in no system gets a domain of 1).
`catalog_unit` is that "system, else chip" lookup on its own, for callers (the fleet planner) that count units
and need no performance figures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from isthmus.errors import InputError

if TYPE_CHECKING:
    from isthmus.plan.catalog import Chip, System

GIB = 2**30


@dataclass(frozen=True)
class Hardware:
    """One accelerator as the formulas see it; bandwidths in bytes/s per chip per direction, FLOPs in FLOP/s."""

    key: str  # catalogue system or chip key the estimate was asked for
    chip: str  # catalogue chip key
    name: str
    vendor: str  # "nvidia" | "huawei" | ...
    peaks: tuple[tuple[str, float | None], ...]  # (catalogue precision, dense TFLOPS or TOPS)
    memory_bytes: float
    memory_bw: float  # HBM bytes/s
    scaleup_domain: int  # chips in one scale-up (NVLink / UB / HCCS) domain
    scaleup_bw: float  # bytes/s per chip, one direction (0: none)
    scaleout_bw: float | None  # bytes/s per chip, one direction; None: not in the catalogue
    chips: int = 1  # accelerators in the unit `key` names (1 for a chip)
    power_kw: float | None = None  # per unit, from the catalogue (a chip: its TDP); None when unknown

    @property
    def default_stack(self) -> str:
        from isthmus.plan.perfmodel.efficiency import VENDOR_STACKS

        return VENDOR_STACKS.get(self.vendor, "cuda")

    def peak(self, precision: str) -> float | None:
        """Dense FLOP/s (or OP/s) at a catalogue precision, None when the chip does not support it."""
        for name, value in self.peaks:
            if name == precision:
                return None if value is None else value * 1e12
        return None

    def scaled(self, **changes: float) -> Hardware:
        """A copy with some figures changed (what-if analyses and the sanity tests)."""
        return Hardware(**{**self.__dict__, **changes})


def _need(value: float | None, what: str, key: str) -> float:
    if value is None or value <= 0:
        raise InputError(
            f"the catalogue has no {what} for {key!r}",
            hint="pick a chip or system with that figure (isthmus hw show NAME) or add it to the catalogue",
        )
    return value


@dataclass(frozen=True)
class CatalogUnit:
    """What a catalogue name denotes: a system, or a single chip (`system` None)."""

    chip: Chip
    system: System | None

    @property
    def key(self) -> str:
        return self.system.key if self.system is not None else self.chip.key

    @property
    def name(self) -> str:
        return self.system.name if self.system is not None else self.chip.name

    @property
    def chips(self) -> int:
        return self.system.chips if self.system is not None else 1

    @property
    def power_kw(self) -> float | None:
        """Per unit: the system's power figure, or a chip's TDP."""
        if self.system is not None:
            return self.system.power_kw
        tdp = self.chip.tdp_w
        return tdp / 1000.0 if tdp else None


def catalog_unit(name: str) -> CatalogUnit:
    """Look `name` up as a catalogue system, then as a chip (neither: InputError naming the nearest of both)."""
    from isthmus.plan.catalog import load_catalog

    cat = load_catalog()
    try:
        system = cat.system(name)
    except InputError:
        try:
            return CatalogUnit(cat.chip(name), None)
        except InputError:
            cat.chip_or_system(name)  # neither: re-raise, suggesting the nearest chips and systems
            raise
    return CatalogUnit(cat.chip(system.chip), system)


@functools.lru_cache(maxsize=64)
def resolve_hardware(name: str) -> Hardware:
    """Look `name` up as a catalogue system, then as a chip (unknown: InputError naming the nearest)."""
    from isthmus.plan.catalog import PRECISIONS, load_catalog

    unit = catalog_unit(name)
    chip, system = unit.chip, unit.system
    if system is not None:
        domain, up, out = system.scaleup_domain, system.scaleup_bw_gbs, system.scaleout_bw_gbs
    else:
        cat = load_catalog()
        hosts = sorted((s for s in cat.systems.values() if s.chip == chip.key), key=lambda s: s.scaleup_domain)
        domain = hosts[0].scaleup_domain if hosts else 1
        up = chip.scaleup_bw_gbs if chip.scaleup_bw_gbs is not None else (hosts[0].scaleup_bw_gbs if hosts else None)
        out = (
            chip.scaleout_bw_gbs if chip.scaleout_bw_gbs is not None else (hosts[0].scaleout_bw_gbs if hosts else None)
        )
    return Hardware(
        key=unit.key,
        chip=chip.key,
        name=unit.name,
        vendor=chip.vendor,
        peaks=tuple((p, chip.peak_tflops(p)) for p in PRECISIONS),
        memory_bytes=_need(chip.memory_gib, "memory capacity", chip.key) * GIB,
        memory_bw=_need(chip.memory_bw_tbs, "memory bandwidth", chip.key) * 1e12,
        scaleup_domain=max(1, int(domain)),
        scaleup_bw=(up or 0.0) * 1e9,
        scaleout_bw=None if out is None else out * 1e9,
        chips=unit.chips,
        power_kw=unit.power_kw,
    )
