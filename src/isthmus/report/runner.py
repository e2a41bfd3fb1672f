"""Run the registered sections over a project and write the report atomically."""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from isthmus import __version__
from isthmus.extras import missing_stack
from isthmus.files import atomic_output_dir, atomic_write_json, atomic_write_text
from isthmus.project import Project
from isthmus.report.html import esc, render_page
from isthmus.report.model import AssessContext, AssessReport, SectionResult

# (key, title, "module:function"), in report order. Each capability adds its own line.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("environment", "Environment", "isthmus.report.environment:section"),
    ("telemetry", "Accelerator telemetry", "isthmus.monitor.section:section"),
    ("inventory", "Project inventory", "isthmus.report.inventory:section"),
    ("scan", "Static scan", "isthmus.scan.section:section"),
    ("compat", "Software stack", "isthmus.compat.section:section"),
    ("ops", "Operator coverage", "isthmus.ops.section:section"),
    ("emulate", "Emulated run", "isthmus.ops.emulate_section:section"),
    ("run", "Unmodified run", "isthmus.accel.section:section"),
    ("parity", "Numerical parity", "isthmus.parity.section:section"),
    ("compliance", "Export controls", "isthmus.plan.compliance_section:section"),
    ("estimate", "Performance estimate", "isthmus.plan.estimate_section:section"),
    ("fleet", "Fleet plan", "isthmus.plan.fleet_section:section"),
)

SectionFn = Callable[[AssessContext], SectionResult]


def _load(spec: str) -> SectionFn | None:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:  # the capability is not part of this build: leave the section out
            return None
        raise
    fn: SectionFn = getattr(module, attr)
    return fn


def _run_one(key: str, title: str, spec: str, ctx: AssessContext) -> SectionResult | None:
    t0 = time.perf_counter()
    try:
        fn = _load(spec)
        if fn is None:
            return None
        result = fn(ctx)
    except Exception as e:  # one broken capability must not lose the rest of the report
        missing = missing_stack(e)
        if missing is not None:  # an optional stack this install left out: not run, and how to add it
            data = {"missing": missing.what, "install": missing.install}
            html = f"<p>Not run: {esc(str(missing))}.</p>"
            return SectionResult(key, title, "skipped", f"not run: {missing}", data, html)
        tb = traceback.format_exc(limit=6)
        return SectionResult(
            key,
            title,
            "error",
            f"{type(e).__name__}: {e}",
            {"traceback": tb},
            f"<pre>{esc(tb)}</pre>",
            time.perf_counter() - t0,
        )
    blockers = tuple(replace(b, section=b.section or key) for b in result.blockers)
    return replace(result, seconds=time.perf_counter() - t0, blockers=blockers)


def run_assess(
    project: Project,
    work_dir: Path,
    targets: tuple[str, ...] | None = None,
    only: frozenset[str] | None = None,
    quick: bool = False,
    on_section: Callable[[str, str], None] | None = None,
) -> AssessReport:
    """Run every registered section (or those in `only`) and return the report."""
    ctx = AssessContext(project=project, targets=targets or project.config.targets, work_dir=work_dir, quick=quick)
    results = []
    for key, title, spec in SECTIONS:
        if only is not None and key not in only:
            continue
        if on_section:
            on_section(key, title)
        r = _run_one(key, title, spec, ctx)
        if r is not None:
            results.append(r)
    return AssessReport(
        project=project.root.name,
        targets=ctx.targets,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        version=__version__,
        sections=tuple(results),
    )


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
