"""The assess report's "Static scan" section: counts, top files, every error with its fix, and the --fix preview."""

from __future__ import annotations

from collections import Counter

from isthmus.assess.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.blocks import BarChart, Block, Code, code, heading, para, table
from isthmus.scan import Finding, ScanOptions, fix_file, scan, summary
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
    blocks: list[Block] = [
        para(
            "Target ",
            code(target),
            f"; {stats['files']} files, {stats['lines']} lines, {len(result.errors)} not scanned.",
        ),
        table(["severity", "findings"], [[k, v] for k, v in stats["by_severity"].items()], numeric=[1]),
        heading("By category"),
        BarChart(tuple((k, float(v)) for k, v in stats["by_category"].items())),
        heading("Top files"),
        table(["file", "findings"], top, numeric=[1]),
        heading("Errors"),
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
        else para("No errors."),
        heading("What ", code("isthmus scan --fix"), " would change"),
    ]
    for rel, n, d in previews:
        blocks += [para(code(rel), f": {n} fix(es)"), Code(d)]
    if not previews:
        blocks.append(para("Nothing to fix automatically."))
    data = {
        "target": target,
        "summary": stats,
        "top_files": top,
        "errors": [f.to_json() for f in errors],
        "fix_preview": [{"path": rel, "fixes": n, "diff": d} for rel, n, d in previews],
        "file_errors": [{"path": r.path, "error": r.error} for r in result.errors],
    }
    return SectionResult("scan", "Static scan", status, line, data, tuple(blocks), blockers=_blockers(errors))


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
