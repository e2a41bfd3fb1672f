"""Run the registered sections over a project and collect their results into one report."""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from isthmus import __version__
from isthmus.assess.model import AssessContext, AssessReport, SectionResult
from isthmus.blocks import Code, para
from isthmus.extras import missing_stack
from isthmus.project import Project

# (key, title, "module:function"), in report order: one module per section under isthmus.assess.sections.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("environment", "Environment", "isthmus.assess.sections.environment:section"),
    ("telemetry", "Accelerator telemetry", "isthmus.assess.sections.telemetry:section"),
    ("inventory", "Project inventory", "isthmus.assess.sections.inventory:section"),
    ("scan", "Static scan", "isthmus.assess.sections.scan:section"),
    ("compat", "Software stack", "isthmus.assess.sections.compat:section"),
    ("ops", "Operator coverage", "isthmus.assess.sections.ops:section"),
    ("emulate", "Emulated run", "isthmus.assess.sections.emulate:section"),
    ("run", "Unmodified run", "isthmus.assess.sections.run:section"),
    ("parity", "Numerical parity", "isthmus.assess.sections.parity:section"),
    ("compliance", "Export controls", "isthmus.assess.sections.compliance:section"),
    ("estimate", "Performance estimate", "isthmus.assess.sections.estimate:section"),
    ("fleet", "Fleet plan", "isthmus.assess.sections.fleet:section"),
)

SectionFn = Callable[[AssessContext], SectionResult]


def _load(spec: str) -> SectionFn | None:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        # the section or the capability it composes is not part of this build: leave the section out
        if e.name == module_name or (e.name or "").startswith("isthmus."):
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
            blocks = (para(f"Not run: {missing}."),)
            return SectionResult(key, title, "skipped", f"not run: {missing}", data, blocks)
        tb = traceback.format_exc(limit=6)
        return SectionResult(
            key,
            title,
            "error",
            f"{type(e).__name__}: {e}",
            {"traceback": tb},
            (Code(tb),),
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
