"""Plans for people: rich tables on a terminal, and Markdown for `--out` (plan.md)."""

from __future__ import annotations

import math
from typing import Any

from isthmus.plan.fleet.planner import FleetPlan
from isthmus.plan.fleet.split import PlanDiff, SplitCost


def money(x: float) -> str:
    """$1.23M / $456k / $789: short figures for tables."""
    if math.isnan(x):
        return "-"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:.0f}"


def headline(plan: FleetPlan) -> str:
    head = f"{plan.name}: plan on {plan.on} over {plan.horizon_months} months"
    if not plan.feasible:
        return f"{head}: no feasible plan ({plan.status})"
    return f"{head}: {money(plan.cost_usd)} ({plan.status}, gap {100 * plan.gap:.2f} %)"


def plan_rows(plan: FleetPlan) -> list[list[str]]:
    """One row per (region, offer) with units; shared by the terminal, Markdown and HTML renderings."""
    rows = []
    for r in plan.regions:
        for ln in r.lines:
            rows.append(
                [
                    r.region,
                    ln.offer,
                    ln.hardware,
                    f"{ln.units:,}",
                    f"{ln.chips:,}",
                    f"{100 * ln.utilisation:.0f} %",
                    money(ln.cost_usd),
                    f"{ln.power_kw:,.0f}",
                ]
            )
    return rows


def region_rows(plan: FleetPlan) -> list[list[str]]:
    return [
        [
            r.region,
            r.country,
            money(r.cost_usd) if plan.feasible else "-",
            f"{r.power_kw:,.0f}",
            "-" if r.power_cap_kw is None else f"{r.power_cap_kw:,.0f}",
        ]
        for r in plan.regions
    ]


def note_rows(plan: FleetPlan) -> list[list[str]]:
    return [[n.offer, f"[{n.kind}] {n.text}"] for n in plan.notes]


def split_rows(split: SplitCost) -> list[list[str]]:
    return [[d.region, money(d.base_usd), money(d.other_usd), money(d.delta_usd)] for d in split.by_region]


def diff_rows(diff: PlanDiff) -> list[list[str]]:
    return [
        [c.region, c.offer, str(c.base_units), str(c.new_units), f"{c.new_units - c.base_units:+d}"]
        for c in diff.changes
    ]


PLAN_HEAD = ["region", "offer", "hardware", "units", "chips", "util", "cost", "kW"]
REGION_HEAD = ["region", "country", "cost", "kW", "cap kW"]
SPLIT_HEAD = ["region", "real plan", "any chip anywhere", "cost of the split"]
DIFF_HEAD = ["region", "offer", "base units", "scenario units", "change"]


def print_report(report: Any, console: Any) -> None:
    """Write a `PlanReport` to a rich console."""
    from rich.markup import escape
    from rich.table import Table

    def tab(title: str, head: list[str], rows: list[list[str]]) -> None:
        t = Table(title=title, title_justify="left", show_edge=False)
        for h in head:
            t.add_column(h, justify="right" if h in ("units", "chips", "util", "cost", "kW", "cap kW") else "left")
        for row in rows:
            t.add_row(*(escape(c) for c in row))
        console.print(t)

    _plan(report.base, console, tab)
    if report.split is not None:
        tab(
            f"Cost of the split: {money(report.split.delta_usd)} over the horizon", SPLIT_HEAD, split_rows(report.split)
        )
    if report.scenario is not None and report.diff is not None:
        console.print(escape(f"\nScenario ({', '.join(report.scenarios)}): {headline(report.scenario)}"))
        _plan(report.scenario, console, tab, brief=True)
        tab(f"Difference from the base plan: {money(report.diff.delta_usd)}", DIFF_HEAD, diff_rows(report.diff))
        for e in report.diff.newly_excluded:
            console.print(escape(f"  newly excluded {e.offer}: {e.reason}"))


def _plan(plan: FleetPlan, console: Any, tab: Any, brief: bool = False) -> None:
    from rich.markup import escape

    if not brief:
        console.print(escape(headline(plan)))
    if not plan.feasible:
        if plan.infeasibility is not None:
            console.print(escape(f"  {plan.infeasibility.text()}"))
        return
    tab("Systems", PLAN_HEAD, plan_rows(plan))
    if not brief:
        tab("Regions", REGION_HEAD, region_rows(plan))
    if plan.notes:
        tab("Compliance warnings on planned hardware", ["offer", "warning"], note_rows(plan))
    if not brief:
        tab("Excluded offers", ["offer", "why"], [[e.offer, f"[{e.kind}] {e.reason}"] for e in plan.excluded])


def markdown(report: Any) -> str:
    """plan.md: the same content as the terminal output, as Markdown tables."""
    out = [f"# Fleet plan: {report.base.name}", "", headline(report.base), ""]
    base: FleetPlan = report.base
    if not base.feasible and base.infeasibility is not None:
        out += ["## Why there is no plan", "", *(f"- {s}" for s in base.infeasibility.sentences), ""]
    if base.feasible:
        out += [
            "## Systems",
            "",
            *_md_table(PLAN_HEAD, plan_rows(base)),
            "",
            "## Regions",
            "",
            *_md_table(REGION_HEAD, region_rows(base)),
            "",
            *(["## Compliance warnings on planned hardware", ""] if base.notes else []),
            *(f"- **{n.offer}** ({n.kind}): {n.text}" for n in base.notes),
            *([""] if base.notes else []),
            "## Excluded offers",
            "",
            *(f"- **{e.offer}** ({e.kind}): {e.reason}" for e in base.excluded),
            "",
        ]
    if report.split is not None:
        out += [
            f"## Cost of the split: {money(report.split.delta_usd)}",
            "",
            *_md_table(SPLIT_HEAD, split_rows(report.split)),
            "",
        ]
    if report.scenario is not None and report.diff is not None:
        out += [
            f"## Scenario: {', '.join(report.scenarios)}",
            "",
            headline(report.scenario),
            "",
            *_md_table(DIFF_HEAD, diff_rows(report.diff)),
            "",
            *(f"- newly excluded **{e.offer}**: {e.reason}" for e in report.diff.newly_excluded),
            *(f"- warning on **{n.offer}** ({n.kind}): {n.text}" for n in report.scenario.notes),
            "",
        ]
    out.append("_Rule verdicts come from isthmus' dated rule data; they are not legal advice._")
    return "\n".join(out) + "\n"


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(s: str) -> str:
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines
