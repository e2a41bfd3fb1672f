"""Assess section: the machine the assessment ran on (from `isthmus doctor`)."""

from __future__ import annotations

from isthmus.doctor import run_doctor
from isthmus.report.html import table
from isthmus.report.model import AssessContext, SectionResult


def section(ctx: AssessContext) -> SectionResult:
    report = run_doctor()
    errors = [c for c in report.checks if c.status == "error"]
    torch_line = next((c.detail for c in report.checks if c.name == "torch"), "torch missing")
    accels = [c.detail for c in report.checks if c.group in ("cuda", "npu", "xpu", "mps") and c.status == "ok"]
    summary = f"torch {torch_line}; accelerators: {', '.join(accels) or 'none (CPU only)'}"
    rows = [(c.group, c.name, c.status, c.detail) for c in report.checks]
    return SectionResult(
        "environment",
        "Environment",
        "warn" if errors else "pass",
        summary,
        report.to_json(),
        table(["group", "check", "status", "detail"], rows),
    )
