"""Compare two records module by module and find the first module that diverges.

Stages, in order, for each entry (matched by key): present in both, then shape, then NaN/Inf counts, then values
(floats by the tolerance row of `tolerances.py`, integers exactly). Values are compared on the shared sample
positions, or on whole tensors when both records kept them (`--full`). The L2 norms from the streaming statistics
add a whole-tensor check: |‖b‖ - ‖a‖| ≤ ‖b - a‖, so a norm gap larger than the RMSE allowance proves a failure
even where the sample missed the changed elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from isthmus.errors import InputError
from isthmus.parity.format import Record
from isthmus.parity.manifest import EntryModel
from isthmus.parity.metrics import Metrics, compare_arrays, relative_gap
from isthmus.parity.record import ROOT
from isthmus.parity.tolerances import Tolerance, tolerance_for

Verdict = Literal["pass", "fail", "missing"]


@dataclass(frozen=True)
class EntryResult:
    """The comparison of one recorded tensor."""

    order: int  # position in execution order (of run A; entries only in B come last)
    key: str
    stage: str
    module: str
    module_type: str
    shape: tuple[int, ...]
    dtype_a: str | None
    dtype_b: str | None
    tolerance: Tolerance | None
    metrics: Metrics | None
    l2_gap: float | None  # relative gap between the two whole-tensor L2 norms
    basis: Literal["sample", "full", "none"]
    verdict: Verdict
    reason: str  # why it failed ("" when it passed)


@dataclass(frozen=True)
class Divergence:
    """The first failing entry in execution order and what leads to it."""

    entry: EntryResult
    chain: tuple[tuple[str, str], ...]  # (module path, verdict) from the root down to the divergent module
    preceding: tuple[EntryResult, ...]  # the entries executed just before it (the last that still agreed)


@dataclass(frozen=True)
class Comparison:
    """Result of `compare(a, b)`: per-entry results in execution order and the first divergence."""

    a: str
    b: str
    a_run: str  # one-line description of each run (device, dtypes)
    b_run: str
    entries: tuple[EntryResult, ...]
    first: Divergence | None
    notes: tuple[str, ...]  # mismatches that were allowed, and other caveats

    @property
    def failed(self) -> tuple[EntryResult, ...]:
        return tuple(e for e in self.entries if e.verdict != "pass")

    @property
    def passed(self) -> bool:
        return not self.failed


def describe_run(r: Record) -> str:
    """e.g. 'cpu (x86_64 CPU), float32, autocast bfloat16, numerics ascend-910b'."""
    run = r.manifest.run
    parts = [f"{run.device} ({run.device_name})", run.dtype or r.manifest.model.weights_dtype]
    if run.autocast:
        parts.append(f"autocast {run.autocast}")
    if run.numerics:
        parts.append(f"numerics {run.numerics}")
    return ", ".join(parts)


def check_comparable(a: Record, b: Record, allow_mismatch: bool) -> tuple[str, ...]:
    """Refuse (InputError) when the two runs did not see the same weights and inputs, unless allowed."""
    ma, mb = a.manifest, b.manifest
    notes: list[str] = []
    if (ma.run.sampling, ma.run.samples) != (mb.run.sampling, mb.run.samples):
        raise InputError(
            f"the records sample different positions ({ma.run.sampling}/{ma.run.samples} vs "
            f"{mb.run.sampling}/{mb.run.samples})",
            hint=f"record both with --samples {ma.run.samples}",
        )
    checks = (
        ("weights", ma.model.weights_sha256, mb.model.weights_sha256),
        ("inputs", ma.inputs.sha256, mb.inputs.sha256),
    )
    for what, x, y in checks:
        if x == y:
            continue
        message = f"the two runs used different {what} ({x[:12]} vs {y[:12]})"
        if not allow_mismatch:
            raise InputError(message, hint="compare runs of the same model and inputs, or pass --allow-mismatch")
        notes.append(message + ": compared anyway (--allow-mismatch)")
    return tuple(notes)


def _values(r: Record, e: EntryModel) -> tuple[np.ndarray, bool]:
    if e.full is not None:
        return r.tensors[e.full].numpy().astype(np.float64).reshape(-1), True
    return r.tensors[e.sample].numpy().astype(np.float64), False


def compare_entry(order: int, a: Record, ea: EntryModel, b: Record, eb: EntryModel) -> EntryResult:
    """Compare one entry present in both records."""
    tol = tolerance_for((ea.dtype, eb.dtype), (a.manifest.run.compute_dtype, b.manifest.run.compute_dtype))

    def result(
        verdict: Verdict,
        reason: str,
        metrics: Metrics | None = None,
        l2_gap: float | None = None,
        basis: Literal["sample", "full", "none"] = "none",
    ) -> EntryResult:
        return EntryResult(
            order,
            ea.key,
            ea.stage,
            ea.module,
            ea.module_type,
            ea.shape,
            ea.dtype,
            eb.dtype,
            tol,
            metrics,
            l2_gap,
            basis,
            verdict,
            reason,
        )

    if ea.shape != eb.shape:
        return result("fail", f"shape {list(ea.shape)} vs {list(eb.shape)}")
    if (ea.stats.nan, ea.stats.inf) != (eb.stats.nan, eb.stats.inf):
        return result("fail", f"NaN/Inf counts {ea.stats.nan}/{ea.stats.inf} vs {eb.stats.nan}/{eb.stats.inf}")
    va, full_a = _values(a, ea)
    vb, full_b = _values(b, eb)
    if full_a != full_b:  # one side kept the whole tensor: compare on the sample positions of both
        va, vb = a.tensors[ea.sample].numpy().astype(np.float64), b.tensors[eb.sample].numpy().astype(np.float64)
    basis: Literal["sample", "full"] = "full" if full_a and full_b else "sample"
    m = compare_arrays(va, vb)
    gap = relative_gap(ea.stats.l2, eb.stats.l2)
    if m.nonfinite_mismatch:
        return result("fail", f"{m.nonfinite_mismatch} NaN/Inf at different positions", m, gap, basis)
    if tol.exact:
        ok = m.exact
        return result("pass" if ok else "fail", "" if ok else "integer values differ", m, gap, basis)
    reasons = []
    if m.cosine < tol.cosine_min:
        reasons.append(f"cosine {m.cosine:.6f} < {tol.cosine_min}")
    if m.nrmse > tol.nrmse_max:
        reasons.append(f"nrmse {m.nrmse:.3g} > {tol.nrmse_max:g}")
    if gap is not None and gap > tol.nrmse_max:
        reasons.append(f"L2-norm gap {gap:.3g} > {tol.nrmse_max:g}")
    return result(
        "fail" if reasons else "pass", "; ".join(reasons) + (f" ({tol.dtype})" if reasons else ""), m, gap, basis
    )


def _missing(order: int, e: EntryModel, side: str) -> EntryResult:
    dtype_a, dtype_b = (e.dtype, None) if side == "b" else (None, e.dtype)
    return EntryResult(
        order,
        e.key,
        e.stage,
        e.module,
        e.module_type,
        e.shape,
        dtype_a,
        dtype_b,
        None,
        None,
        None,
        "none",
        "missing",
        f"not recorded in run {side.upper()}",
    )


def compare(a: Record, b: Record, *, allow_mismatch: bool = False) -> Comparison:
    """Compare run B against reference run A, entry by entry in A's execution order."""
    notes = check_comparable(a, b, allow_mismatch)
    if a.manifest.run.backward != b.manifest.run.backward:
        notes += ("only one run recorded gradients: they are left out of the comparison",)
    stages = {e.stage for e in a.manifest.entries} & {e.stage for e in b.manifest.entries}
    entries_a = [e for e in a.manifest.entries if e.stage in stages]
    entries_b = [e for e in b.manifest.entries if e.stage in stages]
    b_by_key = {e.key: e for e in entries_b}
    results: list[EntryResult] = []
    for i, ea in enumerate(entries_a):
        eb = b_by_key.get(ea.key)
        results.append(compare_entry(i, a, ea, b, eb) if eb is not None else _missing(i, ea, "b"))
    a_keys = {e.key for e in entries_a}
    for eb in entries_b:
        if eb.key not in a_keys:
            results.append(_missing(len(results), eb, "a"))
    return Comparison(
        a.label, b.label, describe_run(a), describe_run(b), tuple(results), first_divergence(results), notes
    )


def first_divergence(results: list[EntryResult]) -> Divergence | None:
    """The first entry that fails on values, shape or NaN/Inf (missing entries are structure, reported apart)."""
    idx = next((i for i, r in enumerate(results) if r.verdict == "fail"), None)
    if idx is None:
        return None
    first = results[idx]
    by_module = {r.module: r.verdict for r in results if r.stage == first.stage and r.key.count("@") == 0}
    parts = first.module.split(".") if first.module != ROOT else []
    chain: list[tuple[str, str]] = [(ROOT, by_module.get(ROOT, "-"))]
    for depth in range(1, len(parts) + 1):
        path = ".".join(parts[:depth])
        if path in by_module or depth == len(parts):
            chain.append((path, by_module.get(path, first.verdict)))
    preceding = tuple(results[max(0, idx - 3) : idx])
    return Divergence(first, tuple(chain), preceding)
