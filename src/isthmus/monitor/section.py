"""Assess section "Accelerator telemetry": a snapshot in the monitor schema when the host has accelerators."""

from __future__ import annotations

from isthmus.errors import NotInstalledError
from isthmus.monitor.collect import Sources, detect, take_snapshot
from isthmus.monitor.render import header, rows
from isthmus.report.html import esc, table
from isthmus.report.model import AssessContext, SectionResult

KEY, TITLE = "telemetry", "Accelerator telemetry"


def section(ctx: AssessContext, sources: Sources | None = None) -> SectionResult:
    """Read one snapshot; no accelerator (or no vendor interface) is "skipped", an unreadable device is "warn"."""
    if sources is None:
        try:
            sources = detect("auto")
        except NotInstalledError as e:  # cannot even look for NVIDIA GPUs: say so rather than "no accelerators"
            return SectionResult(KEY, TITLE, "skipped", f"skipped: {e}", {"notes": [str(e)]}, f"<p>{esc(e)}</p>")
    snap = take_snapshot(sources)
    if not snap.devices:
        notes = "; ".join(snap.notes) or "no vendor interface found"
        return SectionResult(
            KEY,
            TITLE,
            "skipped",
            "no accelerators: skipped",
            {"notes": list(snap.notes)},
            f"<p>No accelerators: skipped ({esc(notes)}).</p>",
        )
    bad = snap.errors
    vendors = sorted({d.vendor for d in snap.devices})
    summary = f"{len(snap.devices)} device(s) ({', '.join(vendors)}) on {snap.node}" + (
        f"; {len(bad)} unreadable" if bad else ""
    )
    html = (
        f"<p>Snapshot taken {esc(snap.taken)} on <code>{esc(snap.node)}</code>, in the schema of "
        "<code>isthmus monitor</code> (docs/monitor.md).</p>" + table(header(), rows(snap))
    )
    if bad:
        html += table(["vendor", "index", "error"], [[d.vendor, d.index, d.error] for d in bad])
    return SectionResult(KEY, TITLE, "warn" if bad else "pass", summary, snap.to_json(), html)
