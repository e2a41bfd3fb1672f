"""Benchmark the rules engine: `check()` per question (what the fleet planner calls per chip x region x date),
against the pure `evaluate()` on a prepared question (baseline: the engine without input validation).

Run: .venv/bin/python benchmarks/bench_plan_catalog.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from isthmus.plan.catalog import load_catalog
from isthmus.plan.policy import check, evaluate, load_rules, question

CHIPS = ("a100", "h100-sxm", "h20", "h200", "b200", "ascend-910b2", "ascend-910c")
REGIONS = ("US", "DE", "SG", "AE", "CN", "RU")
DATES = tuple(dt.date(2023, 1, 1) + dt.timedelta(days=90 * i) for i in range(14))


def _time(fn: object, repeats: int = 7) -> float:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    t0 = time.perf_counter()
    load_catalog.cache_clear()
    load_rules.cache_clear()
    load_rules()
    cold = time.perf_counter() - t0
    n = len(CHIPS) * len(REGIONS) * len(DATES)
    cat, rules = load_catalog(), load_rules()
    prepared = [question(c, r, actor_hq="US", action="deploy", on=d) for c in CHIPS for r in REGIONS for d in DATES]

    def full() -> None:
        for c in CHIPS:
            for r in REGIONS:
                for d in DATES:
                    check(c, r, actor_hq="US", on=d)

    def engine() -> None:
        for q in prepared:
            evaluate(cat, rules, q)

    engine()  # warm-up
    t_engine, t_full = _time(engine), _time(full)
    print(f"cold load of catalogue + rules: {cold * 1e3:.1f} ms")
    print(f"check():    median {t_full / n * 1e6:.1f} us/question over {n} questions")
    print(f"evaluate(): median {t_engine / n * 1e6:.1f} us/question (baseline: prepared questions)")
    print(f"ratio check/evaluate: {t_full / t_engine:.2f}x")


if __name__ == "__main__":
    main()
