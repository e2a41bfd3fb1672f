"""The fleet planner: what to deploy where, at what cost, under which rules.

`plan_fleet(fleet)` builds the abstract problem (throughput from the performance model, allowed deployments from the
rules engine), solves it as a mixed-integer program with HiGHS, explains every excluded offer (or why no plan
exists), prices the split against an open world, and re-plans under scenario files. The CLI (`isthmus plan`) and
the assess section are thin layers over this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isthmus.plan.fleet.oracles import (
    CatalogHardware,
    HardwareOracle,
    PerfModel,
    PerfOracle,
    PolicyRules,
    RulesOracle,
)
from isthmus.plan.fleet.planner import FleetPlan, make_plan
from isthmus.plan.fleet.render import headline, money
from isthmus.plan.fleet.schema import Fleet, load_fleet, parse_fleet
from isthmus.plan.fleet.split import PlanDiff, SplitCost, cost_of_split, diff_plans
from isthmus.plan.fleet.view import plan_blocks, plan_title

__all__ = [
    "Fleet",
    "FleetPlan",
    "PlanDiff",
    "PlanReport",
    "SplitCost",
    "headline",
    "load_fleet",
    "money",
    "parse_fleet",
    "plan_blocks",
    "plan_fleet",
    "plan_title",
]

RulesFactory = Callable[[tuple[Path, ...]], RulesOracle]


@dataclass(frozen=True)
class PlanReport:
    """The base plan, the cost of the split, and (with scenarios) the re-plan and its difference."""

    base: FleetPlan
    split: SplitCost | None
    scenarios: tuple[str, ...] = ()
    scenario: FleetPlan | None = None
    diff: PlanDiff | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "isthmus-plan/1",
            "plan": self.base.to_json(),
            "cost_of_split": None if self.split is None else self.split.to_json(),
            "scenarios": list(self.scenarios),
            "scenario_plan": None if self.scenario is None else self.scenario.to_json(),
            "scenario_diff": None if self.diff is None else self.diff.to_json(),
            "notice": "Rule verdicts come from isthmus' dated rule data; they are not legal advice.",
        }


def plan_fleet(
    fleet: Fleet,
    *,
    on: dt.date | None = None,
    scenarios: Sequence[Path] = (),
    split: bool = True,
    hardware: HardwareOracle | None = None,
    perf: PerfOracle | None = None,
    rules_for: RulesFactory | None = None,
) -> PlanReport:
    """Plan `fleet` on date `on` (default: the file's date, else today), with optional what-if scenarios."""
    day = on or fleet.date or dt.date.today()
    hw = hardware or CatalogHardware()
    pm = perf or PerfModel()
    make_rules: RulesFactory = rules_for or PolicyRules
    base = make_plan(fleet, on=day, hardware=hw, perf=pm, rules=make_rules(()))
    cost = None
    if split:
        open_world = make_plan(fleet, on=day, hardware=hw, perf=pm, rules=None, open_world=True, explain=False)
        cost = cost_of_split(base, open_world)
    if not scenarios:
        return PlanReport(base, cost)
    what_if = make_plan(fleet, on=day, hardware=hw, perf=pm, rules=make_rules(tuple(scenarios)))
    return PlanReport(base, cost, tuple(str(s) for s in scenarios), what_if, diff_plans(base, what_if))
