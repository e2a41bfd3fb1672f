"""Explanations in words: why an offer is not in the plan, and why an input has no plan at all.

- Excluded offers: a rule that forbids it (a blocker on the offer), nothing it could carry (every column blocked:
  latency, lead time, memory...), a higher cost per unit of work than what the plan uses, or a binding constraint
  (power cap, whole units) that keeps a cheaper offer out.
- Infeasible inputs: a deletion filter over constraint groups (Chinneck & Dravnieks 1991, "Locating minimal
  infeasible constraint sets in linear programs"): drop each group in turn and keep it dropped when the rest stays
  infeasible. What remains is irreducible: every group in it is needed for the contradiction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from isthmus.plan.fleet.milp import Solution, active_columns, active_offers, solve
from isthmus.plan.fleet.problem import Problem

ExclusionKind = Literal["rule", "unusable", "costlier", "constraint"]
MAX_FILTER_SOLVES = 600  # bound on the deletion filter's work for very large inputs


@dataclass(frozen=True)
class Exclusion:
    """An offer with no units in the plan, and why."""

    offer: str
    kind: ExclusionKind
    reason: str
    groups: tuple[str, ...] = ()  # the constraint groups named by the reason (rule ids live in their words)

    def to_json(self) -> dict[str, object]:
        return {"offer": self.offer, "kind": self.kind, "reason": self.reason, "groups": list(self.groups)}


@dataclass(frozen=True)
class Infeasibility:
    """A smallest set of constraint groups that cannot all hold, each with its sentence."""

    groups: tuple[str, ...]
    sentences: tuple[str, ...]
    minimal: bool  # False when the filter ran out of its solve budget

    def text(self) -> str:
        lead = "these constraints cannot all hold" if self.minimal else "these constraints (not minimised)"
        return f"{lead}: " + "; ".join(self.sentences)


def explain_infeasible(problem: Problem, time_limit_s: float = 10.0) -> Infeasibility:
    """Find an irreducible set of constraint groups that makes `problem` infeasible."""
    all_groups = problem.groups()
    every = frozenset(all_groups)
    budget = [MAX_FILTER_SOLVES]

    def infeasible(enforced: set[str]) -> bool:
        budget[0] -= 1
        sol = solve(problem, relaxed=every - enforced, feasibility_only=True, time_limit_s=time_limit_s)
        return sol.status == "infeasible"

    enforced = _seed(problem, all_groups, infeasible)
    # try dropping blockers and hard limits before demands, so the answer names what stands in the way
    order = sorted(all_groups, key=lambda g: (g.startswith("demand:"), all_groups.index(g)))
    for g in order:
        if g not in enforced:
            continue
        if budget[0] <= 0:
            break
        enforced.discard(g)
        if not infeasible(enforced):
            enforced.add(g)
    kept = tuple(g for g in all_groups if g in enforced)
    return Infeasibility(kept, tuple(problem.describe(g) for g in kept), minimal=budget[0] > 0)


def _seed(problem: Problem, all_groups: tuple[str, ...], infeasible: Callable[[set[str]], bool]) -> set[str]:
    """Start from one workload that is infeasible on its own when there is one (far fewer groups to filter)."""
    others = {g for g in all_groups if not g.startswith("demand:")}
    for w in problem.workloads:
        trial = others | {f"demand:{w.key}"}
        if infeasible(trial):
            return trial
    return set(all_groups)


def explain_exclusions(problem: Problem, solution: Solution) -> tuple[Exclusion, ...]:
    """Say, for every offer without units in `solution`, why it was left out."""
    usable_offers = active_offers(problem, frozenset())
    usable = set(active_columns(problem, frozenset(), usable_offers))
    plan_cost = _plan_cost_per_workload(problem, solution)
    by_offer: dict[int, list[int]] = {}
    for ci, c in enumerate(problem.columns):
        by_offer.setdefault(c.offer, []).append(ci)
    out = []
    for oi, o in enumerate(problem.offers):
        if solution.units[oi] > 0:
            continue
        if o.blockers:
            words = "; ".join(problem.describe(b) for b in o.blockers)
            out.append(Exclusion(o.key, "rule", words, o.blockers))
            continue
        cols = by_offer.get(oi, [])
        open_cols = [ci for ci in cols if ci in usable]
        if not open_cols:
            out.append(_unusable(problem, o.key, cols))
            continue
        out.append(_compare(problem, solution, oi, open_cols, plan_cost))
    return tuple(out)


def _unusable(problem: Problem, key: str, cols: list[int]) -> Exclusion:
    if not cols:
        return Exclusion(key, "unusable", "no workload may run in its region")
    blockers: dict[str, None] = {}
    for ci in cols:
        blockers.update(dict.fromkeys(problem.columns[ci].blockers))
    names = list(blockers)
    shown = "; ".join(problem.describe(b) for b in names[:3])
    more = f" (and {len(names) - 3} more)" if len(names) > 3 else ""
    return Exclusion(key, "unusable", f"cannot carry any workload: {shown}{more}", tuple(names))


def _plan_cost_per_workload(problem: Problem, solution: Solution) -> dict[int, float]:
    """USD the plan spends on each workload, at the unit price of the offers that carry it (fractional units)."""
    cost: dict[int, float] = {}
    for ci, c in enumerate(problem.columns):
        if solution.share[ci] > 0:
            o = problem.offers[c.offer]
            cost[c.workload] = cost.get(c.workload, 0.0) + solution.share[ci] * c.need * o.unit_cost
    return cost


def _compare(
    problem: Problem, solution: Solution, oi: int, open_cols: list[int], plan_cost: dict[int, float]
) -> Exclusion:
    """Cost per unit of work against the plan; if cheaper, find the constraint that keeps it out."""
    o = problem.offers[oi]
    best_ci = min(open_cols, key=lambda ci: _ratio(problem, ci, plan_cost))
    c = problem.columns[best_ci]
    w = problem.workloads[c.workload]
    alt = c.need * o.unit_cost
    base = plan_cost.get(c.workload, 0.0)
    if base > 0 and alt >= base:
        pct = 100.0 * (alt / base - 1.0)
        return Exclusion(
            o.key,
            "costlier",
            f"carrying {w.key} on it would cost ${alt:,.0f} vs ${base:,.0f} in the plan (+{pct:.0f} %)",
        )
    cap = problem.power_caps_kw.get(o.region)
    if cap is not None:
        used = sum(
            problem.offers[k].power_kw * n for k, n in enumerate(solution.units) if problem.offers[k].region == o.region
        )
        if used >= 0.99 * cap or used + o.power_kw > cap:
            return Exclusion(
                o.key,
                "constraint",
                f"{problem.describe('power:' + o.region)} leaves no room: {used:,.0f} of {cap:,.0f} kW "
                f"used, one unit needs {o.power_kw:,.0f} kW",
                (f"power:{o.region}",),
            )
    if o.max_units == 0:
        return Exclusion(o.key, "constraint", problem.describe(f"quantity:{o.key}"), (f"quantity:{o.key}",))
    forced = solve(problem, min_units={oi: 1}, mip_rel_gap=1e-4, time_limit_s=5.0)
    extra = forced.cost - solution.cost if forced.ok else float("nan")
    return Exclusion(
        o.key,
        "constraint",
        f"whole units: the demand it could take is already covered by units in the plan; "
        f"buying one unit anyway would add ${extra:,.0f}",
    )


def _ratio(problem: Problem, ci: int, plan_cost: dict[int, float]) -> float:
    c = problem.columns[ci]
    base = plan_cost.get(c.workload, 0.0)
    alt = c.need * problem.offers[c.offer].unit_cost
    return alt / base if base > 0 else float("inf")
