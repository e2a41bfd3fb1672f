"""Write the assess report: run the recipe into a temporary directory, render it, and move it into place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from isthmus.assess import AssessReport, run_assess
from isthmus.files import atomic_output_dir, atomic_write_json, atomic_write_text
from isthmus.project import Project
from isthmus.report.html import render_page


def write_report(
    project: Project,
    out: Path,
    targets: tuple[str, ...] | None = None,
    only: frozenset[str] | None = None,
    quick: bool = False,
    on_section: Callable[[str, str], None] | None = None,
) -> AssessReport:
    """Run the assessment into a temporary directory and move it to `out` only when complete.

    Sections get an absolute `work_dir`, so subprocesses they start may run in any working directory.
    """
    with atomic_output_dir(out.resolve()) as tmp:
        work = tmp / "artifacts"
        work.mkdir()
        report = run_assess(project, work, targets, only, quick, on_section)
        atomic_write_json(tmp / "report.json", report.to_json())
        atomic_write_text(tmp / "report.html", render_page(report))
    return report
