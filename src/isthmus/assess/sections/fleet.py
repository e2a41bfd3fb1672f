"""Assess section "fleet": plan the project's fleet file (`[assess] fleet = ...` in isthmus.toml).

Shows cost per region, the chosen systems and the cost of the split as inline SVG charts, with the plan's tables.
The status is "warn" when the plan uses hardware the rules discourage, or relies on a declared licence.
"""

from __future__ import annotations

from isthmus.assess.model import AssessContext, SectionResult
from isthmus.blocks import code, para

KEY, TITLE = "fleet", "Fleet plan"


def section(ctx: AssessContext) -> SectionResult:
    """Plan the configured fleet; skipped when the project names none."""
    path = ctx.project.config.fleet
    if path is None:
        return SectionResult(KEY, TITLE, "skipped", 'no fleet file configured ([assess] fleet = "fleet.yaml")')
    if not path.is_file():
        return SectionResult(
            KEY,
            TITLE,
            "fail",
            f"fleet file not found: {path}",
            blocks=(para("fleet file not found: ", code(path)),),
        )
    from isthmus.errors import InputError
    from isthmus.files import atomic_write_json
    from isthmus.plan.fleet import headline, load_fleet, money, plan_blocks, plan_fleet

    try:
        report = plan_fleet(load_fleet(path))
    except InputError as e:
        return SectionResult(KEY, TITLE, "fail", f"fleet file rejected: {e}", blocks=(para(str(e)),))
    atomic_write_json(ctx.work_dir / "plan.json", report.to_json())
    base = report.base
    if not base.feasible:
        why = base.infeasibility.text() if base.infeasibility else base.status
        return SectionResult(KEY, TITLE, "fail", f"no feasible plan: {why}", report.to_json(), plan_blocks(report))
    split = f"; the split costs {money(report.split.delta_usd)}" if report.split else ""
    kinds = sorted({n.kind for n in base.notes})
    warn = f"; {len(base.notes)} compliance warning(s) on planned hardware ({', '.join(kinds)})" if kinds else ""
    return SectionResult(
        KEY,
        TITLE,
        "warn" if base.notes else "pass",
        headline(base) + split + warn,
        report.to_json(),
        plan_blocks(report),
    )
