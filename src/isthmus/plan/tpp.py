"""ECCN 3A090 / 4A090 arithmetic: Total Processing Performance, Performance Density and the class each rule
vintage assigns. Pure functions over numbers; `classify_chip` is the one convenience that reads the catalogue.

Definitions (88 FR 73458, FR Doc 2023-23055, technical notes to 3A090):
- TPP = 2 x MacTOPS x bit length of the operation, aggregated over all processing units. A datasheet's dense
  TOPS/TFLOPS already counts a multiply-accumulate as two operations, so TPP = dense TOPS x bits. Sparse rates do
  not count; where a part supports several precisions the highest product is used.
- PD = TPP / applicable die area (mm2 of logic dies made on a non-planar transistor node).
The Oct-2022 rule (87 FR 62186) instead required both "bit length x TOPS" >= 4800 and an aggregate bidirectional
I/O rate >= 600 GB/s. 3A090.c (HBM, Dec 2024) concerns stand-alone memory and is out of scope here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from isthmus.errors import InputError

if TYPE_CHECKING:
    from isthmus.plan.catalog import Chip

# Operand bit length per precision. TF32 sits in 32-bit registers; on every part in the catalogue its TPP is
# no higher than FP16's, so the choice cannot change a result.
# Listed so that ties (tensor cores usually give one TPP at every precision) report the familiar 16-bit figure.
BITS: dict[str, int] = {"bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp4": 4, "tf32": 32, "fp32": 32, "fp64": 64}

# Thresholds (88 FR 73458 unless noted)
TPP_A = 4800.0  # 3A090.a.1; also the Oct-2022 compute prong (87 FR 62186)
IO_2022_GBS = 600.0  # Oct-2022 aggregate bidirectional I/O prong
TPP_A2, PD_A2 = 1600.0, 5.92  # 3A090.a.2
TPP_B1_LO, PD_B1_LO = 2400.0, 1.6  # 3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92
TPP_B2, PD_B2_LO = 1600.0, 3.2  # 3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92
H200_GATE_TPP, H200_GATE_DRAM_GBS = 21000.0, 6500.0  # 91 FR 1684: case-by-case review gate (Jan 2026)

Eccn = Literal["3A090.a", "3A090.b", "not 3A090", "unknown"]


@dataclass(frozen=True)
class Vintage:
    """One version of the 3A090 test, in force from `effective_from` until `effective_to` (exclusive)."""

    key: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str  # id in plan/data/sources.yaml
    test: Literal["2022", "2023"]


VINTAGES: tuple[Vintage, ...] = (
    Vintage(
        "2022-10",
        "Oct 2022 IFR, 87 FR 62186: TPP >= 4800 AND I/O >= 600 GB/s",
        dt.date(2022, 10, 7),
        dt.date(2023, 11, 17),
        "FR-2022-21658",
        "2022",
    ),
    Vintage(
        "2023-10",
        "Oct 2023 IFR, 88 FR 73458: TPP and performance density",
        dt.date(2023, 11, 17),
        dt.date(2024, 12, 2),
        "FR-2023-23055",
        "2023",
    ),
    Vintage(
        "2024-12",
        "Dec 2024 IFR, 89 FR 96790: adds 3A090.c (HBM); .a/.b thresholds unchanged",
        dt.date(2024, 12, 2),
        dt.date(2025, 1, 15),
        "FR-2024-28270",
        "2023",
    ),
    Vintage(
        "2025-01",
        "Jan 2025 AI Diffusion IFR, 90 FR 4544: .a/.b thresholds unchanged (worldwide licence "
        "requirement for .a, not enforced since 2025-05-13)",
        dt.date(2025, 1, 15),
        None,
        "FR-2025-00636",
        "2023",
    ),
)


@dataclass(frozen=True)
class TppTerm:
    """One precision's contribution: dense rate x bit length."""

    precision: str
    dense_tops: float
    bits: int

    @property
    def product(self) -> float:
        return self.dense_tops * self.bits


@dataclass(frozen=True)
class Classification:
    """The 3A090 class of a part under one vintage, with every step of the arithmetic as text."""

    vintage: Vintage
    eccn: Eccn
    paragraph: str  # e.g. "3A090.a.2", "Note 2: not designed for data centres and TPP < 4800"
    tpp: float | None
    pd: float | None
    best: TppTerm | None
    terms: tuple[TppTerm, ...]
    h200_gate: bool | None  # TPP < 21,000 and DRAM bandwidth < 6,500 GB/s (91 FR 1684), None if unknown
    steps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "vintage": self.vintage.key,
            "title": self.vintage.title,
            "effective_from": self.vintage.effective_from.isoformat(),
            "eccn": self.eccn,
            "paragraph": self.paragraph,
            "tpp": self.tpp,
            "pd": self.pd,
            "h200_gate": self.h200_gate,
            "steps": list(self.steps),
        }


def tpp_terms(rates: Mapping[str, float | None]) -> tuple[TppTerm, ...]:
    """Every precision with a known dense rate, as a TPP term (unknown precisions are skipped)."""
    return tuple(TppTerm(p, float(r), BITS[p]) for p, r in rates.items() if r is not None and p in BITS and r > 0)


def total_processing_performance(rates: Mapping[str, float | None]) -> TppTerm | None:
    """The term with the highest dense-rate x bits product (the TPP), or None with no rates at all."""
    terms = tpp_terms(rates)
    return max(terms, key=lambda t: t.product) if terms else None


def performance_density(tpp: float | None, die_area_mm2: float | None) -> float | None:
    """TPP per mm2 of applicable die area; None when either is unknown."""
    if tpp is None or not die_area_mm2:
        return None
    return tpp / die_area_mm2


def vintage_on(on: dt.date) -> Vintage | None:
    """The 3A090 vintage in force on `on`, or None before 2022-10-07."""
    for v in VINTAGES:
        if v.effective_from <= on and (v.effective_to is None or on < v.effective_to):
            return v
    return None


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}"


def _class_2022(tpp: float, io_gbs: float | None) -> tuple[Eccn, str, list[str]]:
    steps = [f"compute prong: TPP {_fmt(tpp)} >= 4,800? {'yes' if tpp >= TPP_A else 'no'}"]
    if tpp < TPP_A:
        return "not 3A090", "below the 4,800 compute prong", steps
    if io_gbs is None:
        steps.append("I/O prong: aggregate bidirectional I/O unknown")
        return "unknown", "I/O rate unknown", steps
    ok = io_gbs >= IO_2022_GBS
    steps.append(f"I/O prong: {_fmt(io_gbs)} GB/s >= 600? {'yes' if ok else 'no'}")
    return ("3A090.a", "3A090.a (both prongs)", steps) if ok else ("not 3A090", "below the 600 GB/s I/O prong", steps)


def _class_2023(tpp: float, pd: float | None, datacenter: bool) -> tuple[Eccn, str, list[str]]:
    steps = []
    if not datacenter and tpp < TPP_A:
        steps.append(f"Note 2: not designed or marketed for data centres and TPP {_fmt(tpp)} < 4,800")
        return "not 3A090", "Note 2 (non-data-centre part below TPP 4,800)", steps
    if tpp >= TPP_A:
        steps.append(f"3A090.a.1: TPP {_fmt(tpp)} >= 4,800")
        return "3A090.a", "3A090.a.1", steps
    if tpp < TPP_A2:
        steps.append(f"TPP {_fmt(tpp)} < 1,600: below every 3A090 threshold")
        return "not 3A090", "TPP below 1,600", steps
    if pd is None:
        steps.append(f"TPP {_fmt(tpp)} is in 1,600-4,800 and the die area is unknown: PD cannot be computed")
        return "unknown", "needs die area (PD)", steps
    if pd >= PD_A2:
        steps.append(f"3A090.a.2: TPP {_fmt(tpp)} >= 1,600 and PD {pd:.2f} >= 5.92")
        return "3A090.a", "3A090.a.2", steps
    if TPP_B1_LO <= tpp < TPP_A and PD_B1_LO <= pd < PD_A2:
        steps.append(f"3A090.b.1: 2,400 <= TPP {_fmt(tpp)} < 4,800 and 1.6 <= PD {pd:.2f} < 5.92")
        return "3A090.b", "3A090.b.1", steps
    if PD_B2_LO <= pd < PD_A2:
        steps.append(f"3A090.b.2: TPP {_fmt(tpp)} >= 1,600 and 3.2 <= PD {pd:.2f} < 5.92")
        return "3A090.b", "3A090.b.2", steps
    # here 1,600 <= TPP < 4,800 and PD < 3.2; name only the conditions that actually failed
    b1_failed = ([f"TPP {_fmt(tpp)} < 2,400"] if tpp < TPP_B1_LO else []) + (
        [f"PD {pd:.2f} < 1.6"] if pd < PD_B1_LO else []
    )
    steps.append(
        f"3A090.b.1 not met: {' and '.join(b1_failed)} (needs 2,400 <= TPP < 4,800 and 1.6 <= PD < 5.92); "
        f"3A090.b.2 not met: PD {pd:.2f} < 3.2 (needs 3.2 <= PD < 5.92)"
    )
    return "not 3A090", "below the .a and .b thresholds", steps


def classify(
    rates: Mapping[str, float | None],
    *,
    die_area_mm2: float | None,
    datacenter: bool = True,
    io_bw_gbs: float | None = None,
    dram_bw_gbs: float | None = None,
    vintage: Vintage,
) -> Classification:
    """Classify a part from its dense rates per precision (TFLOPS/TOPS) under `vintage`, showing the arithmetic."""
    terms = tpp_terms(rates)
    best = total_processing_performance(rates)
    steps = [f"rule: {vintage.title}"]
    if best is None:
        steps.append("no dense throughput figure: TPP cannot be computed")
        return Classification(vintage, "unknown", "no throughput figure", None, None, None, terms, None, tuple(steps))
    tpp = best.product
    products = "; ".join(f"{t.precision} {_fmt(t.dense_tops)} x {t.bits} = {_fmt(t.product)}" for t in terms)
    steps.append(f"TPP = dense TOPS x bit length, best over precisions: {products} -> {_fmt(tpp)} ({best.precision})")
    pd = performance_density(tpp, die_area_mm2)
    if pd is not None and die_area_mm2:
        steps.append(f"PD = TPP / die area = {_fmt(tpp)} / {_fmt(die_area_mm2)} mm2 = {pd:.2f}")
    else:
        steps.append("PD: die area unknown")
    if vintage.test == "2022":
        eccn, paragraph, more = _class_2022(tpp, io_bw_gbs)
    else:
        eccn, paragraph, more = _class_2023(tpp, pd, datacenter)
    steps.extend(more)
    gate = None if dram_bw_gbs is None else (tpp < H200_GATE_TPP and dram_bw_gbs < H200_GATE_DRAM_GBS)
    if gate is not None:
        steps.append(
            f"H200-class gate (91 FR 1684, from 2026-01-15): TPP {_fmt(tpp)} < 21,000 and DRAM "
            f"{_fmt(dram_bw_gbs or 0)} GB/s < 6,500? {'yes' if gate else 'no'}"
        )
    steps.append(f"class: {eccn} ({paragraph})")
    return Classification(vintage, eccn, paragraph, tpp, pd, best, terms, gate, tuple(steps))


def chip_rates(chip: Chip) -> dict[str, float | None]:
    """A catalogue chip's default dense rate per precision."""
    return {p: chip.peak_tflops(p) for p in BITS}


def classify_chip(chip: Chip, on: dt.date | None = None, vintage: Vintage | None = None) -> Classification:
    """Classify a catalogue chip under the vintage in force on `on` (default: the latest vintage)."""
    v = vintage or (vintage_on(on) if on is not None else VINTAGES[-1])
    if v is None:
        raise InputError(f"no 3A090 rule was in force on {on}", hint="the first vintage starts 2022-10-07")
    bw = chip.memory_bw_tbs
    return classify(
        chip_rates(chip),
        die_area_mm2=chip.die_area_mm2,
        datacenter=chip.datacenter,
        io_bw_gbs=chip.value("io_bw_gbs"),
        dram_bw_gbs=None if bw is None else bw * 1000,
        vintage=v,
    )
