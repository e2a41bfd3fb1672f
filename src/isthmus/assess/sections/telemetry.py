"""Assess section "Accelerator telemetry": a snapshot in the monitor schema when the host has accelerators."""

from __future__ import annotations

from isthmus.assess.model import AssessContext, SectionResult
from isthmus.blocks import Block, code, para, table
from isthmus.errors import NotInstalledError
from isthmus.monitor import Sources, detect, snapshot_header, snapshot_rows, take_snapshot

KEY, TITLE = "telemetry", "Accelerator telemetry"


def section(ctx: AssessContext, sources: Sources | None = None) -> SectionResult:
    """Read one snapshot; no accelerator (or no vendor interface) is "skipped", an unreadable device is "warn"."""
    if sources is None:
        try:
            sources = detect("auto")
        except NotInstalledError as e:  # cannot even look for NVIDIA GPUs: say so rather than "no accelerators"
            return SectionResult(KEY, TITLE, "skipped", f"skipped: {e}", {"notes": [str(e)]}, (para(str(e)),))
    snap = take_snapshot(sources)
    if not snap.devices:
        notes = "; ".join(snap.notes) or "no vendor interface found"
        return SectionResult(
            KEY,
            TITLE,
            "skipped",
            "no accelerators: skipped",
            {"notes": list(snap.notes)},
            (para(f"No accelerators: skipped ({notes})."),),
        )
    bad = snap.errors
    vendors = sorted({d.vendor for d in snap.devices})
    summary = f"{len(snap.devices)} device(s) ({', '.join(vendors)}) on {snap.node}" + (
        f"; {len(bad)} unreadable" if bad else ""
    )
    blocks: list[Block] = [
        para(
            f"Snapshot taken {snap.taken} on ",
            code(snap.node),
            ", in the schema of ",
            code("isthmus monitor"),
            " (docs/monitor.md).",
        ),
        table(snapshot_header(), snapshot_rows(snap)),
    ]
    if bad:
        blocks.append(table(["vendor", "index", "error"], [[d.vendor, d.index, d.error] for d in bad]))
    return SectionResult(KEY, TITLE, "warn" if bad else "pass", summary, snap.to_json(), tuple(blocks))
