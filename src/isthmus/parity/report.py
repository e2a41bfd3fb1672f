"""Present a comparison: JSON for machines and a fixed-width table for people (the assess report charts it)."""

from __future__ import annotations

import math
from typing import Any

from isthmus.parity.compare import Comparison, EntryResult
from isthmus.parity.tolerances import TOLERANCES

TEXT_ROWS = 40  # beyond this many entries, text output shows the divergence and the failures only


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def entry_json(e: EntryResult) -> dict[str, Any]:
    m = e.metrics
    return {
        "order": e.order, "key": e.key, "stage": e.stage, "module": e.module, "module_type": e.module_type,
        "shape": list(e.shape), "dtype_a": e.dtype_a, "dtype_b": e.dtype_b,
        "tolerance": e.tolerance.dtype if e.tolerance else None, "verdict": e.verdict, "reason": e.reason,
        "basis": e.basis, "l2_gap": _num(e.l2_gap),
        "metrics": None if m is None else {
            "n": m.n, "cosine": _num(m.cosine), "max_abs": _num(m.max_abs), "max_rel": _num(m.max_rel),
            "rmse": _num(m.rmse), "nrmse": _num(m.nrmse), "within_0.1%": m.within_0_1, "within_0.5%": m.within_0_5,
            "nonfinite_mismatch": m.nonfinite_mismatch, "exact": m.exact},
    }  # fmt: skip


def to_json(c: Comparison) -> dict[str, Any]:
    """The whole comparison as JSON-able data."""
    counts = {v: sum(1 for e in c.entries if e.verdict == v) for v in ("pass", "fail", "missing")}
    first = None
    if c.first is not None:
        first = {
            **entry_json(c.first.entry),
            "chain": [{"module": m, "verdict": v} for m, v in c.first.chain],
            "preceding": [entry_json(p) for p in c.first.preceding],
        }
    return {
        "format": "isthmus-parity-compare/1", "a": c.a, "b": c.b, "a_run": c.a_run, "b_run": c.b_run,
        "passed": c.passed, "counts": counts, "first_divergence": first, "notes": list(c.notes),
        "tolerances": {k: {"cosine_min": t.cosine_min, "nrmse_max": t.nrmse_max} for k, t in TOLERANCES.items()},
        "entries": [entry_json(e) for e in c.entries],
    }  # fmt: skip


def _fmt(x: float | None, spec: str = ".3g") -> str:
    if x is None:
        return "-"
    return "inf" if math.isinf(x) else format(x, spec)


def summary_line(c: Comparison) -> str:
    """One line: counts and the first divergence."""
    fails = sum(1 for e in c.entries if e.verdict == "fail")
    missing = sum(1 for e in c.entries if e.verdict == "missing")
    head = f"{len(c.entries)} tensors compared: {len(c.entries) - fails - missing} pass, {fails} fail"
    head += f", {missing} missing" if missing else ""
    if c.first is not None:
        head += f"; first divergence: {c.first.entry.key} ({c.first.entry.module_type})"
    return head


def _rows(c: Comparison, show_all: bool) -> tuple[list[EntryResult], int]:
    if show_all or len(c.entries) <= TEXT_ROWS:
        return list(c.entries), 0
    chosen: dict[int, EntryResult] = {}
    if c.first is not None:
        for e in (*c.first.preceding, c.first.entry):
            chosen[e.order] = e
    for e in c.entries:
        if e.verdict != "pass" and len(chosen) < TEXT_ROWS:
            chosen[e.order] = e
    rows = [chosen[k] for k in sorted(chosen)]
    return rows, len(c.entries) - len(rows)


def text_lines(c: Comparison, show_all: bool = False) -> list[str]:
    """The comparison for people: header, first divergence with its chain, and a fixed-width table."""
    out = [f"A (reference): {c.a}  [{c.a_run}]", f"B:             {c.b}  [{c.b_run}]"]
    out += [f"note: {note}" for note in c.notes]
    out.append(summary_line(c))
    if c.first is not None:
        f = c.first
        out.append(f"first divergence: {f.entry.key} ({f.entry.module_type}): {f.entry.reason}")
        out.append("  chain: " + " > ".join(f"{m} [{v}]" for m, v in f.chain))
        for p in f.preceding:
            out.append(f"  after: {p.key} [{p.verdict}] nrmse {_fmt(p.metrics.nrmse) if p.metrics else '-'}")
    rows, hidden = _rows(c, show_all)
    width = max([len(e.key) for e in rows] + [6])
    out.append(
        f"{'#':>4}  {'tensor':<{width}}  {'dtype B':<9} {'verdict':<7} {'cosine':>9} {'max abs':>9} "
        f"{'max rel':>9} {'nrmse':>9} {'<0.1%':>6} {'<0.5%':>6}"
    )
    for e in rows:
        m = e.metrics
        cells = (
            [
                _fmt(m.cosine, ".6f"),
                _fmt(m.max_abs),
                _fmt(m.max_rel),
                _fmt(m.nrmse),
                f"{m.within_0_1:.1%}",
                f"{m.within_0_5:.1%}",
            ]
            if m
            else ["-"] * 6
        )
        out.append(
            f"{e.order:>4}  {e.key:<{width}}  {(e.dtype_b or '-'):<9} {e.verdict:<7} {cells[0]:>9} "
            f"{cells[1]:>9} {cells[2]:>9} {cells[3]:>9} {cells[4]:>6} {cells[5]:>6}"
        )
    if hidden:
        out.append(f"({hidden} passing rows hidden; --all shows every row)")
    return out


def error_profile(c: Comparison) -> list[float]:
    """Normalised RMSE of each forward module output in execution order (the per-layer error profile)."""
    return [e.metrics.nrmse if e.metrics else math.nan for e in c.entries if e.stage == "forward"]
