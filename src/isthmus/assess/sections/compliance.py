"""Assess section "compliance": for the project's targets, a chips x regions matrix of export-control verdicts today.

Targets map to catalogue chips through the target registry (data/targets.yaml: `cuda` -> the NVIDIA data-centre
parts, `ascend-910b` -> Ascend 910B...). Regions come from the project's fleet file (`regions: {name: {country,
actor_hq, state_funded}}`) when it has one, else a default set of markets with a US-headquartered operator.
Status: fail if some target chip is prohibited or denied in every region, warn if any cell needs a licence or is
prohibited, pass otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml

from isthmus.assess.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.blocks import Span, bullets, para, table
from isthmus.plan import Verdict, check
from isthmus.project import Project
from isthmus.targets import chips_of, side_of

_BLOCKING = ("presumption_of_denial", "prohibited")


@dataclass(frozen=True)
class Market:
    """A named market to check, with the legal profile of the operator there (a fleet file's region, read leniently)."""

    name: str
    country: str
    actor_hq: str
    state_funded: bool = False


DEFAULT_REGIONS = (
    Market("us", "US", "US"),
    Market("eu", "DE", "US"),
    Market("sg", "SG", "US"),
    Market("ae", "AE", "US"),
    Market("in", "IN", "US"),
    Market("cn", "CN", "US"),
)


def regions_of(project: Project) -> tuple[tuple[Market, ...], str]:
    """The fleet file's regions (country, actor_hq, state_funded) if readable, else the defaults."""
    path = project.config.fleet
    if path is None or not path.is_file():
        return DEFAULT_REGIONS, "default markets (no fleet file)"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw: dict[str, Any] = data["regions"]
        regions = tuple(
            Market(
                str(k),
                str(v["country"]).upper(),
                str(v.get("actor_hq", "US")).upper(),
                bool(v.get("state_funded", False)),
            )
            for k, v in raw.items()
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return DEFAULT_REGIONS, f"default markets ({path.name} has no readable regions)"
    return (regions or DEFAULT_REGIONS), f"regions of {path.name}"


def section(ctx: AssessContext) -> SectionResult:
    chips = list(dict.fromkeys(c for t in ctx.targets for c in chips_of(t)))
    if not chips:
        return SectionResult("compliance", "Export controls", "skipped", "no accelerator targets to check")
    regions, origin = regions_of(ctx.project)
    today = dt.date.today()
    grid: list[list[Verdict]] = [
        [check(c, r.country, actor_hq=r.actor_hq, on=today, state_funded=r.state_funded) for r in regions]
        for c in chips
    ]
    blocked = [row[0].chip for row in grid if all(v.effect in _BLOCKING for v in row)]
    # fail only on high-confidence blocks (primary texts); press-reported or secondary-only blocks warn
    firm = [row[0].chip for row in grid if all(v.effect in _BLOCKING and v.confidence == "high" for v in row)]
    restricted = sum(1 for row in grid for v in row if not v.allowed)
    status: SectionStatus = "fail" if firm else ("warn" if restricted else "pass")
    summary = f"{len(chips)} chips x {len(regions)} regions on {today}: {restricted} restricted cells" + (
        f"; blocked everywhere: {', '.join(blocked)}" if blocked else ""
    )
    rows = [[row[0].chip, *(f"{v.effect} ({v.confidence})" for v in row)] for row in grid]
    headers = ["chip", *(f"{r.name} ({r.country}, hq {r.actor_hq})" for r in regions)]
    reasons = sorted({f"{f.id}: {f.title} [{f.evidence}]" for row in grid for v in row for f in v.deciding})
    notice = grid[0][0].notice
    blocks = (
        para(f"{origin}; deploy action; rule data as of {grid[0][0].data_date}."),
        table(headers, rows),
        bullets(reasons),
        para(Span(notice, "em")),
    )
    by_side = _by_side(ctx.targets, chips, regions, grid)
    data = {
        "by_side": by_side,
        "on": today.isoformat(),
        "regions": [r.__dict__ for r in regions],
        "origin": origin,
        "cells": [v.to_json() for row in grid for v in row],
        "data_date": grid[0][0].data_date.isoformat(),
    }
    found = tuple(
        Blocker(
            side,  # type: ignore[arg-type]
            "blocks" if not v["allowed"] else "caveat",
            f"export rules today: {'; '.join(v['not'])}",
            "deploy only where allowed, or get a licence (see Export controls; not legal advice)",
            "weeks",
        )
        for side, v in by_side.items()
        if v["not"]
    )
    return SectionResult("compliance", "Export controls", status, summary, data, blocks, blockers=found)


def _by_side(
    targets: tuple[str, ...], chips: list[str], regions: tuple[Market, ...], grid: list[list[Verdict]]
) -> dict[str, dict[str, list[str]]]:
    """Per side: regions where every chip of that side may be deployed today, and "region (chip: effect)" where not."""
    out: dict[str, dict[str, list[str]]] = {}
    for side in dict.fromkeys(s for t in targets if (s := side_of(t)) is not None):
        mine = {c for t in targets if side_of(t) == side for c in chips_of(t)}
        rows = [row for chip, row in zip(chips, grid, strict=True) if chip in mine]
        allowed, refused = [], []
        for j, r in enumerate(regions):
            bad = [f"{row[j].chip}: {row[j].effect}" for row in rows if not row[j].allowed]
            if bad:
                refused.append(f"{r.name} ({', '.join(bad[:2])}{', …' if len(bad) > 2 else ''})")
            else:
                allowed.append(r.name)
        out[side] = {"allowed": allowed, "not": refused}
    return out
