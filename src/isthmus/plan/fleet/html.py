"""HTML for a plan: tables and inline SVG charts (cost per region, chosen systems, cost of the split).

Used by the assess section and by `isthmus plan --out` (plan.html). Every value from the input goes through `esc`
(the table and chart helpers escape their cells and labels).
"""

from __future__ import annotations

from typing import Any

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
from isthmus.report.html import CSS, bar_chart, esc, table


def charts(report: Any) -> str:
    """The three charts of a plan report."""
    base = report.base
    parts = []
    if base.feasible:
        per_region = [(r.region, r.cost_usd / 1e6) for r in base.regions]
        parts += ["<h3>Cost per region (USD millions over the horizon)</h3>", bar_chart(per_region, " M")]
        systems: dict[str, float] = {}
        for r in base.regions:
            for ln in r.lines:
                label = f"{ln.hardware} ({r.region})"
                systems[label] = systems.get(label, 0.0) + ln.units
        parts += [
            "<h3>Chosen systems (units)</h3>",
            bar_chart(sorted(systems.items(), key=lambda kv: -kv[1]), color="#2e8b57"),
        ]
    if report.split is not None:
        rows = [(d.region, d.delta_usd / 1e6) for d in report.split.by_region if d.delta_usd == d.delta_usd]
        parts += [
            "<h3>Cost of the split by region (USD millions: real plan minus any chip anywhere)</h3>",
            bar_chart(rows, " M", color="#c0392b"),
        ]
    return "".join(parts)


def fragment(report: Any) -> str:
    """Headline, charts and tables (no page chrome)."""
    base = report.base
    out = [f"<p>{esc(headline(base))}</p>"]
    if not base.feasible and base.infeasibility is not None:
        out.append("<p>No plan: these constraints cannot all hold:</p><ul>")
        out += [f"<li>{esc(s)}</li>" for s in base.infeasibility.sentences]
        out.append("</ul>")
    out.append(charts(report))
    if base.feasible:
        out += [
            "<h3>Systems</h3>",
            table(PLAN_HEAD, plan_rows(base), numeric=(3, 4, 5, 6, 7)),
            "<h3>Regions</h3>",
            table(REGION_HEAD, region_rows(base), numeric=(2, 3, 4)),
            *(
                ["<h3>Compliance warnings on planned hardware</h3>", table(["offer", "warning"], note_rows(base))]
                if base.notes
                else []
            ),
            "<h3>Excluded offers</h3>",
            table(["offer", "kind", "why"], [[e.offer, e.kind, e.reason] for e in base.excluded]),
        ]
    if report.split is not None:
        out += ["<h3>Cost of the split</h3>", table(SPLIT_HEAD, split_rows(report.split), numeric=(1, 2, 3))]
    if report.scenario is not None and report.diff is not None:
        out += [
            f"<h3>Scenario: {esc(', '.join(report.scenarios))}</h3>",
            f"<p>{esc(headline(report.scenario))}</p>",
            table(DIFF_HEAD, diff_rows(report.diff), numeric=(2, 3, 4)),
            table(["newly excluded", "why"], [[e.offer, e.reason] for e in report.diff.newly_excluded]),
        ]
    out.append('<p class="muted">Rule verdicts come from isthmus\' dated rule data; they are not legal advice.</p>')
    return "".join(out)


def page(report: Any) -> str:
    """A self-contained plan.html."""
    title = esc(f"Fleet plan: {report.base.name}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{title}</h1></header><main><section>{fragment(report)}</section></main>"
        "</body></html>\n"
    )
