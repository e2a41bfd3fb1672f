"""The MILP and its explanations on abstract problems whose optimum is worked out by hand."""

from __future__ import annotations

import math

from isthmus.plan.fleet.explain import explain_exclusions, explain_infeasible
from isthmus.plan.fleet.milp import solve
from isthmus.plan.fleet.problem import Column, Problem, RegionOffer, Workload


def _problem(cap: float | None = None, small_max: int | None = None, big_blocked: bool = False) -> Problem:
    # Workload A needs 2.5 units of "small" ($10, 1 kW) or 1.2 units of "big" ($30, 1.5 kW) to be carried in full.
    offers = (
        RegionOffer("small", "r", "s", 10.0, 1.0, small_max),
        RegionOffer("big", "r", "b", 30.0, 1.5, None, ("compliance:big",) if big_blocked else ()),
    )
    return Problem(
        offers,
        (Workload("A", "r"),),
        (Column(0, 0, 2.5), Column(0, 1, 1.2)),
        {"r": cap} if cap is not None else {},
        {"compliance:big": "big is prohibited under RULE-1"},
    )


def test_cheapest_whole_units() -> None:
    # 3 x small = $30 beats 2 x big = $60 (2.5 rounds up to 3, 1.2 rounds up to 2)
    s = solve(_problem())
    assert s.status == "optimal"
    assert s.units == (3, 0)
    assert math.isclose(s.cost, 30.0)
    assert math.isclose(s.share[0], 1.0)


def test_power_cap_forces_a_mix() -> None:
    # cap 2.9 kW: 3 small need 3 kW; 1 small + 1 big (2.5 kW) covers 1/2.5 + 1/1.2 = 1.23 >= 1 for $40
    s = solve(_problem(cap=2.9), mip_rel_gap=1e-6)
    assert s.units == (1, 1)
    assert math.isclose(s.cost, 40.0)


def test_quantity_limit_forces_a_mix() -> None:
    # at most 2 small: 2 small + 1 big = $50 loses to 1 small + 1 big = $40; 2 big = $60
    s = solve(_problem(small_max=2), mip_rel_gap=1e-6)
    assert s.units == (1, 1)
    assert math.isclose(s.cost, 40.0)


def test_blocked_offer_is_never_used() -> None:
    s = solve(_problem(cap=2.9, big_blocked=True))
    assert s.status == "infeasible"  # 3 small need 3 kW > 2.9 kW, and big is forbidden


def test_infeasible_names_the_smallest_set() -> None:
    why = explain_infeasible(_problem(cap=2.9, big_blocked=True))
    assert why.minimal
    assert set(why.groups) == {"demand:A", "power:r", "compliance:big"}
    assert any("RULE-1" in s for s in why.sentences)


def test_infeasible_leaves_out_irrelevant_constraints() -> None:
    # power alone makes it infeasible (0.5 kW < one unit of anything): compliance is not part of the reason
    why = explain_infeasible(_problem(cap=0.5, big_blocked=True))
    assert set(why.groups) == {"demand:A", "power:r"}


def test_exclusion_reasons() -> None:
    p = _problem()
    s = solve(p)
    (ex,) = explain_exclusions(p, s)
    assert ex.offer == "big" and ex.kind == "costlier"
    # big would carry A for 1.2 x $30 = $36 vs 2.5 x $10 = $25 in the plan: +44 %
    assert "$36" in ex.reason and "$25" in ex.reason and "+44 %" in ex.reason
    blocked = _problem(big_blocked=True)
    (rule,) = explain_exclusions(blocked, solve(blocked))
    assert rule.kind == "rule" and "RULE-1" in rule.reason


def test_two_workloads_share_units() -> None:
    # each workload needs 0.5 units of small: together they fit in 1 unit ($10), not 2
    offers = (RegionOffer("small", "r", "s", 10.0, 1.0),)
    p = Problem(offers, (Workload("A", "r"), Workload("B", "r")), (Column(0, 0, 0.5), Column(1, 0, 0.5)))
    s = solve(p)
    assert s.units == (1,)
    assert math.isclose(s.cost, 10.0)


def test_workload_without_any_way_to_run() -> None:
    p = Problem(
        (RegionOffer("small", "r", "s", 10.0, 1.0),),
        (Workload("A", "r"),),
        (Column(0, 0, 1.0, ("latency:A",)),),
        {},
        {"latency:A": "latency target of A"},
    )
    assert solve(p).status == "infeasible"
    why = explain_infeasible(p)
    assert set(why.groups) == {"demand:A", "latency:A"}
    assert solve(p, relaxed=frozenset({"latency:A"})).units == (1,)
