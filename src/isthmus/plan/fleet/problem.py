"""The abstract fleet problem: offers, workloads and the ways each workload could run on each offer.

This is the seam between the planner's two halves. `build.py` turns a FLEET.yaml (plus the performance model and
the policy engine) into a `Problem`; `milp.py` solves a `Problem` and knows nothing about chips, models or rules.
Tests build small `Problem`s by hand and check the optimum against arithmetic done on paper.

Constraint groups are named by strings, so that explanations can be given in words:

- ``demand:<workload>``: the workload must be carried in full;
- ``power:<region>``: the power cap of the region's site;
- ``quantity:<offer>``: the offer's availability limit (``max_units``);
- any other name is a *blocker*: a reason that removes an offer or a column (``compliance:<offer>``,
  ``latency:<workload>``, ``leadtime:<offer>:<workload>``, ``residency:<workload>``...). Blocked offers and columns
  are left out of the plan but kept in the problem so that an infeasible input can be explained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RegionOffer:
    """Hardware that can be bought or rented in one region, counted in whole units (systems)."""

    key: str  # unique, e.g. "hgx-h100@us-east"
    region: str
    system: str  # catalogue system or chip key
    unit_cost: float  # USD per unit over the planning horizon (rent, or capex + opex + power)
    power_kw: float  # facility power per unit (kW), counted against the region's cap
    max_units: int | None = None  # availability limit; None = unlimited
    blockers: tuple[str, ...] = ()  # groups that exclude the offer as a whole (e.g. a compliance rule)
    chips: int = 1  # accelerators per unit, for reporting


@dataclass(frozen=True)
class Workload:
    """A demand that must be carried in full: an inference service or a training job (maybe several merged)."""

    key: str
    region: str  # home region, for reporting cost by region
    members: tuple[str, ...] = ()  # the workloads from the input merged into this one (identical shapes)


@dataclass(frozen=True)
class Column:
    """One way to run a workload: on `offer`, it needs `need` units to carry the whole workload."""

    workload: int  # index into Problem.workloads
    offer: int  # index into Problem.offers
    need: float  # units of the offer needed to carry 100 % of the workload (> 0)
    blockers: tuple[str, ...] = ()  # groups that forbid this column (latency, lead time, residency...)


@dataclass(frozen=True)
class Problem:
    """Offers x workloads, with region power caps and a sentence for every constraint group."""

    offers: tuple[RegionOffer, ...]
    workloads: tuple[Workload, ...]
    columns: tuple[Column, ...]
    power_caps_kw: Mapping[str, float] = field(default_factory=dict)  # region -> cap
    words: Mapping[str, str] = field(default_factory=dict)  # group name -> sentence (for explanations)

    def describe(self, group: str) -> str:
        """The sentence for a constraint group, or a generic one built from its name."""
        if group in self.words:
            return self.words[group]
        kind, _, rest = group.partition(":")
        return f"{kind} constraint on {rest}" if rest else group

    def groups(self) -> tuple[str, ...]:
        """Every constraint group of the problem (hard constraints first, then blockers), without duplicates."""
        out: dict[str, None] = {}
        for w in self.workloads:
            out[f"demand:{w.key}"] = None
        for region in self.power_caps_kw:
            out[f"power:{region}"] = None
        for o in self.offers:
            if o.max_units is not None:
                out[f"quantity:{o.key}"] = None
        for o in self.offers:
            out.update(dict.fromkeys(o.blockers))
        for c in self.columns:
            out.update(dict.fromkeys(c.blockers))
        return tuple(out)
