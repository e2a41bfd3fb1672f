"""The cost of the split, and the difference between two plans.

Cost of the split: the same workloads planned as if any chip could go anywhere (every offer in every region, no
rules), compared region by region with the real plan. The difference is what market fragmentation costs the
company: rules that keep the cheapest hardware out, and offers that exist only on one side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from isthmus.plan.fleet.explain import Exclusion
from isthmus.plan.fleet.planner import FleetPlan


@dataclass(frozen=True)
class RegionDelta:
    region: str
    base_usd: float
    other_usd: float

    @property
    def delta_usd(self) -> float:
        return self.base_usd - self.other_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "base_usd": _num(self.base_usd),
            "other_usd": _num(self.other_usd),
            "delta_usd": _num(self.delta_usd),
        }


@dataclass(frozen=True)
class SplitCost:
    """Real plan vs the open-world plan: `delta` is what the split costs (positive = the split is dearer)."""

    by_region: tuple[RegionDelta, ...]
    open_plan: FleetPlan

    @property
    def delta_usd(self) -> float:
        return sum(r.delta_usd for r in self.by_region)

    def to_json(self) -> dict[str, Any]:
        return {
            "delta_usd": _num(self.delta_usd),
            "by_region": [r.to_json() for r in self.by_region],
            "open_world_cost_usd": _num(self.open_plan.cost_usd),
            "open_world_systems": _systems(self.open_plan),
        }


@dataclass(frozen=True)
class UnitChange:
    region: str
    offer: str
    base_units: int
    new_units: int

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "offer": self.offer, "base_units": self.base_units, "new_units": self.new_units}


@dataclass(frozen=True)
class PlanDiff:
    """A scenario plan against the base plan: cost by region, units that change, offers newly excluded."""

    by_region: tuple[RegionDelta, ...]  # base = scenario plan, other = base plan
    changes: tuple[UnitChange, ...]
    newly_excluded: tuple[Exclusion, ...]

    @property
    def delta_usd(self) -> float:
        return sum(r.delta_usd for r in self.by_region)

    def to_json(self) -> dict[str, Any]:
        return {
            "delta_usd": _num(self.delta_usd),
            "by_region": [r.to_json() for r in self.by_region],
            "changes": [c.to_json() for c in self.changes],
            "newly_excluded": [e.to_json() for e in self.newly_excluded],
        }


def cost_of_split(real: FleetPlan, open_world: FleetPlan) -> SplitCost:
    """Compare region by region; a region's cost is what the hardware placed there costs."""
    rows = tuple(RegionDelta(r.region, _cost(real, r.region), _cost(open_world, r.region)) for r in real.regions)
    return SplitCost(rows, open_world)


def diff_plans(base: FleetPlan, new: FleetPlan) -> PlanDiff:
    """What changes from `base` to `new` (a scenario re-plan)."""
    rows = tuple(RegionDelta(r.region, _cost(new, r.region), _cost(base, r.region)) for r in base.regions)
    old_units, new_units = base.units_by_offer(), new.units_by_offer()
    changes = []
    # an infeasible plan has no units to compare: its explanation says why, not "every unit removed"
    keys = sorted(set(old_units) | set(new_units)) if base.feasible and new.feasible else []
    for key in keys:
        a, b = old_units.get(key, 0), new_units.get(key, 0)
        if a != b:
            offer, _, region = key.rpartition("@")
            changes.append(UnitChange(region, offer, a, b))
    was_out = {e.offer for e in base.excluded}
    newly = tuple(e for e in new.excluded if e.offer not in was_out or e.kind == "rule")
    newly = tuple(e for e in newly if not any(b.offer == e.offer and b.kind == e.kind for b in base.excluded))
    return PlanDiff(rows, tuple(changes), newly)


def _cost(plan: FleetPlan, region: str) -> float:
    if not plan.feasible:
        return math.nan
    return plan.region(region).cost_usd


def _systems(plan: FleetPlan) -> list[dict[str, Any]]:
    return [
        {"region": r.region, "offer": ln.offer, "hardware": ln.hardware, "units": ln.units}
        for r in plan.regions
        for ln in r.lines
    ]


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)
