"""The assess report's "Static scan" section: counts, top files, every error with its fix, and the --fix preview."""

from __future__ import annotations

from collections import Counter

from isthmus.report.html import bar_chart, esc, table
from isthmus.report.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.scan.engine import ScanOptions, scan
from isthmus.scan.fixer import fix_file
from isthmus.scan.model import Finding
from isthmus.scan.output import summary
from isthmus.targets import scan_family


def section(ctx: AssessContext) -> SectionResult:
    """Scan the project for the first non-CUDA target (npu when any target is an Ascend part)."""
    target = scan_family(ctx.targets)
    root = ctx.project.root
    options = ScanOptions(target=target, root=str(root), jobs=1 if ctx.quick else 0)
    result = scan([str(root)], options)
    findings = result.findings
    errors = [f for f in findings if f.severity == "error"]
    previews = []
    for rel in sorted({f.path for f in findings if f.fix and f.fix.safe}):
        fr = fix_file(str(root / rel), rel, options, write=False)
        if fr.changed:
            previews.append((rel, len(fr.applied), fr.diff()))
    stats = summary(result)
    top = Counter(f.path for f in findings).most_common(8)
    status: SectionStatus = "fail" if errors else "warn" if findings else "pass"
    fixable = sum(1 for f in errors if f.fix and f.fix.safe)
    line = (
        f"{len(errors)} error(s) ({fixable} fixable with --fix), {stats['by_severity']['warning']} warning(s), "
        f"{stats['by_severity']['info']} info in {stats['files']} files"
    )
    html = [
        f"<p>Target <code>{esc(target)}</code>; {esc(stats['files'])} files, {esc(stats['lines'])} lines, "
        f"{esc(len(result.errors))} not scanned.</p>",
        table(["severity", "findings"], [[k, v] for k, v in stats["by_severity"].items()], numeric=[1]),
        "<h3>By category</h3>",
        bar_chart([(k, float(v)) for k, v in stats["by_category"].items()]),
        "<h3>Top files</h3>",
        table(["file", "findings"], top, numeric=[1]),
        "<h3>Errors</h3>",
        table(
            ["location", "code", "message", "fix"],
            [
                [
                    f"{f.path}:{f.line}",
                    f.code,
                    f.message,
                    (f.fix.description + ("" if f.fix.safe else " (unsafe)")) if f.fix else "none: port by hand",
                ]
                for f in errors
            ],
        )
        if errors
        else "<p>No errors.</p>",
        "<h3>What <code>isthmus scan --fix</code> would change</h3>",
    ]
    html += [f"<p><code>{esc(rel)}</code>: {n} fix(es)</p><pre>{esc(d)}</pre>" for rel, n, d in previews] or [
        "<p>Nothing to fix automatically.</p>"
    ]
    data = {
        "target": target,
        "summary": stats,
        "top_files": top,
        "errors": [f.to_json() for f in errors],
        "fix_preview": [{"path": rel, "fixes": n, "diff": d} for rel, n, d in previews],
        "file_errors": [{"path": r.path, "error": r.error} for r in result.errors],
    }
    return SectionResult("scan", "Static scan", status, line, data, "".join(html), blockers=_blockers(errors))


def _blockers(errors: list[Finding]) -> tuple[Blocker, ...]:
    """Errors with a safe fix take minutes (`isthmus scan --fix`); the others are ported by hand."""
    fixable = [f for f in errors if f.fix and f.fix.safe]
    by_hand = [f for f in errors if not (f.fix and f.fix.safe)]
    found = []
    if fixable:
        files = len({f.path for f in fixable})
        found.append(
            Blocker(
                "ascend",
                "blocks",
                f"{len(fixable)} CUDA-only call(s) in {files} file(s), e.g. {fixable[0].path}:{fixable[0].line} "
                f"({fixable[0].code})",
                "isthmus scan --fix (device-generic rewrites; review the diff), or run under isthmus run",
                "minutes",
            )
        )
    if by_hand:
        f = by_hand[0]
        found.append(
            Blocker(
                "ascend",
                "blocks",
                f"{len(by_hand)} CUDA-only use(s) with no automatic fix, "
                f"e.g. {f.path}:{f.line} ({f.code}: {f.message})",
                "port by hand (isthmus scan --explain CODE shows how)",
                "days" if any(f.path.endswith((".cu", ".cuh")) for f in by_hand) else "hours",
            )
        )
    return tuple(found)
