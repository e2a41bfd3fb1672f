"""What `isthmus compliance matrix|classify|rules` answer, as plain data.

The default chip x region axes (`plan/data/compliance_matrix.yaml`), the matrix of verdicts, a part's 3A090 class
under each rule vintage, and the rule listing. Each result is a frozen dataclass with `to_json()` (the `--format
json` shape) and table rows of strings; callers choose the format and print. Not legal advice: every result keeps the
rule data's date and notice.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from isthmus.errors import InputError
from isthmus.plan import tpp
from isthmus.plan.policy import Verdict, date_warnings, load_rules, matrix
from isthmus.plan.rules_schema import RuleSpec
from isthmus.schema import StrictModel, validate_packaged

# short effect codes of the matrix table, and the legend printed under it
EFFECT_CODES: dict[str, str] = {
    "allowed": "ok",
    "discouraged": "disc",
    "licence_required": "lic",
    "case_by_case": "cbc",
    "presumption_of_denial": "deny",
    "prohibited": "PROH",
}
MATRIX_LEGEND = (
    "ok allowed, disc discouraged, lic licence required, cbc case-by-case licence, deny presumption "
    "of denial, PROH prohibited; ? = low confidence (press reports only). Reasons: isthmus compliance "
    "check --chip C --to R --date D"
)
TPP_NOTE = "TPP = 2 x MacTOPS x bit length = dense TOPS x bits (88 FR 73458); PD = TPP / die area."


# ------------------------------------------------------------------------------------------------ matrix


class MatrixAxesFile(StrictModel):
    """`plan/data/compliance_matrix.yaml`: the axes of the default matrix and why they were chosen."""

    why: str = Field(min_length=1)
    chips: tuple[str, ...] = Field(min_length=1)  # catalogue keys
    regions: tuple[str, ...] = Field(min_length=1)  # ISO 3166-1 alpha-2


@functools.lru_cache(maxsize=1)
def default_axes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(chips, regions) of the default matrix, from `plan/data/compliance_matrix.yaml`."""
    text = resources.files("isthmus.plan").joinpath("data/compliance_matrix.yaml").read_text(encoding="utf-8")
    axes = validate_packaged(MatrixAxesFile, text, "default compliance matrix (compliance_matrix.yaml)")
    return axes.chips, axes.regions


@dataclass(frozen=True)
class VerdictMatrix:
    """Verdicts for chips (rows) x regions (columns) on one date, for one actor and action (as asked)."""

    on: dt.date
    actor_hq: str  # as given
    action: str  # as given
    state_funded: bool
    regions: tuple[str, ...]
    grid: tuple[tuple[Verdict, ...], ...]  # [chip][region]

    @property
    def _first(self) -> Verdict:
        return self.grid[0][0]

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._first.warnings

    @property
    def data_date(self) -> dt.date:
        return self._first.data_date

    @property
    def notice(self) -> str:
        return self._first.notice

    @property
    def title(self) -> str:
        funded = ", state-funded" if self.state_funded else ""
        return f"{self.action} on {self.on.isoformat()}, actor hq={self.actor_hq}{funded}"

    def cells(self) -> list[list[str]]:
        """One row per chip: the chip key, then each region's short effect code ('?' appended: low confidence)."""
        return [
            [row[0].chip, *(EFFECT_CODES[v.effect] + ("?" if v.confidence == "low" else "") for v in row)]
            for row in self.grid
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "actor_hq": self.actor_hq,
            "action": self.action,
            "regions": list(self.regions),
            "rows": [
                {
                    "chip": row[0].chip,
                    "cells": [
                        {
                            "region": v.destination,
                            "effect": v.effect,
                            "confidence": v.confidence,
                            "rules": [r.id for r in v.deciding],
                        }
                        for v in row
                    ],
                }
                for row in self.grid
            ],
            "warnings": list(self.warnings),
            "data_date": self.data_date.isoformat(),
            "notice": self.notice,
        }


def verdict_matrix(
    chips: Sequence[str] | None,
    regions: Sequence[str] | None,
    *,
    on: dt.date,
    actor_hq: str = "US",
    action: str = "deploy",
    state_funded: bool = False,
    scenarios: Sequence[Path] = (),
    us_person: bool = False,
    entity: str | None = None,
    listed_affiliate: bool = False,
) -> VerdictMatrix:
    """The matrix for `chips` x `regions` (None: the default axes; blanks dropped, regions upper-cased)."""
    default_chips, default_regions = default_axes()
    chip_list = tuple(c.strip() for c in (default_chips if chips is None else chips) if c.strip())
    region_list = tuple(r.strip().upper() for r in (default_regions if regions is None else regions) if r.strip())
    if not chip_list or not region_list:
        raise InputError("no chips or no regions to show", hint="give comma-separated names, e.g. --chips h20,910c")
    grid = matrix(
        chip_list,
        region_list,
        on=on,
        actor_hq=actor_hq,
        action=action,
        state_funded=state_funded,
        scenarios=scenarios,
        us_person=us_person,
        entity=entity,
        listed_affiliate=listed_affiliate,
    )
    return VerdictMatrix(on, actor_hq, action, state_funded, region_list, tuple(tuple(row) for row in grid))


# ------------------------------------------------------------------------------------------------ classification


@dataclass(frozen=True)
class ClassificationReport:
    """A part's 3A090 class under every vintage (or the one in force on `on`), with the arithmetic."""

    part: str
    on: dt.date | None
    warnings: tuple[str, ...]
    data_date: dt.date
    classifications: tuple[tpp.Classification, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "on": self.on.isoformat() if self.on else None,
            "warnings": list(self.warnings),
            "data_date": self.data_date.isoformat(),
            "classifications": [c.to_json() for c in self.classifications],
        }


def rates_from_figures(tflops: Sequence[float], bits: Sequence[int]) -> dict[str, float | None]:
    """Dense rates per precision from (TFLOPS, bit length) pairs, as `tpp.classify` takes them."""
    if not tflops or len(tflops) != len(bits):
        raise InputError("give a CHIP, or --tflops and --bits in pairs", hint="e.g. --tflops 312 --bits 16")
    by_bits = {b: p for p, b in tpp.BITS.items() if p not in ("bf16", "tf32", "int8")}
    bad = [b for b in bits if b not in by_bits]
    if bad:
        raise InputError(f"unsupported --bits {bad}", hint="use 4, 8, 16, 32 or 64")
    return {by_bits[b]: t for t, b in zip(tflops, bits, strict=True)}


def classification_report(
    chip: str | None,
    on: dt.date | None = None,
    *,
    tflops: Sequence[float] = (),
    bits: Sequence[int] = (),
    die_area_mm2: float | None = None,
    datacenter: bool = True,
    io_bw_gbs: float | None = None,
    dram_bw_gbs: float | None = None,
) -> ClassificationReport:
    """Classify catalogue `chip`, or a custom part from (TFLOPS, bits) pairs, under the vintage in force on `on`
    (None: every vintage). A date before the first vintage gives no classification and a warning saying so."""
    rules = load_rules()
    vintages = tpp.VINTAGES
    warnings = date_warnings(on, rules) if on else ()
    if on is not None:
        v = tpp.vintage_on(on)
        vintages = (v,) if v else ()
        if v is None:
            first = tpp.VINTAGES[0].effective_from.isoformat()
            warnings = (f"no 3A090 rule was in force on {on.isoformat()} (the first starts {first}): not classified",)
    if chip:
        from isthmus.plan.catalog import load_catalog

        c = load_catalog().chip(chip)
        label = f"{c.name} ({c.key})"
        results = tuple(tpp.classify_chip(c, vintage=v) for v in vintages)
    else:
        rates = rates_from_figures(tflops, bits)
        label = "custom part"
        results = tuple(
            tpp.classify(
                rates,
                die_area_mm2=die_area_mm2,
                datacenter=datacenter,
                io_bw_gbs=io_bw_gbs,
                dram_bw_gbs=dram_bw_gbs,
                vintage=v,
            )
            for v in vintages
        )
    return ClassificationReport(label, on, warnings, rules.data_date, results)


# ------------------------------------------------------------------------------------------------ rule listing


@dataclass(frozen=True)
class RuleListing:
    """The rule data (optionally one jurisdiction's, with scenarios applied): ids, dates, effects, evidence."""

    data_date: dt.date
    notice: str
    rules: tuple[RuleSpec, ...]

    @property
    def title(self) -> str:
        return f"Rules (data as of {self.data_date.isoformat()})"

    columns: ClassVar[tuple[str, ...]] = ("id", "from", "to", "effect", "ev.", "title")

    def rows(self) -> list[list[str]]:
        return [
            [
                r.id,
                r.effective_from.isoformat(),
                r.effective_to.isoformat() if r.effective_to else "",
                r.effect if r.enforced else f"{r.effect} (not enforced)",
                r.evidence,
                r.title,
            ]
            for r in self.rules
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "data_date": self.data_date.isoformat(),
            "notice": self.notice,
            "rules": [r.model_dump(mode="json") for r in self.rules],
        }


def rule_listing(jurisdiction: str | None = None, scenarios: Sequence[Path] = ()) -> RuleListing:
    """The packaged rules with `scenarios` applied, only `jurisdiction`'s (case-insensitive) when given."""
    rs = load_rules()
    if scenarios:
        rs = rs.with_scenarios(scenarios)
    rules = tuple(r for r in rs.rules if jurisdiction is None or r.jurisdiction == jurisdiction.upper())
    return RuleListing(rs.data_date, rs.notice, rules)
