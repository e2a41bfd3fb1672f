"""The first screen of the report: is the project ready for each side, what blocks it, and what it would cost.

Built only from what the sections returned: their `blockers` (a failing section without any counts as one
blocker for both sides; ranked here: what blocks before what is a caveat,
cheap fixes first) and two data contracts: the "estimate" section's `data["rows"]` (cost per million tokens,
tokens per kWh per system) and the "compliance" section's `data["by_side"]` (where each side may be deployed
today). A section that did not run leaves its part of the summary saying so, never guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from isthmus.assess.model import EFFORT_ORDER, Blocker
from isthmus.targets import side_of

if TYPE_CHECKING:
    from isthmus.assess.model import AssessReport

Readiness = Literal["ready", "ready with caveats", "not ready", "not assessed"]
SIDE_NAMES = {"ascend": "Ascend", "cuda": "CUDA"}


@dataclass(frozen=True)
class SideVerdict:
    side: str
    targets: tuple[str, ...]
    readiness: Readiness
    blocks: int
    caveats: int
    why: str  # one line

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "targets": list(self.targets)}


@dataclass(frozen=True)
class Summary:
    sides: tuple[SideVerdict, ...]
    blockers: tuple[Blocker, ...]  # ranked
    costs: tuple[dict[str, Any], ...]  # the estimate section's rows, with where each side is allowed today
    cost_note: str
    not_run: tuple[str, ...]  # titles of sections that errored (their findings are missing)

    def to_json(self) -> dict[str, Any]:
        return {
            "sides": [s.to_json() for s in self.sides],
            "blockers": [b.to_json() for b in self.blockers],
            "costs": list(self.costs),
            "cost_note": self.cost_note,
            "not_run": list(self.not_run),
        }


def rank(blockers: list[Blocker]) -> list[Blocker]:
    """Blocking findings first, then by effort (cheapest first), keeping the sections' order otherwise."""
    return sorted(blockers, key=lambda b: (b.severity != "blocks", EFFORT_ORDER.index(b.effort)))


def _verdict(side: str, targets: tuple[str, ...], found: list[Blocker], assessed: bool) -> SideVerdict:
    mine = [b for b in found if b.side in (side, "both")]
    blocks = sum(1 for b in mine if b.severity == "blocks")
    caveats = len(mine) - blocks
    if not assessed:
        return SideVerdict(side, targets, "not assessed", 0, 0, "no section that checks code or operators ran")
    if blocks:
        readiness: Readiness = "not ready"
        why = f"{blocks} blocker(s); the cheapest fix first: {rank(mine)[0].fix}"
    elif caveats:
        readiness = "ready with caveats"
        why = f"runs; {caveats} caveat(s), first: {rank(mine)[0].what}".replace("_", " ")
    else:
        readiness = "ready"
        why = "no blocker or caveat found by the sections that ran"
    return SideVerdict(side, targets, readiness, blocks, caveats, why)


CHECKING_SECTIONS = frozenset({"scan", "ops", "emulate", "run", "parity"})


def summarize(report: AssessReport) -> Summary:
    """The summary of a finished report."""
    found = [b for s in report.sections for b in s.blockers]
    # a failing section that names no blockers still blocks: never let a "fail" vanish from the first screen
    found += [
        Blocker("both", "blocks", f"{s.title}: {s.summary}", f"see the {s.title} section", "hours", s.key)
        for s in report.sections
        if s.status == "fail" and not s.blockers
    ]
    assessed = any(s.key in CHECKING_SECTIONS and s.status != "skipped" for s in report.sections)
    sides: dict[str, list[str]] = {}
    for t in report.targets:
        side = side_of(t)
        if side is not None:
            sides.setdefault(side, []).append(t)
    verdicts = tuple(_verdict(side, tuple(ts), found, assessed) for side, ts in sorted(sides.items()))
    est = report.section("estimate")
    comp = report.section("compliance")
    by_side: dict[str, Any] = comp.data.get("by_side", {}) if comp is not None else {}
    costs: list[dict[str, Any]] = []
    note = "no performance estimate in this report"
    if est is not None and est.status != "error":
        note = est.summary
        for row in est.data.get("rows", []):
            allowed = by_side.get(row.get("side", ""), {})
            costs.append({**row, "allowed_today": allowed.get("allowed", []), "not_allowed": allowed.get("not", [])})
    errored = tuple(s.title for s in report.sections if s.status == "error")
    return Summary(verdicts, tuple(rank(found)), tuple(costs), note, errored)
