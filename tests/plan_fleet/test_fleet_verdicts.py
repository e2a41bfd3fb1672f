"""Verdict effects -> deployable or not, under the company's declared posture (licence held, avoid discouraged)."""

from __future__ import annotations

import datetime as dt

import pytest

from isthmus.plan.fleet.oracles import FleetUnit, LiveRule, RuleAnswer
from isthmus.plan.fleet.verdicts import Posture, blocks, exclusion_words, standing

NONE, LICENSED, AVOID = Posture(), Posture(licensed=True), Posture(avoid_discouraged=True)

# effect -> blocked under (no declaration, licence held, avoid discouraged), written out by hand
TABLE = {
    "allowed": (False, False, False),
    "discouraged": (False, False, True),
    "licence_required": (True, False, True),
    "case_by_case": (True, False, True),
    "presumption_of_denial": (True, True, True),
    "prohibited": (True, True, True),
}


@pytest.mark.parametrize("effect", list(TABLE))
def test_each_effect_under_each_posture(effect: str) -> None:
    assert tuple(blocks({effect}, p) for p in (NONE, LICENSED, AVOID)) == TABLE[effect]


def test_a_discouraged_rule_under_a_licensed_verdict_still_counts() -> None:
    both = {"case_by_case", "discouraged"}  # e.g. H20 in China: US licence and Chinese discouragement
    assert not blocks(both, LICENSED)
    assert blocks(both, Posture(licensed=True, avoid_discouraged=True))


HW = FleetUnit("node", "Node", "chip", 8, 10.0)
DISC = LiveRule("CN-DISC", "discouraged from 2026-10-17", "S1", "discouraged", "R")
LIC = LiveRule("US-LIC", "licence from 2027-02-03", "S2", "licence_required", "P")


class Dated:
    """discouraged from 2026-10-17, licence required from 2027-02-03."""

    def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer:
        if on >= dt.date(2027, 2, 3):
            return RuleAnswer("licence_required", (DISC, LIC))
        if on >= dt.date(2026, 10, 17):
            return RuleAnswer("discouraged", (DISC,))
        return RuleAnswer("allowed", ())


def _samples(on: dt.date, months: int) -> list[dt.date]:
    from isthmus.plan.fleet.build import horizon_samples

    return horizon_samples(on, months, 3)


def test_standing_locates_changes_to_the_day() -> None:
    on = dt.date(2026, 6, 1)
    # 6 months (to 2026-11-30): only the discouragement falls in the horizon, after the last 3-monthly check
    # (2026-09-01): the horizon's last day is checked too, and the start is located to the day
    s = standing(Dated(), HW, "CN", "CN", False, NONE, on, _samples(on, 6))
    assert (s.deployable, s.effect, s.since, s.discouraged) == (True, "discouraged", dt.date(2026, 10, 17), (DISC,))
    # 12 months: the licence requirement starts inside the horizon, and no licence is declared
    s = standing(Dated(), HW, "CN", "CN", False, NONE, on, _samples(on, 12))
    assert (s.deployable, s.since) == (False, dt.date(2027, 2, 3))
    words = exclusion_words(HW, "cn", "CN", s, on, "offers[0].licence")
    assert "needs a licence from 2027-02-03 (required) under US-LIC" in words and "offers[0].licence" in words
    # with the licence held, the offer stays in; the most restrictive verdict and its start are reported
    s = standing(Dated(), HW, "CN", "CN", False, LICENSED, on, _samples(on, 12))
    assert (s.deployable, s.effect, s.since, s.licence_rules) == (True, "licence_required", dt.date(2027, 2, 3), (LIC,))
