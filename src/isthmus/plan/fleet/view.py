"""A plan as document blocks (`isthmus.blocks`): tables and charts (cost per region, chosen systems, cost of the
split), for the assess section and `isthmus plan --out` (plan.html, rendered by `isthmus.report`)."""

from __future__ import annotations

from typing import Any

from isthmus.blocks import BarChart, Block, bullets, heading, para, table
from isthmus.plan.fleet.render import (
    DIFF_HEAD,
    PLAN_HEAD,
    REGION_HEAD,
    SPLIT_HEAD,
    diff_rows,
    headline,
    note_rows,
    plan_rows,
    region_rows,
    split_rows,
)


def charts(report: Any) -> list[Block]:
    """The three charts of a plan report."""
    base = report.base
    parts: list[Block] = []
    if base.feasible:
        per_region = tuple((r.region, r.cost_usd / 1e6) for r in base.regions)
        parts += [heading("Cost per region (USD millions over the horizon)"), BarChart(per_region, " M")]
        systems: dict[str, float] = {}
        for r in base.regions:
            for ln in r.lines:
                label = f"{ln.hardware} ({r.region})"
                systems[label] = systems.get(label, 0.0) + ln.units
        parts += [
            heading("Chosen systems (units)"),
            BarChart(tuple(sorted(systems.items(), key=lambda kv: -kv[1])), color="#2e8b57"),
        ]
    if report.split is not None:
        rows = tuple((d.region, d.delta_usd / 1e6) for d in report.split.by_region if d.delta_usd == d.delta_usd)
        parts += [
            heading("Cost of the split by region (USD millions: real plan minus any chip anywhere)"),
            BarChart(rows, " M", color="#c0392b"),
        ]
    return parts


def plan_blocks(report: Any) -> tuple[Block, ...]:
    """Headline, charts and tables of a plan report."""
    base = report.base
    out: list[Block] = [para(headline(base))]
    if not base.feasible and base.infeasibility is not None:
        out.append(para("No plan: these constraints cannot all hold:"))
        out.append(bullets(base.infeasibility.sentences))
    out += charts(report)
    if base.feasible:
        out += [
            heading("Systems"),
            table(PLAN_HEAD, plan_rows(base), numeric=(3, 4, 5, 6, 7)),
            heading("Regions"),
            table(REGION_HEAD, region_rows(base), numeric=(2, 3, 4)),
        ]
        if base.notes:
            out += [heading("Compliance warnings on planned hardware"), table(["offer", "warning"], note_rows(base))]
        out += [
            heading("Excluded offers"),
            table(["offer", "kind", "why"], [[e.offer, e.kind, e.reason] for e in base.excluded]),
        ]
    if report.split is not None:
        out += [heading("Cost of the split"), table(SPLIT_HEAD, split_rows(report.split), numeric=(1, 2, 3))]
    if report.scenario is not None and report.diff is not None:
        out += [
            heading(f"Scenario: {', '.join(report.scenarios)}"),
            para(headline(report.scenario)),
            table(DIFF_HEAD, diff_rows(report.diff), numeric=(2, 3, 4)),
            table(["newly excluded", "why"], [[e.offer, e.reason] for e in report.diff.newly_excluded]),
        ]
    out.append(para("Rule verdicts come from isthmus' dated rule data; they are not legal advice.", muted=True))
    return tuple(out)


def plan_title(report: Any) -> str:
    """The title of plan.html."""
    return f"Fleet plan: {report.base.name}"
