"""Fit the per-stack efficiency fractions of the performance model on the back-test ledger's fit records.

    .venv/bin/python tools/fit_efficiency.py          # fit, print, write src/isthmus/plan/data/efficiency.yaml
    .venv/bin/python tools/fit_efficiency.py --check  # fit and print only
    .venv/bin/python tools/fit_efficiency.py --doc    # no fit: write the back-test tables into docs/perfmodel.md

Only records with `split: fit` in plan/data/perf_ledger.yaml are used (the split is fixed in the data by
`ledger.split_rule`, before fitting). Each named stack (vendor x stack: megatron, sglang, cm-infer, mindspeed, ...)
gets its own fractions: 16-bit compute, 8-bit inference compute, 8-bit training compute, 4-bit compute, memory and
network bandwidth; precision and phase enter through which fraction a record's time depends on (training matmuls
use compute / compute_8bit_train, decode is mostly memory, prefill compute and network). The fit is bounded least
squares on log(estimate / measured) (projected Levenberg-Marquardt in log space, every fraction inside its vendor's
`bounds`), with a prior (weight 0.05 on log scale) towards the vendor-level set (`cuda` / `cann`), which also
decides the fractions no fit record constrains; a stack without fit records keeps its vendor's values. Latencies,
overlap shares and the usable-memory fraction are fixed priors. The error band every answer carries is the 10th
and 90th percentile of the held-out records' errors per phase (train / prefill / decode).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from isthmus.files import atomic_write_text
from isthmus.plan.perfmodel.efficiency import FRACTIONS, Efficiency, efficiency_data, get_efficiency
from isthmus.plan.perfmodel.ledger import LedgerRecord, backtest, load_records, predict, summary

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "isthmus" / "plan" / "data" / "efficiency.yaml"
DOC = ROOT / "docs" / "perfmodel.md"
START, END = "<!-- backtest:start -->", "<!-- backtest:end -->"
PRIOR_WEIGHT = 0.05
KEEP = (
    "scaleup_latency_us",
    "scaleout_latency_us",
    "memory_usable",
    "tp_overlap",
    "overlap_compute_share",
    "vendor",
    "base",
)


class Problem:
    """One stack's fit records, bounds and prior, as log-space residuals."""

    def __init__(self, stack: str, recs: Sequence[LedgerRecord], bounds: dict[str, tuple[float, float]]) -> None:
        self.stack, self.recs = stack, list(recs)
        self.start = get_efficiency(stack)
        base = get_efficiency(self.start.base) if self.start.base else self.start
        self.lo = np.log([bounds[k][0] for k in FRACTIONS])
        self.hi = np.log([bounds[k][1] for k in FRACTIONS])
        prior = [getattr(base, k) or base.compute_8bit for k in FRACTIONS]
        self.center = np.clip(np.log(prior), self.lo, self.hi)

    def eff(self, x: np.ndarray) -> Efficiency:
        v = {k: float(f) for k, f in zip(FRACTIONS, np.exp(x), strict=True)}
        return self.start.with_fractions(**v)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        eff = self.eff(x)
        data = []
        for r in self.recs:
            est = predict(r, {self.stack: eff}).metrics[r.metric]
            data.append(math.log(max(est, 1e-9) / r.measured))
        return np.concatenate([np.array(data), math.sqrt(PRIOR_WEIGHT) * (x - self.center)])


def fit(p: Problem, iters: int = 20) -> np.ndarray:
    """Projected Levenberg-Marquardt on the log fractions, clipped to the bounds after every step; fractions
    that move no record are left to the prior."""
    x = p.center.copy()
    r = p.residuals(x)
    n = len(p.recs)
    lam, h = 1e-2, 1e-3
    active: np.ndarray | None = None
    for _ in range(iters):
        jac = np.zeros((r.size, x.size))
        for j in range(x.size):
            if active is not None and not active[j]:
                jac[n + j, j] = math.sqrt(PRIOR_WEIGHT)
                continue
            step = h if x[j] + h <= p.hi[j] else -h
            xj = x.copy()
            xj[j] += step
            jac[:, j] = (p.residuals(xj) - r) / step
        if active is None:
            active = np.abs(jac[:n]).sum(axis=0) > 1e-9
        grad = jac.T @ r
        free = active & ~(((x <= p.lo + 1e-12) & (grad > 0)) | ((x >= p.hi - 1e-12) & (grad < 0)))
        if not free.any():
            break
        improved = False
        for _ in range(6):
            a = jac[:, free].T @ jac[:, free]
            delta = np.zeros_like(x)
            delta[free] = np.linalg.solve(a + lam * np.diag(np.diag(a) + 1e-12), -grad[free])
            x_new = np.clip(x + delta, p.lo, p.hi)
            r_new = p.residuals(x_new)
            if r_new @ r_new < r @ r - 1e-12:
                x, r, lam, improved = x_new, r_new, max(lam / 3, 1e-6), True
                break
            lam *= 10
        if not improved or np.max(np.abs(delta)) < 1e-4:
            break
    return x


def _band(errors: list[float]) -> dict[str, Any]:
    q = np.percentile(errors, [10, 90]) if errors else [0.0, 0.0]
    return {"low": round(float(q[0]), 3), "high": round(float(q[1]), 3), "n": len(errors)}


def doc_tables() -> str:
    """The back-test as markdown: the summary, every record, and the features records are missing."""
    from isthmus.plan.perfmodel.ledger import ledger_data

    rows = backtest()
    s = summary(rows)
    keys = ["all", *sorted(k for k in s["held-out"] if k != "all")]
    out = [
        "| group | fit: median abs error (n) | fit: median error | held-out: median abs error (n) "
        "| held-out: median error |"
    ]
    out.append("|---|---|---|---|---|")
    for k in keys:
        f, h = s["fit"].get(k, {"n": 0}), s["held-out"].get(k, {"n": 0})

        def cell(d: dict[str, Any], key: str) -> str:
            return "-" if not d["n"] else f"{d[key]:+.1%}" if key == "median" else f"{d[key]:.1%} ({d['n']})"

        out.append(
            f"| {k} | {cell(f, 'median_abs')} | {cell(f, 'median')} | {cell(h, 'median_abs')} | {cell(h, 'median')} |"
        )
    out.append("")
    out.append(f"Expressible: {s['expressible']} of {s['records']} records ({s['expressible_share']:.0%}).")
    out.append("")
    out.append("| record | vendor | stack | phase | split | measured | estimate | error | unit | source |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    sources = ledger_data()["sources"]
    for r in rows:
        rec = r.record
        est = "-" if r.estimate is None else f"{r.estimate:,.0f}"
        err = "missing: " + "; ".join(rec.missing) if r.error is None else f"{r.error:+.1%}"
        src = sources[rec.source]
        out.append(
            f"| {rec.id} | {rec.vendor} | {rec.stack} | {rec.phase} | {rec.split} | {rec.measured:,.0f} | {est} | "
            f"{err} | {rec.unit} | [{rec.source}]({src['url']}) ({src['date']}, {src['kind']}) |"
        )
    return "\n".join(out)


def write_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    atomic_write_text(DOC, f"{head}{START}\n{doc_tables()}\n{END}{tail}")
    print(f"wrote {DOC}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fit and print, do not write the data file")
    ap.add_argument("--doc", action="store_true", help="no fit: write the back-test tables into docs/perfmodel.md")
    args = ap.parse_args(argv)
    if args.doc:
        write_doc()
        return 0
    data = efficiency_data()
    from isthmus.plan.perfmodel.efficiency import plausible_bounds

    bounds = plausible_bounds()
    records = [r for r in load_records() if r.question is not None]
    stacks: dict[str, dict[str, Any]] = dict(data["stacks"])
    fitted_effs: dict[str, Efficiency] = {}
    for stack in sorted({r.stack for r in records if r.split == "fit"}):
        mine = [r for r in records if r.stack == stack and r.split == "fit"]
        prob = Problem(stack, mine, bounds[stack])
        x = fit(prob)
        fitted_effs[stack] = prob.eff(x)
        values = {k: round(float(v), 3) for k, v in zip(FRACTIONS, np.exp(x), strict=True)}
        stacks[stack] = values | {k: data["stacks"][stack][k] for k in KEEP if k in data["stacks"][stack]}
        pinned = [k for k, v, lo, hi in zip(FRACTIONS, x, prob.lo, prob.hi, strict=True) if v in (lo, hi)]
        print(f"{stack}: {len(mine)} fit records, {values}; at a bound: {pinned or 'none'}", file=sys.stderr)
    rows = backtest(effs=fitted_effs)
    bands = {}
    for phase in ("train", "prefill", "decode"):
        errs = [
            r.error for r in rows if r.error is not None and r.record.split == "held-out" and r.record.phase == phase
        ]
        bands[phase] = _band(errs)
    for r in rows:
        e = "n/a" if r.error is None else f"{r.error:+.1%}"
        print(f"{r.record.id:34s} {r.record.split:8s} {e}", file=sys.stderr)
    s = summary(rows)
    print(yaml.safe_dump({k: s[k] for k in ("fit", "held-out")}, width=110), file=sys.stderr)
    if args.check:
        return 0
    about = dict(data.get("about", {}))
    about["origin"] = "fitted by tools/fit_efficiency.py on the fit records of plan/data/perf_ledger.yaml"
    about["fitted"] = dt.date.today().isoformat()
    doc = {"about": about, "bounds": data["bounds"], "stacks": stacks, "error_band": bands}
    atomic_write_text(OUT, yaml.safe_dump(doc, sort_keys=False, width=110))
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
