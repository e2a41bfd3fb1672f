"""Assess section "emulate": the project's model, forward + backward + optimizer step, run on the CPU under each
Ascend target in report mode; lists what would fail, fall back or be slow, with module paths and source lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isthmus.assess.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.blocks import Block, heading, para, table

if TYPE_CHECKING:
    from isthmus.ops import EmulationReport

KEY, TITLE = "emulate", "Emulated run"


def section(ctx: AssessContext) -> SectionResult:
    """Emulate every Ascend target of the project (npu device type) on its `[assess] model`."""
    model = ctx.project.config.model
    if not model:
        return SectionResult(KEY, TITLE, "skipped", "no [assess] model in isthmus.toml")
    from isthmus.files import atomic_write_json
    from isthmus.ops import emulate_model, resolve_target

    profiles = [resolve_target(t) for t in ctx.targets]
    npu = [p for p in profiles if p.device_type == "npu"]
    if not npu:
        return SectionResult(KEY, TITLE, "skipped", "no Ascend target in the project's targets")
    file, sep, factory = model.rpartition(":")
    spec = f"{ctx.project.root / file}:{factory}" if sep and file.endswith(".py") else model
    status: SectionStatus = "pass"
    found: list[Blocker] = []
    parts: list[Block] = []
    summaries: list[str] = []
    data: dict[str, object] = {}
    for profile in npu:
        outcome = emulate_model(spec, profile, train=True, steps=1)
        rep = outcome.report
        data[profile.name] = rep.to_json()
        atomic_write_json(ctx.work_dir / f"emulate-{profile.name}.json", data[profile.name])
        if rep.crash or rep.of_kind("unsupported") or any(f.behaviour == "error" for f in rep.findings):
            status = "fail"
            found.append(
                Blocker(
                    "ascend",
                    "blocks",
                    f"the emulated {profile.name} run would fail: {rep.summary()}",
                    "replace the operators listed in Emulated run (each with its module and source line)",
                    "days",
                )
            )
        elif rep.findings and status == "pass":
            status = "warn"
        summaries.append(rep.summary())
        parts += _target_blocks(rep)
    return SectionResult(KEY, TITLE, status, "; ".join(summaries), data, tuple(parts), blockers=tuple(found))


def _target_blocks(rep: EmulationReport) -> list[Block]:
    head_blocks: list[Block] = [
        heading(rep.target),
        para(f"{rep.summary()} (one training step: forward + backward + optimizer step)."),
    ]
    total = rep.total_seconds
    rows = [
        [
            f.kind,
            f.op,
            ",".join(f.dtypes),
            f.behaviour,
            f"{f.where} [{f.phase}]",
            f.source,
            f.count,
            f"{100 * f.seconds / total:.1f}%" if total > 0 else "-",
        ]
        for f in sorted(rep.entries(), key=lambda f: (f.kind == "crash", -f.count))[:40]
    ]
    head = ["kind", "operator", "dtypes", "on the target", "module", "source", "calls", "time"]
    body = table(head, rows, (6, 7)) if rows else para("Nothing would fail, fall back or be slow.")
    more = len(rep.entries()) - len(rows)
    tail = [para(f"{more} more sites in the JSON report.", muted=True)] if more > 0 else []
    note = para(
        "Run on the host CPU under the target's published operator registry and dtype rules (no Ascend hardware): "
        + rep.registry_source,
        muted=True,
    )
    return [*head_blocks, body, *tail, note]
