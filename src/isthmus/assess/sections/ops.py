"""Assess section "ops": per target, the native share, failing and fallback operators, and dtype problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isthmus.assess.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.blocks import BarChart, Block, bold, bullets, code, para, table
from isthmus.targets import side_of

if TYPE_CHECKING:
    from isthmus.ops import Inventory

KEY, TITLE = "ops", "Operator coverage"


def phases(train: bool) -> str:
    """The phases a share counts, named wherever a share is shown (`isthmus ops` counts the forward only)."""
    return "forward + backward + optimizer step" if train else "forward only"


def blockers(inv: Inventory) -> tuple[Blocker, ...]:
    """Failing operators block their target; fallbacks and dtype problems are caveats."""
    found: list[Blocker] = []
    for s in inv.summaries:
        side = side_of(s.target)
        if side is None:
            continue
        if s.failures:
            found.append(
                Blocker(
                    side,
                    "blocks",
                    f"{s.failures} operator call(s) unsupported on {s.target}",
                    "rewrite the module with supported operators or a custom kernel (see Operator coverage)",
                    "days",
                )
            )
        if s.fallback_ops:
            ops = ", ".join(list(s.fallback_ops)[:3])
            found.append(
                Blocker(
                    side,
                    "caveat",
                    f"{len(s.fallback_ops)} operator(s) fall back to the CPU on {s.target} (slow): {ops}",
                    "replace them with supported operators (see Operator coverage)",
                    "hours",
                )
            )
        if s.dtype_problems:
            found.append(
                Blocker(
                    side,
                    "caveat",
                    f"{s.dtype_problems} dtype problem(s) on {s.target}",
                    "cast to a dtype the target supports (see Operator coverage)",
                    "hours",
                )
            )
    return tuple(found)


def section(ctx: AssessContext) -> SectionResult:
    """Capture the project's model (forward, backward, optimizer step) and check it on ctx.targets."""
    model = ctx.project.config.model
    if not model:
        return SectionResult(KEY, TITLE, "skipped", "no [assess] model in isthmus.toml")
    from isthmus.ops import build_inventory, capture_model, collapse, get_target

    file, sep, factory = model.rpartition(":")
    spec = f"{ctx.project.root / file}:{factory}" if sep and file.endswith(".py") else model
    train = not ctx.quick
    profiles = [get_target(t) for t in dict.fromkeys(ctx.targets)]  # validate before the capture
    inv = build_inventory(capture_model(spec, train=train), profiles)
    status: SectionStatus = "pass"
    if any(s.fallback_ops or s.dtype_problems for s in inv.summaries):
        status = "warn"
    if any(s.failures for s in inv.summaries):
        status = "fail"
    counted = phases(train)
    parts: list[Block] = [
        para(
            "Operator calls counted: ",
            bold(counted),
            " (",
            code("isthmus ops"),
            " counts the forward only unless given ",
            code("--train"),
            ").",
        ),
        BarChart(
            tuple((s.target, round(s.native_pct, 1)) for s in inv.summaries),
            unit="%",
            value_format="fixed1",
            scale_max=100.0,
            title=f"Share of operator calls with a native kernel, per target ({counted})",
        ),
    ]
    rows = []
    for s in inv.summaries:
        rows.append([s.target, f"{s.native_pct:.1f}%", len(s.fallback_ops), s.failures, s.dtype_problems])
    head = ["target", f"native calls ({counted})", "fallback ops", "failures", "dtype problems"]
    parts.append(table(head, rows, (1, 2, 3, 4)))
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
    parts.append(para("Registries (no hardware was used):", muted=True))
    parts.append(bullets((f"{s.target}: {s.registry_source}" for s in inv.summaries), muted=True))
    summary = f"{counted}: " + "; ".join(
        f"{s.target} {s.native_pct:.1f}% native, {len(s.fallback_ops)} fallback, {s.failures} failing"
        for s in inv.summaries
    )
    data = {**inv.to_json(), "phases": counted}
    return SectionResult(KEY, TITLE, status, summary, data, tuple(parts), blockers=blockers(inv))
