"""From a built problem and its solution to the plan people read: per region, per offer, with reasons."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from isthmus.plan.fleet.build import Built, build
from isthmus.plan.fleet.explain import Exclusion, Infeasibility, explain_exclusions, explain_infeasible
from isthmus.plan.fleet.milp import Solution, solve
from isthmus.plan.fleet.oracles import HardwareOracle, PerfOracle, RulesOracle
from isthmus.plan.fleet.schema import Fleet
from isthmus.plan.fleet.verdicts import ComplianceNote, notes_for


@dataclass(frozen=True)
class PlanLine:
    """Units of one offer in one region, and what they carry."""

    offer: str  # offer name in FLEET.yaml
    hardware: str  # catalogue system or chip key
    region: str
    units: int
    chips: int  # accelerators in total
    utilisation: float  # share of the bought capacity the workloads use (0..1)
    cost_usd: float  # over the horizon
    power_kw: float  # facility power
    rented: bool
    workloads: tuple[tuple[str, float], ...]  # (workload, share of it carried here)

    def to_json(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "hardware": self.hardware,
            "region": self.region,
            "units": self.units,
            "chips": self.chips,
            "utilisation": round(self.utilisation, 4),
            "cost_usd": round(self.cost_usd, 2),
            "power_kw": round(self.power_kw, 2),
            "rented": self.rented,
            "workloads": [{"workload": w, "share": round(s, 4)} for w, s in self.workloads],
        }


@dataclass(frozen=True)
class RegionPlan:
    region: str
    country: str
    lines: tuple[PlanLine, ...]
    power_cap_kw: float | None

    @property
    def cost_usd(self) -> float:
        return sum(line.cost_usd for line in self.lines)

    @property
    def power_kw(self) -> float:
        return sum(line.power_kw for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "country": self.country,
            "cost_usd": round(self.cost_usd, 2),
            "power_kw": round(self.power_kw, 2),
            "power_cap_kw": self.power_cap_kw,
            "systems": [line.to_json() for line in self.lines],
        }


@dataclass(frozen=True)
class FleetPlan:
    """A solved (or explained-infeasible) plan."""

    name: str
    on: dt.date
    horizon_months: int
    feasible: bool
    status: str
    cost_usd: float
    gap: float
    regions: tuple[RegionPlan, ...]
    excluded: tuple[Exclusion, ...]
    infeasibility: Infeasibility | None
    stats: dict[str, float] = field(default_factory=dict)
    notes: tuple[ComplianceNote, ...] = ()  # warnings on hardware in the plan: discouraged, or under a licence

    def region(self, key: str) -> RegionPlan:
        return next(r for r in self.regions if r.region == key)

    def units_by_offer(self) -> dict[str, int]:
        """(offer@region) -> units, for diffs."""
        return {f"{ln.offer}@{ln.region}": ln.units for r in self.regions for ln in r.lines}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "date": self.on.isoformat(),
            "horizon_months": self.horizon_months,
            "feasible": self.feasible,
            "status": self.status,
            "cost_usd": round(self.cost_usd, 2) if self.feasible else None,
            "mip_gap": round(self.gap, 5),
            "regions": [r.to_json() for r in self.regions],
            "excluded": [e.to_json() for e in self.excluded],
            "warnings": [n.to_json() for n in self.notes],
            "infeasible": None
            if self.infeasibility is None
            else {
                "groups": list(self.infeasibility.groups),
                "reasons": list(self.infeasibility.sentences),
                "minimal": self.infeasibility.minimal,
            },
            "stats": self.stats,
        }


def make_plan(
    fleet: Fleet,
    *,
    on: dt.date,
    hardware: HardwareOracle,
    perf: PerfOracle,
    rules: RulesOracle | None,
    open_world: bool = False,
    explain: bool = True,
) -> FleetPlan:
    """Build, solve and explain one plan."""
    t0 = time.perf_counter()
    built = build(fleet, on=on, hardware=hardware, perf=perf, rules=rules, open_world=open_world)
    t1 = time.perf_counter()
    sol = solve(built.problem, mip_rel_gap=fleet.solver.mip_rel_gap, time_limit_s=fleet.solver.time_limit_s)
    stats = {
        "build_s": round(t1 - t0, 4),
        "solve_s": round(sol.seconds, 4),
        "variables": sol.variables,
        "integers": sol.integers,
        "rows": sol.rows,
        "workloads": len(fleet.workloads),
        "merged_workloads": len(built.problem.workloads),
        "offers": len(built.problem.offers),
        "columns": len(built.problem.columns),
    }
    if not sol.ok:
        why = explain_infeasible(built.problem) if explain and sol.status == "infeasible" else None
        return FleetPlan(
            fleet.name,
            on,
            fleet.horizon_months,
            False,
            sol.status,
            float("nan"),
            0.0,
            _regions(fleet, built, None),
            (),
            why,
            stats,
        )
    excluded = explain_exclusions(built.problem, sol) if explain else ()
    return FleetPlan(
        fleet.name,
        on,
        fleet.horizon_months,
        True,
        sol.status,
        float(sol.cost),
        sol.gap,
        _regions(fleet, built, sol),
        excluded,
        None,
        stats,
        _notes(fleet, built, sol),
    )


def _notes(fleet: Fleet, built: Built, sol: Solution) -> tuple[ComplianceNote, ...]:
    """Warnings on the offers the plan uses: discouraged hardware, licences the plan relies on."""
    out: list[ComplianceNote] = []
    for oi, o in enumerate(built.problem.offers):
        info = built.offers[oi]
        if sol.units[oi] > 0 and info.standing is not None:
            country = fleet.regions[o.region].country
            out += notes_for(o.key, info.hardware, country, info.standing, built.on)
    return tuple(out)


def _regions(fleet: Fleet, built: Built, sol: Solution | None) -> tuple[RegionPlan, ...]:
    p = built.problem
    lines: dict[str, list[PlanLine]] = {r: [] for r in fleet.regions}
    by_offer: dict[int, list[int]] = {}
    for ci, c in enumerate(p.columns):
        if sol is not None and sol.share[ci] > 1e-9:
            by_offer.setdefault(c.offer, []).append(ci)
    for oi, o in enumerate(p.offers):
        units = sol.units[oi] if sol else 0
        if units <= 0:
            continue
        info = built.offers[oi]
        used = 0.0
        carried = []
        for ci in by_offer.get(oi, []):
            share = sol.share[ci] if sol is not None else 0.0
            used += share * p.columns[ci].need
            carried.append((p.workloads[p.columns[ci].workload].key, share))
        lines[o.region].append(
            PlanLine(
                info.name,
                info.hardware.key,
                o.region,
                units,
                units * o.chips,
                min(1.0, used / units),
                units * o.unit_cost,
                units * o.power_kw,
                info.rented,
                tuple(carried),
            )
        )
    return tuple(
        RegionPlan(k, r.country, tuple(sorted(lines[k], key=lambda ln: -ln.cost_usd)), r.power_cap_kw)
        for k, r in fleet.regions.items()
    )
