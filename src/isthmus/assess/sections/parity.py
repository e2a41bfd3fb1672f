"""Assess section "parity": how far the project's model drifts from its fp32 CPU run, on every side of the border.

Records the model (isthmus.toml `model`) in fp32 on the CPU (the reference), again under bf16 autocast, under each
Ascend target's emulated arithmetic (when the emulate capability is installed) and, when this machine has a CUDA
GPU or an Ascend NPU (`isthmus.assess.hardware`), on that device in fp32 and under bf16 autocast. Every run is
compared with the reference; the device's bf16 run is also compared with each emulated Ascend run, which is the
cross-border check (what changes when the same code moves from this GPU to Ascend). The chart shows, per module in
execution order, the error as a multiple of its dtype's tolerance, so the first module above 1x is the first
divergence. Records are kept in the report's artifacts (`artifacts/parity/`), for `isthmus parity compare` later.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

from isthmus.assess.hardware import HostAccelerator, host_accelerator
from isthmus.assess.model import AssessContext, Blocker, SectionResult
from isthmus.blocks import Block, Details, LineChart, Link, bold, code, para, table
from isthmus.parity import (
    TOLERANCES,
    Comparison,
    InputSpec,
    Record,
    RecordOptions,
    compare,
    record_against,
    record_model,
    save_record,
    to_json,
)
from isthmus.targets import side_of

KEY, TITLE = "parity", "Numerical parity"
FLOOR = 1e-3  # errors below 1/1000 of the tolerance are drawn at the floor: the chart spends its range near 1x


@dataclass(frozen=True)
class Run:
    title: str  # as the chart and the tables name it
    record: Record


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
    return [t for t in ctx.targets if side_of(t) == "ascend"]


def _device_runs(spec: str, reference: Record, host: HostAccelerator) -> list[Run]:
    """fp32 and bf16-autocast records on the accelerator found (none without one)."""
    if not (host.found and host.recordable and host.device_type):
        return []
    dev = host.device_type
    return [
        Run(f"{dev} fp32", record_against(spec, reference, device=dev)),
        Run(f"{dev} bf16 autocast", record_against(spec, reference, device=dev, autocast="bf16")),
    ]


def pairs(reference: Run, cpu: list[Run], device: list[Run], emulated: list[Run]) -> list[tuple[str, Run, Run]]:
    """(title, A, B) of every comparison: each run vs the CPU reference, then the device vs each emulated target."""
    out = [(f"{r.title} vs {reference.title}", reference, r) for r in (*cpu, *device, *emulated)]
    device_bf16 = next((d for d in device if "bf16" in d.title), None)
    if device_bf16 is not None:
        out += [(f"{e.title} vs {device_bf16.title}", device_bf16, e) for e in emulated]
    return out


def tolerance_ratios(c: Comparison) -> list[float]:
    """Per forward module in execution order: nrmse divided by its dtype's nrmse tolerance (1.0 = at the limit)."""
    out = []
    for e in c.entries:
        if e.stage != "forward":
            continue
        m, tol = e.metrics, e.tolerance
        ok = m is not None and tol is not None and tol.nrmse_max > 0 and math.isfinite(m.nrmse)
        out.append(m.nrmse / tol.nrmse_max if ok and m and tol else math.nan)
    return out


def first_over(ratios: list[float]) -> int | None:
    return next((i for i, r in enumerate(ratios) if math.isfinite(r) and r > 1.0), None)


def forward_modules(c: Comparison) -> list[str]:
    """Module paths of the forward entries, in the order of `tolerance_ratios`."""
    return [e.module or e.key for e in c.entries if e.stage == "forward"]


def chart(results: list[tuple[str, Comparison]]) -> LineChart:
    """Which module diverges first, and by how much against its dtype's tolerance."""
    series = [(title, tolerance_ratios(c)) for title, c in results]
    firsts = [
        (i, title, c)
        for (title, ratios), (_, c) in zip(series, results, strict=True)
        if (i := first_over(ratios)) is not None
    ]
    markers = []
    if firsts:
        i, title, c = min(firsts, key=lambda f: f[0])
        ratio = tolerance_ratios(c)[i]
        markers.append((i, f"first over: {forward_modules(c)[i]} ({ratio:.3g}x, {title.split(' vs ')[0]})"))
    worst = max((r for _, rs in series for r in rs if math.isfinite(r)), default=0.0)
    caption = "Error of each module's output as a multiple of its dtype's tolerance (forward, in execution order); " + (
        "every module stays under 1x" if worst <= 1.0 else "modules above the dashed line fail"
    )
    return LineChart(
        tuple((title, tuple(ratios)) for title, ratios in series),
        log_y=True,
        y_floor=FLOOR,
        threshold=(1.0, "tolerance (1x)"),
        markers=tuple(markers),
        title=caption,
        x_label="module index (execution order) →",
        tick_format="{:g}x",
        y_label=f"nrmse / tolerance; values under {FLOOR:g}x are drawn at {FLOOR:g}x",
    )


def tables(results: list[tuple[str, Comparison]]) -> list[Block]:
    """Each comparison's outcome, and the tolerance table the verdicts used."""
    rows = []
    for title, c in results:
        first = c.first.entry if c.first else None
        rows.append(
            (
                title,
                "pass" if c.passed else "fail",
                len(c.entries),
                len(c.failed),
                f"{first.key}: {first.reason}" if first else "none",
            )
        )
    overview = table(["comparison (B vs A)", "verdict", "tensors", "failing", "first divergence"], rows, (2, 3))
    tol_rows = [(t.dtype, t.cosine_min, t.nrmse_max) for t in TOLERANCES.values()]
    tol = table(["tolerance row", "cosine ≥", "nrmse ≤"], tol_rows, numeric=(1, 2))
    return [overview, Details("tolerance table", (tol,))]


def section(ctx: AssessContext) -> SectionResult:
    """Record the reference, reduced-precision, emulated and (when present) accelerator runs, and compare them."""
    spec = _model_spec(ctx)
    if spec is None:
        return SectionResult(KEY, TITLE, "skipped", "no model in isthmus.toml ([assess] model)")
    out = ctx.work_dir / "parity"
    samples = 1024 if ctx.quick else 4096
    host = host_accelerator()
    reference = Run("cpu fp32", record_model(spec, InputSpec(), RecordOptions(samples=samples)))
    cpu = [Run("cpu bf16 autocast", record_model(spec, InputSpec(), RecordOptions(autocast="bf16", samples=samples)))]
    emulated = [
        Run(f"emulated {t}", record_model(spec, InputSpec(), RecordOptions(emulate=t, samples=samples)))
        for t in _emulated_targets(ctx)
    ]
    device = _device_runs(spec, reference.record, host)
    for run in (reference, *cpu, *emulated, *device):
        save_record(run.record, out / run.title.replace(" ", "-"))
    results = [(title, compare(a.record, b.record)) for title, a, b in pairs(reference, cpu, device, emulated)]
    failing = [(t, c) for t, c in results if not c.passed]
    parts = []
    for title, c in results:
        worst = max((r for r in tolerance_ratios(c) if math.isfinite(r)), default=0.0)
        parts.append(f"{title}: worst {worst:.2g}x tolerance" + ("" if c.passed else f", {len(c.failed)} outside"))
    where = f"recorded on {host.label()}" if device else f"CPU only ({host.reason})"
    summary = f"{len(reference.record.manifest.entries)} modules, {where}; " + "; ".join(parts)
    data = {
        "records": ctx.rel(out),
        "accelerator": {"found": host.found, "device": host.label(), "reason": host.reason},
        "comparisons": {t: to_json(c) for t, c in results},
    }
    records = f"{ctx.rel(out)}/"
    note = para(
        "Accelerator: ", bold(host.label()), f" ({host.reason}). Records: ", Link(records, records),
        " (compare a record made elsewhere with ", code("isthmus parity compare"), ").",
    )  # fmt: skip
    body = (note, chart(results), *tables(results))
    blockers = tuple(
        Blocker(
            "ascend" if "emulated" in t else "both",
            "caveat",
            f"numerics: {t} outside tolerance, first at {c.first.entry.key}" if c.first else f"numerics: {t} fails",
            "investigate with isthmus parity compare on the saved records (docs/parity.md)",
            "days",
        )
        for t, c in failing
    )
    return SectionResult(KEY, TITLE, "warn" if failing else "pass", summary, data, body, blockers=blockers)


__all__ = ["chart", "pairs", "section", "tolerance_ratios"]
