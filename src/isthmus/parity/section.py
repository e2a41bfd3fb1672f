"""Assess section "parity": how far the project's model drifts from its fp32 CPU run in lower precision.

Records the model (isthmus.toml `model`) in fp32 on the CPU, again under bf16 autocast, and, when the emulate
capability is installed, under each Ascend target's emulated arithmetic; compares each with the fp32 run and shows
the per-module error profile. The records are kept in the report's artifacts (`artifacts/parity/`), so they can be
compared later with a record made on real hardware (`isthmus parity compare`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from isthmus.parity.compare import Comparison, compare
from isthmus.parity.format import save_record
from isthmus.parity.inputs import InputSpec
from isthmus.parity.record import RecordOptions, record_model
from isthmus.parity.report import html_fragment, to_json
from isthmus.report.model import AssessContext, SectionResult


def _model_spec(ctx: AssessContext) -> str | None:
    spec = ctx.project.config.model
    if not spec:
        return None
    target, sep, attr = spec.rpartition(":")
    if sep and target.endswith(".py") and not Path(target).is_absolute():
        return f"{ctx.project.root / target}:{attr}"
    return spec


def _emulated_targets(ctx: AssessContext) -> list[str]:
    if importlib.util.find_spec("isthmus.ops.emulate") is None:
        return []
    return [t for t in ctx.targets if t.startswith("ascend")]


def section(ctx: AssessContext) -> SectionResult:
    """Record fp32, bf16-autocast and emulated-Ascend runs of the project's model and compare them."""
    spec = _model_spec(ctx)
    if spec is None:
        return SectionResult("parity", "Numerical parity", "skipped", "no model in isthmus.toml ([assess] model)")
    out = ctx.work_dir / "parity"
    samples = 1024 if ctx.quick else 4096
    runs = {"bf16 autocast": RecordOptions(autocast="bf16", samples=samples)}
    for target in _emulated_targets(ctx):
        runs[f"emulated {target}"] = RecordOptions(emulate=target, samples=samples)
    reference = record_model(spec, InputSpec(), RecordOptions(samples=samples))
    save_record(reference, out / "fp32")
    results: list[tuple[str, Comparison]] = []
    for title, options in runs.items():
        rec = record_model(spec, InputSpec(), options)
        save_record(rec, out / title.replace(" ", "-"))
        results.append((title, compare(reference, rec)))
    failing = [(t, c) for t, c in results if not c.passed]
    parts = []
    for title, c in results:
        worst = max((e.metrics.nrmse for e in c.entries if e.metrics), default=0.0)
        parts.append(f"{title}: worst nrmse {worst:.2g}" + ("" if c.passed else f", {len(c.failed)} outside"))
    summary = f"{len(reference.manifest.entries)} modules vs fp32 CPU; " + "; ".join(parts)
    data = {"records": str(out), "comparisons": {t: to_json(c) for t, c in results}}
    return SectionResult(
        "parity", "Numerical parity", "warn" if failing else "pass", summary, data, html_fragment(results)
    )
