"""Pydantic models that validate the hardware data files (`plan/data/{sources,chips,systems}.yaml`) on load.

The files are the source of truth; these models only check their shape (every figure names a known source and a
kind, at most one default per field, units implied by the field name) so that a typo fails loudly at load time
instead of producing a silent `None` in a plan.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from isthmus.schema import StrictModel

# official: vendor datasheet, page or filing; analyst: research firm estimate; press: news report;
# roadmap: an announced figure for a part not yet shipping; derived: arithmetic on cited figures (note says how);
# community: a third-party compilation or project blog quoting figures it does not own.
FigureKind = Literal["official", "analyst", "press", "roadmap", "derived", "community"]
SourceKind = Literal["official", "regulation", "filing", "vendor_paper", "analyst", "press", "legal", "community"]

# field name -> unit. Throughput is dense (no 2:4 sparsity); bandwidths are decimal.
CHIP_FIELDS: dict[str, str] = {
    "fp64_tflops": "TFLOPS",
    "fp32_tflops": "TFLOPS",
    "tf32_tflops": "TFLOPS",
    "bf16_tflops": "TFLOPS",
    "fp16_tflops": "TFLOPS",
    "fp8_tflops": "TFLOPS",
    "int8_tops": "TOPS",
    "fp4_tflops": "TFLOPS",
    "memory_gib": "GiB",  # vendors print "GB" for HBM stacks whose capacity is binary
    "memory_bw_tbs": "TB/s",
    "scaleup_bw_gbs": "GB/s per chip, one direction",
    "scaleout_bw_gbs": "GB/s per chip, one direction",
    "io_bw_gbs": "GB/s aggregate bidirectional chip I/O (the Oct-2022 3A090 test)",
    "tdp_w": "W",
    "die_area_mm2": "mm2 of non-planar logic die (3A090 'applicable die area')",
    "transistors_b": "billion transistors",
    "price_usd": "USD per chip",
    "rent_usd_per_hour": "USD per chip-hour",
}
# A YAML shorthand: one list of figures that fills both fields (tensor cores run BF16 and FP16 at one rate).
SHORTHANDS: dict[str, tuple[str, ...]] = {"bf16_fp16_tflops": ("bf16_tflops", "fp16_tflops")}

SYSTEM_FIELDS: dict[str, str] = {
    "scaleup_bw_gbs": "GB/s per chip, one direction",
    "scaleout_bw_gbs": "GB/s per chip, one direction",
    "power_kw": "kW per system",
    "price_usd": "USD per system",
    "rent_usd_per_hour": "USD per system-hour",
}


class SourceSpec(StrictModel):
    """One citable source: the original document wherever it could be identified."""

    title: str
    url: str
    date: str | None = None  # ISO date or "YYYY-MM" or "YYYY" as precise as the source allows
    kind: SourceKind
    note: str = ""


class FigureSpec(StrictModel):
    """One published value of one field, as one source gives it."""

    value: float | None  # None: the source says "not applicable" or "not disclosed"
    source: str
    kind: FigureKind
    note: str = ""
    quoted: str = ""  # the figure as published, when the value was normalised (sparse halved, bidir halved...)
    default: bool = False  # the figure the catalogue uses when sources conflict


class FigureList(StrictModel):
    items: tuple[FigureSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_default(self) -> FigureList:
        if sum(f.default for f in self.items) > 1:
            raise ValueError("more than one figure marked default: true")
        return self


def _check_fields(figures: dict[str, list[FigureSpec]], allowed: dict[str, str]) -> dict[str, list[FigureSpec]]:
    unknown = sorted(set(figures) - set(allowed) - set(SHORTHANDS))
    if unknown:
        raise ValueError(f"unknown figure field(s) {unknown}; known: {sorted(allowed)}")
    for name, items in figures.items():
        FigureList(items=tuple(items))
        if not items:
            raise ValueError(f"{name}: empty list of figures")
    return figures


class ChipSpec(StrictModel):
    name: str
    vendor: Literal["nvidia", "huawei"]
    aliases: tuple[str, ...] = ()
    status: Literal["shipping", "legacy", "announced", "roadmap"]
    datacenter: bool  # designed or marketed for data centres (3A090 Note 2)
    designer_hq: str = Field(pattern=r"^[A-Z]{2}$")
    process: str = ""
    release: str = ""
    note: str = ""
    figures: dict[str, list[FigureSpec]]

    @field_validator("figures")
    @classmethod
    def _fields(cls, v: dict[str, list[FigureSpec]]) -> dict[str, list[FigureSpec]]:
        return _check_fields(v, CHIP_FIELDS)


class SystemSpec(StrictModel):
    name: str
    vendor: Literal["nvidia", "huawei"]
    aliases: tuple[str, ...] = ()
    chip: str
    chips: int = Field(gt=0)
    scaleup_domain: int = Field(gt=0)
    status: Literal["shipping", "legacy", "announced", "roadmap"]
    note: str = ""
    figures: dict[str, list[FigureSpec]] = Field(default_factory=dict)

    @field_validator("figures")
    @classmethod
    def _fields(cls, v: dict[str, list[FigureSpec]]) -> dict[str, list[FigureSpec]]:
        return _check_fields(v, SYSTEM_FIELDS)


class SourcesFile(StrictModel):
    sources: dict[str, SourceSpec]


class ChipsFile(StrictModel):
    data_date: dt.date  # the newest fact the file was checked against
    chips: dict[str, ChipSpec]


class SystemsFile(StrictModel):
    data_date: dt.date
    systems: dict[str, SystemSpec]
