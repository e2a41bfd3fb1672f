"""Fit the per-stack efficiency fractions of the performance model on the calibration cases.

    .venv/bin/python tools/fit_efficiency.py          # fit, print, write src/isthmus/plan/data/efficiency.yaml
    .venv/bin/python tools/fit_efficiency.py --check  # fit and print only

Four fractions per stack (16-bit compute, 8-bit compute, memory bandwidth, network bandwidth) are fitted by
bounded least squares on log(estimate / measured) over all of that stack's records at once: a projected
Levenberg-Marquardt iteration in log space, each fraction kept inside the physically plausible range that
efficiency.yaml states and argues (`bounds`). A weak prior (weight 0.01 on log scale, towards the geometric middle
of each range) only decides fractions that no record constrains. Latencies, overlap shares and the usable-memory
fraction are fixed priors, not fitted. Leave-one-out: each record is refitted without itself and predicted.
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
from isthmus.plan.perfmodel.calibration import Case, load_cases, predict
from isthmus.plan.perfmodel.efficiency import FRACTIONS, Efficiency, efficiency_data, get_efficiency

OUT = Path(__file__).resolve().parents[1] / "src" / "isthmus" / "plan" / "data" / "efficiency.yaml"
PRIOR_WEIGHT = 0.01
PRIOR_KEYS = ("scaleup_latency_us", "scaleout_latency_us", "memory_usable", "tp_overlap", "overlap_compute_share")


class Problem:
    """One stack's records, bounds and priors, as log-space residuals."""

    def __init__(self, stack: str, cases: Sequence[Case], bounds: dict[str, tuple[float, float]]) -> None:
        self.stack, self.cases = stack, list(cases)
        self.base = get_efficiency(stack)  # for the fixed priors
        self.lo = np.log([bounds[k][0] for k in FRACTIONS])
        self.hi = np.log([bounds[k][1] for k in FRACTIONS])
        self.center = (self.lo + self.hi) / 2

    def eff(self, x: np.ndarray) -> Efficiency:
        c, c8, m, n = (float(v) for v in np.exp(x))
        return self.base.with_fractions(c, c8, m, n)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        eff = self.eff(x)
        data = [math.log(predict(c, eff) / c.measured) for c in self.cases]
        return np.concatenate([np.array(data), math.sqrt(PRIOR_WEIGHT) * (x - self.center)])


def fit(p: Problem, iters: int = 30) -> np.ndarray:
    """Projected Levenberg-Marquardt on the log fractions, clipped to the bounds after every step."""
    x = p.center.copy()
    r = p.residuals(x)
    lam, h = 1e-2, 1e-4
    for _ in range(iters):
        jac = np.empty((r.size, x.size))
        for j in range(x.size):
            step = h if x[j] + h <= p.hi[j] else -h
            xj = x.copy()
            xj[j] += step
            jac[:, j] = (p.residuals(xj) - r) / step
        # fractions pinned at a bound with the gradient pushing outwards are held fixed (active set)
        grad = jac.T @ r
        free = ~(((x <= p.lo + 1e-12) & (grad > 0)) | ((x >= p.hi - 1e-12) & (grad < 0)))
        improved = False
        for _ in range(8):
            a = jac[:, free].T @ jac[:, free]
            delta = np.zeros_like(x)
            delta[free] = np.linalg.solve(a + lam * np.diag(np.diag(a) + 1e-12), -grad[free])
            x_new = np.clip(x + delta, p.lo, p.hi)
            r_new = p.residuals(x_new)
            if r_new @ r_new < r @ r - 1e-14:
                x, r, lam, improved = x_new, r_new, max(lam / 3, 1e-6), True
                break
            lam *= 10
        if not improved or np.max(np.abs(delta)) < 1e-5:
            break
    return x


def _row(c: Case, est: float, loo: float, at_bound: list[str]) -> dict[str, Any]:
    return {
        "id": c.id,
        "stack": c.stack,
        "measured": c.measured,
        "estimate": round(est, 1),
        "error": round((est - c.measured) / c.measured, 4),
        "loo_estimate": round(loo, 1),
        "loo_error": round((loo - c.measured) / c.measured, 4),
    } | ({"loo_at_bound": at_bound} if at_bound else {})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fit and print, do not write the data file")
    args = ap.parse_args(argv)
    data = efficiency_data()
    bounds = {s: {k: (float(v["min"]), float(v["max"])) for k, v in b.items()} for s, b in data["bounds"].items()}
    cases = load_cases()
    stacks: dict[str, dict[str, float]] = {}
    report: list[dict[str, Any]] = []
    for stack in sorted({c.stack for c in cases}):
        mine = [c for c in cases if c.stack == stack]
        prob = Problem(stack, mine, bounds[stack])
        x = fit(prob)
        eff = prob.eff(x)
        fitted = {k: round(float(v), 3) for k, v in zip(FRACTIONS, np.exp(x), strict=True)}
        stacks[stack] = fitted | {k: data["stacks"][stack][k] for k in PRIOR_KEYS}
        pinned = [k for k, v, lo, hi in zip(FRACTIONS, x, prob.lo, prob.hi, strict=True) if v in (lo, hi)]
        for c in mine:
            est = predict(c, eff)
            sub = Problem(stack, [o for o in mine if o.id != c.id], bounds[stack])
            xs = fit(sub)
            loo = predict(c, sub.eff(xs))
            at = [k for k, v, lo, hi in zip(FRACTIONS, xs, sub.lo, sub.hi, strict=True) if v in (lo, hi)]
            report.append(_row(c, est, loo, at))
            print(
                f"{c.id:26s} {stack:5s} measured {c.measured:10.1f}  estimate {est:10.1f} "
                f"({(est - c.measured) / c.measured:+6.1%})  leave-one-out {loo:10.1f} "
                f"({(loo - c.measured) / c.measured:+6.1%})",
                file=sys.stderr,
            )
        print(f"{stack}: {fitted}; at a bound: {pinned or 'none'}", file=sys.stderr)
    stacks["ideal"] = data["stacks"]["ideal"]
    if args.check:
        return 0
    about = dict(data.get("about", {}))
    about["fitted"] = dt.date.today().isoformat()
    doc = {"about": about, "bounds": data["bounds"], "stacks": stacks, "fit": report}
    atomic_write_text(OUT, yaml.safe_dump(doc, sort_keys=False, width=110))
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
