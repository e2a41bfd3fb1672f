"""Sweeps: many what-if plans (policy alternatives x price multipliers) run in parallel.

SWEEP.yaml names a fleet file, a set of policy alternatives (each a list of scenario files) and, per offer, a list
of price multipliers; every combination is one run. Runs go to local processes (`concurrent.futures`) by default,
or to a Ray cluster (`--ray [ADDRESS]`, the optional `ray` extra) for users who outgrow one machine. Each run is
independent: it loads the fleet itself, so nothing but file paths and numbers crosses process boundaries.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from isthmus.datafiles import read_yaml
from isthmus.errors import InputError, NotInstalledError
from isthmus.extras import install_command
from isthmus.schema import StrictModel, describe

# imported once by the fork server, so each sweep worker starts warm
_WORKER_MODULES = ("isthmus.plan.fleet.planner", "isthmus.plan.fleet.oracles", "isthmus.plan.fleet.schema")


def _current_rules() -> dict[str, list[str]]:
    return {"current": []}


class SweepFile(StrictModel):
    fleet: str  # path of the fleet file, relative to the sweep file
    date: dt.date | None = None  # planning date for every run (default: the fleet's)
    policies: dict[str, list[str]] = Field(default_factory=_current_rules)  # name -> scenario files
    prices: dict[str, list[float]] = Field(default_factory=dict)  # offer name -> price multipliers


@dataclass(frozen=True)
class SweepRun:
    name: str
    fleet: Path
    scenarios: tuple[Path, ...]
    multipliers: tuple[tuple[str, float], ...]  # (offer, factor)
    on: dt.date | None


@dataclass(frozen=True)
class Sweep:
    runs: tuple[SweepRun, ...]


@dataclass(frozen=True)
class SweepResult:
    name: str
    feasible: bool
    cost_usd: float
    by_region: tuple[tuple[str, float], ...]
    systems: tuple[tuple[str, int], ...]  # (offer@region, units)
    reason: str  # why infeasible, in words ("" when feasible)
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "feasible": self.feasible,
            "cost_usd": round(self.cost_usd, 2) if self.feasible else None,
            "by_region": {k: round(v, 2) for k, v in self.by_region},
            "systems": {k: v for k, v in self.systems},
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


def load_sweep(path: Path) -> Sweep:
    """Read SWEEP.yaml and expand it into runs (checked: files exist, offers exist, factors > 0)."""
    data = read_yaml(path, what="sweep YAML file")
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as e:
        raise InputError(f"{path}: {describe(e)}", hint="see docs/fleet.md (sweeps)") from e
    base = path.parent
    fleet = base / spec.fleet
    if not fleet.is_file():
        raise InputError(f"{path}: fleet: no such file {fleet}")
    from isthmus.plan.fleet.schema import load_fleet

    offers = {o.name for o in load_fleet(fleet).offers}
    for name, factors in spec.prices.items():
        if name not in offers:
            raise InputError(f"{path}: prices.{name}: unknown offer", hint=f"offers: {', '.join(sorted(offers))}")
        if not factors or any(f <= 0 for f in factors):
            raise InputError(f"{path}: prices.{name}: give one or more multipliers > 0")
    for pname, files in spec.policies.items():
        for i, f in enumerate(files):
            if not (base / f).is_file():
                raise InputError(f"{path}: policies.{pname}[{i}]: no such file {base / f}")
    runs = []
    names = list(spec.prices)
    for pname, files in spec.policies.items():
        for combo in itertools.product(*(spec.prices[n] for n in names)):
            mult = tuple(zip(names, combo, strict=True))
            label = pname + "".join(f" {n}x{f:g}" for n, f in mult)
            runs.append(SweepRun(label, fleet, tuple(base / f for f in files), mult, spec.date))
    return Sweep(tuple(runs))


def run_one(run: SweepRun) -> SweepResult:
    """Plan one run (in whatever process it lands); the fleet is re-read here, so only paths travel."""
    import time

    from isthmus.plan.fleet.oracles import CatalogHardware, PerfModel, PolicyRules
    from isthmus.plan.fleet.planner import make_plan
    from isthmus.plan.fleet.schema import load_fleet

    t0 = time.perf_counter()
    fleet = load_fleet(run.fleet)
    factors = dict(run.multipliers)
    offers = [
        o.model_copy(
            update={
                "rent_usd_per_hour": None if o.rent_usd_per_hour is None else o.rent_usd_per_hour * factors[o.name],
                "capex_usd": None if o.capex_usd is None else o.capex_usd * factors[o.name],
            }
        )
        if o.name in factors
        else o
        for o in fleet.offers
    ]
    fleet = fleet.model_copy(update={"offers": offers})
    plan = make_plan(
        fleet,
        on=run.on or fleet.date or dt.date.today(),
        hardware=CatalogHardware(),
        perf=PerfModel(),
        rules=PolicyRules(run.scenarios),
        explain=False,
    )
    regions = tuple((r.region, r.cost_usd) for r in plan.regions)
    systems = tuple(plan.units_by_offer().items())
    reason = "" if plan.feasible else plan.status
    return SweepResult(run.name, plan.feasible, plan.cost_usd, regions, systems, reason, time.perf_counter() - t0)


def run_sweep(
    sweep: Sweep,
    *,
    ray_address: str | None = None,
    workers: int | None = None,
    on: dt.date | None = None,
    fn: Callable[[SweepRun], SweepResult] = run_one,
) -> list[SweepResult]:
    """Run every plan of the sweep; results come back in the sweep's order."""
    runs = [SweepRun(r.name, r.fleet, r.scenarios, r.multipliers, on or r.on) for r in sweep.runs]
    if ray_address is not None:
        return _on_ray(runs, ray_address, fn)
    n = workers or min(len(runs), os.cpu_count() or 1)
    if n <= 1 or len(runs) == 1:
        return [fn(r) for r in runs]
    from isthmus.pools import map_ordered

    # workers start from a fork server (never a fork of this process, whose HiGHS thread pool may already run)
    return map_ordered(fn, runs, n, preload=_WORKER_MODULES)


def _on_ray(runs: list[SweepRun], address: str, fn: Callable[[SweepRun], SweepResult]) -> list[SweepResult]:
    """Run on Ray: `local` starts a local instance, `auto` joins the cluster this host belongs to, HOST:PORT joins
    that head node. A head node that does not answer fails within seconds (Ray itself retries for minutes)."""
    try:
        import ray
    except ImportError as e:
        raise NotInstalledError("ray (for --ray)", install_command("ray")) from e
    start = "start one with `ray start --head`, or use --ray local for a local instance"
    if address not in ("local", "auto"):
        _check_reachable(address, start)
    try:
        # log_to_driver=False: workers' output never reaches our stdout (where --format json goes)
        ray.init(address=None if address == "local" else address, ignore_reinit_error=True, log_to_driver=False)
    except ConnectionError as e:
        raise InputError(f"--ray {address}: no Ray cluster found ({e})", hint=start) from e
    remote = ray.remote(fn)
    results: list[SweepResult] = ray.get([remote.remote(r) for r in runs])
    return results


def _check_reachable(address: str, hint: str, timeout_s: float = 3.0) -> None:
    """Fail fast when nothing listens at HOST:PORT (Ray's own connect retries for minutes)."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdecimal():
        raise InputError(f"--ray {address}: not an address", hint="write HOST:PORT, 'auto' or 'local'")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise InputError(f"--ray {address}: nothing answers there ({e.strerror or e})", hint=hint) from e


def print_sweep(results: list[SweepResult], console: Any) -> None:
    from rich.table import Table

    from isthmus.plan.fleet.render import money

    regions = list(dict.fromkeys(k for r in results for k, _ in r.by_region))
    t = Table(title=f"Sweep: {len(results)} runs", title_justify="left", show_edge=False)
    t.add_column("run")
    t.add_column("total", justify="right")
    for k in regions:
        t.add_column(k, justify="right")
    for r in results:
        costs = dict(r.by_region)
        t.add_row(
            r.name,
            money(r.cost_usd) if r.feasible else "infeasible",
            *(money(costs.get(k, float("nan"))) if r.feasible else "-" for k in regions),
        )
    console.print(t)
