"""Fit the per-stack efficiency fractions of the performance model on the calibration cases.

    .venv/bin/python tools/fit_efficiency.py          # fit, print, write src/isthmus/plan/data/efficiency.yaml
    .venv/bin/python tools/fit_efficiency.py --check  # fit and print only

Four fractions per stack (16-bit compute, 8-bit compute, memory bandwidth, network bandwidth) are fitted by least
squares on log(estimate / measured) over all of that stack's records at once, with a weak prior (weight 0.01 on
log scale, towards 0.5) that only decides fractions no record constrains. Latencies and the usable-memory fraction
are fixed priors, not fitted. Leave-one-out: each record is refitted without itself and predicted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from isthmus.files import atomic_write_text
from isthmus.plan.perfmodel.calibration import Case, load_cases, predict
from isthmus.plan.perfmodel.efficiency import Efficiency, efficiency_data

OUT = Path(__file__).resolve().parents[1] / "src" / "isthmus" / "plan" / "data" / "efficiency.yaml"
PARAMS = ("compute", "compute_8bit", "memory", "network")
PRIOR, PRIOR_WEIGHT = 0.5, 0.01
LO, HI = math.log(0.05), math.log(1.0)

PRIORS = {  # fixed, not fitted; see the header of efficiency.yaml
    "cuda": {"scaleup_latency_us": 10.0, "scaleout_latency_us": 20.0, "memory_usable": 0.9},
    "cann": {"scaleup_latency_us": 15.0, "scaleout_latency_us": 30.0, "memory_usable": 0.9},
}


def _eff(stack: str, logs: Sequence[float]) -> Efficiency:
    c, c8, m, n = (math.exp(x) for x in logs)
    pri = PRIORS[stack]
    return Efficiency(
        stack, c, c8, m, n, pri["scaleup_latency_us"] * 1e-6, pri["scaleout_latency_us"] * 1e-6, pri["memory_usable"]
    )


def loss(stack: str, cases: Sequence[Case], logs: Sequence[float]) -> float:
    eff = _eff(stack, logs)
    err = sum(math.log(predict(c, eff) / c.measured) ** 2 for c in cases)
    return err + PRIOR_WEIGHT * sum((x - math.log(PRIOR)) ** 2 for x in logs)


def _golden(f: Callable[[float], float], lo: float, hi: float, iters: int = 18) -> float:
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (a + b) / 2


def fit(stack: str, cases: Sequence[Case], sweeps: int = 4) -> list[float]:
    """Coordinate descent with golden-section line searches over the log fractions (bounded to [0.05, 1])."""
    logs = [math.log(PRIOR)] * len(PARAMS)
    for _ in range(sweeps):
        for i in range(len(PARAMS)):

            def f(x: float, i: int = i) -> float:
                trial = list(logs)
                trial[i] = x
                return loss(stack, cases, trial)

            logs[i] = _golden(f, LO, HI)
    return logs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fit and print, do not write the data file")
    args = ap.parse_args(argv)
    cases = load_cases()
    stacks: dict[str, dict[str, float]] = {}
    report: list[dict[str, object]] = []
    for stack in sorted({c.stack for c in cases}):
        mine = [c for c in cases if c.stack == stack]
        logs = fit(stack, mine)
        eff = _eff(stack, logs)
        stacks[stack] = {p: round(math.exp(x), 3) for p, x in zip(PARAMS, logs, strict=True)} | PRIORS[stack]
        for c in mine:
            est = predict(c, eff)
            rest = [o for o in mine if o.id != c.id]
            loo = predict(c, _eff(stack, fit(stack, rest, sweeps=3)))
            report.append(
                {
                    "id": c.id,
                    "stack": stack,
                    "measured": c.measured,
                    "estimate": round(est, 1),
                    "error": round((est - c.measured) / c.measured, 4),
                    "loo_estimate": round(loo, 1),
                    "loo_error": round((loo - c.measured) / c.measured, 4),
                }
            )
            print(
                f"{c.id:26s} {stack:5s} measured {c.measured:10.1f}  estimate {est:10.1f} "
                f"({(est - c.measured) / c.measured:+6.1%})  leave-one-out {loo:10.1f} "
                f"({(loo - c.measured) / c.measured:+6.1%})",
                file=sys.stderr,
            )
        print(f"{stack}: " + ", ".join(f"{k}={v}" for k, v in stacks[stack].items()), file=sys.stderr)
    stacks["ideal"] = {
        "compute": 1.0,
        "compute_8bit": 1.0,
        "memory": 1.0,
        "network": 1.0,
        "scaleup_latency_us": 0.0,
        "scaleout_latency_us": 0.0,
        "memory_usable": 1.0,
    }
    if args.check:
        return 0
    header = efficiency_data().get("about", {})
    doc = {
        "about": header
        | {
            "fitted": dt.date.today().isoformat(),
            "method": "least squares on log(estimate/measured) per stack over all its records, "
            f"weak prior {PRIOR_WEIGHT} towards {PRIOR}; bounds [0.05, 1]",
        },
        "stacks": stacks,
        "fit": report,
    }
    atomic_write_text(OUT, yaml.safe_dump(doc, sort_keys=False, width=110))
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
