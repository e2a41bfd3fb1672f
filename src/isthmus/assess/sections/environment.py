"""Assess section: the machine the assessment ran on (from `isthmus doctor`)."""

from __future__ import annotations

from collections.abc import Sequence

from isthmus.assess.model import AssessContext, SectionResult
from isthmus.blocks import table
from isthmus.doctor import Check, run_doctor


def accelerators(checks: Sequence[Check]) -> list[str]:
    """The devices doctor saw, one entry each ("cuda:0 NVIDIA H200"); driver and stack lines are not devices."""
    found = []
    for c in checks:
        if c.status != "ok":
            continue
        if c.group == "cuda" and c.name.startswith("cuda:"):
            found.append(f"{c.name} {c.data.get('name') or c.detail.split(',')[0]}")
        elif c.group == "npu" and c.name == "torch_npu" and c.data.get("devices"):
            found.append(f"{c.data['devices']} Ascend NPU(s)")
        elif c.group in ("xpu", "mps"):
            found.append(f"{c.name} {c.detail}")
    return found


def stack(checks: Sequence[Check]) -> list[str]:
    """Driver and vendor stack versions ("NVIDIA driver 580.159.04", "CANN 8.0")."""
    out = []
    for c in checks:
        if c.status == "ok" and c.group == "cuda" and c.name == "driver":
            out.append(f"NVIDIA driver {c.detail}")
        elif c.status == "ok" and c.group == "npu" and c.name == "CANN":
            out.append(f"CANN {c.detail}")
    return out


def section(ctx: AssessContext) -> SectionResult:
    report = run_doctor()
    errors = [c for c in report.checks if c.status == "error"]
    torch_line = next((c.detail for c in report.checks if c.name == "torch"), "torch missing")
    devices = accelerators(report.checks)
    drivers = stack(report.checks)
    summary = f"torch {torch_line}; accelerators: {', '.join(devices) or 'none (CPU only)'}" + (
        f"; {', '.join(drivers)}" if drivers else ""
    )
    rows = [(c.group, c.name, c.status, c.detail) for c in report.checks]
    data = {**report.to_json(), "accelerators": devices, "stack": drivers}
    return SectionResult(
        "environment",
        "Environment",
        "warn" if errors else "pass",
        summary,
        data,
        (table(["group", "check", "status", "detail"], rows),),
    )
