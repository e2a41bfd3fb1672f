"""Assess section "ops": per target, the native share, failing and fallback operators, and dtype problems."""

from __future__ import annotations

from isthmus.report.html import bar_chart, esc, table
from isthmus.report.model import AssessContext, SectionResult, SectionStatus

KEY, TITLE = "ops", "Operator coverage"


def section(ctx: AssessContext) -> SectionResult:
    """Capture the project's model (forward, backward, optimizer step) and check it on ctx.targets."""
    model = ctx.project.config.model
    if not model:
        return SectionResult(KEY, TITLE, "skipped", "no [assess] model in isthmus.toml")
    from isthmus.ops.inventory import inventory
    from isthmus.ops.render import collapse

    file, sep, factory = model.rpartition(":")
    spec = f"{ctx.project.root / file}:{factory}" if sep and file.endswith(".py") else model
    inv = inventory(spec, ctx.targets, train=not ctx.quick)
    status: SectionStatus = "pass"
    if any(s.fallback_ops or s.dtype_problems for s in inv.summaries):
        status = "warn"
    if any(s.failures for s in inv.summaries):
        status = "fail"
    parts = [bar_chart([(s.target, round(s.native_pct, 1)) for s in inv.summaries], unit="% native")]
    rows = []
    for s in inv.summaries:
        rows.append([s.target, f"{s.native_pct:.1f}%", len(s.fallback_ops), s.failures, s.dtype_problems])
    parts.append(table(["target", "native calls", "fallback ops", "failures", "dtype problems"], rows, (1, 2, 3, 4)))
    problems = []
    for r in inv.rows:
        for target, sup in r.support:
            if sup.status in ("fallback", "unsupported"):
                where = collapse(p for p, _ in r.paths)
                problems.append([target, sup.status, r.op, r.count, where, sup.suggestion or sup.note])
    for d in inv.dtype_problems:
        problems.append([d.target, f"dtype {d.status}", d.dtype, d.count, collapse(p for p, _ in d.paths),
                         d.suggestion or d.note])  # fmt: skip
    if problems:
        parts.append(table(["target", "status", "operator / dtype", "calls", "where", "what to do"], problems, (3,)))
    sources = "".join(f"<li>{esc(s.target)}: {esc(s.registry_source)}</li>" for s in inv.summaries)
    parts.append(f'<p class="muted">Registries (no hardware was used):</p><ul class="muted">{sources}</ul>')
    summary = "; ".join(
        f"{s.target} {s.native_pct:.0f}% native, {len(s.fallback_ops)} fallback, {s.failures} failing"
        for s in inv.summaries
    )
    return SectionResult(KEY, TITLE, status, summary, inv.to_json(), "".join(parts))
