"""Fleet planner at scale: 1,000 workloads x 30 offers x 10 regions, solved to 1 % of optimal.

Builds a synthetic but realistic fleet (real catalogue systems, the real performance model and rules engine),
then times: the build (throughput and verdict lookups, cached), the MILP with merged workloads (what `isthmus plan`
does), and as the baseline the same MILP with every workload kept apart. Prints medians, the MIP gap, the number of
variables and the ratio. Run: .venv/bin/python benchmarks/bench_fleet.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from typing import Any

from isthmus.plan.fleet.build import build
from isthmus.plan.fleet.milp import solve
from isthmus.plan.fleet.oracles import CatalogHardware, PerfModel, PolicyRules
from isthmus.plan.fleet.schema import parse_fleet

REGIONS = {  # key: (country, power cap kW)
    "us-east": ("US", 40000),
    "us-west": ("US", 30000),
    "eu-de": ("DE", 15000),
    "eu-fr": ("FR", 15000),
    "uk": ("GB", 10000),
    "jp": ("JP", 12000),
    "sg": ("SG", 8000),
    "in": ("IN", 12000),
    "br": ("BR", 8000),
    "cn": ("CN", 30000),
}
SYSTEMS = [  # (system, rent $/h per unit, capex $ per unit)
    ("dgx-h100", 18.8, 300000),
    ("dgx-h200", 25.6, 340000),
    ("dgx-b200", 40.0, 450000),
    ("hgx-h20", 14.0, 194000),
    ("atlas-800t-a2", 16.0, 165000),
    ("gb200-nvl72", 420.0, 3000000),
    ("cloudmatrix-384", 900.0, 8200000),
    ("dgx-a100", 11.0, 150000),
    ("atlas-800t-a3", 30.0, 300000),
    ("hgx-h800", 16.0, 280000),
]
MODELS = ["llama3-8b", "llama3-70b", "qwen3-32b", "qwen3-30b-a3b", "deepseek-v3", "llama2-13b"]
SHAPES = [(1024, 256), (2048, 512), (4096, 1024)]
TPOT = [30.0, 50.0, 100.0]


def synthetic(n_workloads: int = 1000, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    regions = {
        k: {
            "country": c,
            "actor_hq": "DE",
            "power_cap_kw": cap,
            "electricity_usd_per_kwh": 0.1,
            "data_residency": c == "CN",
        }
        for k, (c, cap) in REGIONS.items()
    }
    offers = []
    for i in range(30):  # 10 systems x (rent, buy, buy with long lead time and a cap)
        system, rent, capex = SYSTEMS[i % 10]
        kind = i // 10
        # every offer declares its licences as held, so that licence-dependent verdicts still leave many columns
        o: dict[str, Any] = {
            "name": f"{system}-{kind}",
            "system": system,
            "regions": list(REGIONS),
            "licence": "granted",
        }
        if kind == 0:
            o["rent_usd_per_hour"] = rent * rng.uniform(0.9, 1.2)
        else:
            o["capex_usd"] = capex * rng.uniform(0.9, 1.1)
            o["opex_usd_per_year"] = capex * 0.05
            o["lead_time_days"] = 30 if kind == 1 else 150
            o["max_units"] = 500 if kind == 2 else None
        if system in ("hgx-h20", "atlas-800t-a2", "atlas-800t-a3", "hgx-h800"):
            o["power_kw"] = 6.0
        offers.append(o)
    keys = list(REGIONS)
    workloads = []
    for i in range(n_workloads):
        region = rng.choice(keys)
        model = rng.choice(MODELS)
        w: dict[str, Any] = {"name": f"w{i}", "region": region, "model": model, "precision": ["fp8", "int8", "bf16"]}
        if REGIONS[region][0] != "CN" and rng.random() < 0.5:
            w["may_run_in"] = [region, rng.choice([k for k in keys if REGIONS[k][0] != "CN"])]
        if rng.random() < 0.1:
            w.update(
                kind="train",
                tokens=rng.uniform(1e11, 2e12),
                precision="bf16",
                deadline=rng.choice(["2027-03-31", "2027-06-30", "2027-12-31"]),
            )
        else:
            p, o_len = rng.choice(SHAPES)
            w.update(
                kind="serve",
                tokens_per_s=rng.lognormvariate(10.0, 1.0),
                prompt_len=p,
                output_len=o_len,
                tpot_ms=rng.choice(TPOT),
            )
        workloads.append(w)
    return {
        "name": "bench",
        "date": "2026-06-01",
        "horizon_months": 36,
        "regions": regions,
        "workloads": workloads,
        "offers": offers,
    }


def main() -> None:
    fleet = parse_fleet(synthetic())
    on = dt.date(2026, 6, 1)
    perf = PerfModel()
    t0 = time.perf_counter()
    built = build(fleet, on=on, hardware=CatalogHardware(), perf=perf, rules=PolicyRules())
    build_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    build(fleet, on=on, hardware=CatalogHardware(), perf=perf, rules=PolicyRules())
    build_warm = time.perf_counter() - t0
    apart = build(fleet, on=on, hardware=CatalogHardware(), perf=perf, rules=PolicyRules(), merge=False)
    p = built.problem
    print(
        f"fleet: {len(fleet.workloads)} workloads, {len(fleet.offers)} offers x {len(fleet.regions)} regions "
        f"= {len(p.offers)} offer-regions ({sum(1 for o in p.offers if o.blockers)} excluded by rules)"
    )
    print(
        f"build: {build_cold:.2f} s cold, {build_warm:.2f} s warm; performance-model calls {perf.calls} "
        f"(vs {len(fleet.workloads) * len(p.offers)} workload x offer-region pairs)"
    )
    for label, prob, reps in (
        ("merged workloads (isthmus plan)", p, 3),
        ("baseline: workloads kept apart", apart.problem, 1),
    ):
        times, sol = [], None
        for _ in range(reps):
            sol = solve(prob, mip_rel_gap=0.01, time_limit_s=120)
            times.append(sol.seconds)
        assert sol is not None
        print(
            f"{label}: {len(prob.workloads)} workloads, {sol.variables} variables ({sol.integers} integer), "
            f"{sol.rows} rows; median {statistics.median(times):.2f} s over {reps}; status {sol.status}, "
            f"gap {100 * sol.gap:.2f} %, cost ${sol.cost / 1e6:,.1f}M"
        )
        if label.startswith("merged"):
            merged_t = statistics.median(times)
        else:
            print(f"ratio baseline / merged solve time: {statistics.median(times) / merged_t:.1f}x")


if __name__ == "__main__":
    main()
