"""Verdicts on each side of every rule date in the data.

The dates come from the rule data; the expected effects are stated here, by hand, from reading each measure. A new
rule in rules.yaml fails `test_every_rule_has_a_probe` until it gets a probe and expectations below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import NamedTuple

import pytest

from isthmus.plan.catalog import load_catalog
from isthmus.plan.policy import ComplianceQuestion, Verdict, evaluate, load_rules

ONE_DAY = dt.timedelta(days=1)


class Probe(NamedTuple):
    chip: str
    destination: str
    actor_hq: str
    action: str
    # expected verdict effect: the day before the rule starts, its first day, its last day, the day it ends
    before: str
    first: str
    last: str | None = None  # only for rules with an end date
    after: str | None = None
    state_funded: bool = False
    entity: str | None = None
    listed_affiliate: bool = False


PROBES: dict[str, Probe] = {
    # the day before the first AI-chip measure is answered: nothing chip-specific applied yet
    "US-LETTER-A100-H100-2022": Probe(
        "a100", "CN", "US", "export", "allowed", "licence_required", "licence_required", "licence_required"
    ),
    "US-3A090-2022-CN": Probe(
        "h100-sxm",
        "CN",
        "US",
        "export",
        "licence_required",
        "licence_required",
        "licence_required",
        "presumption_of_denial",
    ),
    "US-3A090-2022-MO": Probe(
        "h100-sxm", "MO", "US", "export", "allowed", "licence_required", "licence_required", "presumption_of_denial"
    ),
    "US-LETTER-OCT2023-IMMEDIATE": Probe(
        "a800", "CN", "US", "export", "allowed", "licence_required", "licence_required", "presumption_of_denial"
    ),
    "US-3A090A-2023-D5": Probe("h800", "CN", "US", "export", "licence_required", "presumption_of_denial"),
    "US-3A090B-2023-D5": Probe("l40-test", "CN", "US", "export", "allowed", "licence_required"),
    "US-3A090-2023-D1D4": Probe("b200", "SA", "US", "export", "allowed", "licence_required"),
    "US-HQ-D5-2023": Probe("h100-sxm", "SG", "CN", "export", "allowed", "presumption_of_denial"),
    "US-AI-DIFFUSION-2025": Probe("h100-sxm", "IN", "US", "deploy", "allowed", "allowed"),  # not enforced
    "US-LETTER-H20-2025": Probe(
        "h20", "CN", "DE", "export", "allowed", "presumption_of_denial", "presumption_of_denial", "case_by_case"
    ),
    "US-H20-LICENSING-2025": Probe("h20", "CN", "DE", "export", "presumption_of_denial", "case_by_case"),
    "US-GP10-ASCEND-2025": Probe("ascend-910c", "DE", "DE", "use", "allowed", "prohibited"),
    "US-GP10-ASCEND-2025-PRC-IN-CN": Probe("ascend-910c", "CN", "CN", "deploy", "allowed", "discouraged"),
    "US-H200-CASE-BY-CASE-2026": Probe("h100-sxm", "CN", "US", "export", "presumption_of_denial", "case_by_case"),
    "US-BONA-FIDE-DC-2026": Probe("h100-sxm", "DE", "US", "use", "allowed", "allowed"),
    "CN-CAC-H20-SUMMONS-2025": Probe("h20", "CN", "CN", "deploy", "presumption_of_denial", "presumption_of_denial"),
    "CN-H20-GUIDANCE-2025": Probe("h20", "CN", "CN", "deploy", "case_by_case", "case_by_case"),
    "CN-CAC-6000D-2025": Probe("rtx-pro-6000d", "CN", "CN", "deploy", "allowed", "prohibited"),
    "CN-STATE-FUNDED-DC-2025": Probe("h20", "CN", "CN", "deploy", "case_by_case", "prohibited", state_funded=True),
    "CN-H200-IMPORT-BLOCK-2026": Probe("h200", "CN", "CN", "deploy", "presumption_of_denial", "prohibited"),
    "TW-ENTITY-LIST-2025": Probe("h20", "DE", "CN", "purchase", "allowed", "licence_required", entity="huawei"),
    # Affiliates rule: in force 2025-09-29, suspended (reported, not enforced) 2025-11-10 .. 2026-11-09, reimposed
    "US-AFFILIATES-50PCT-2025": Probe(
        "a100",
        "DE",
        "DE",
        "export",
        "allowed",
        "licence_required",
        "licence_required",
        "allowed",
        listed_affiliate=True,
    ),
    "US-AFFILIATES-50PCT-SUSPENDED": Probe(
        "a100",
        "DE",
        "DE",
        "export",
        "licence_required",
        "allowed",
        "allowed",
        "licence_required",
        listed_affiliate=True,
    ),
    "US-AFFILIATES-50PCT-2026": Probe(
        "a100", "DE", "DE", "export", "allowed", "licence_required", listed_affiliate=True
    ),
}


def _catalog():  # type: ignore[no-untyped-def]
    """The packaged catalogue plus one 3A090.b part (L40-like: 362 TFLOPS FP8 dense, 608.5 mm2)."""
    cat = load_catalog()
    h20 = cat.chips["h20"]
    fig = h20.figures("fp8_tflops")[0]
    figures = {
        "fp8_tflops": (dataclasses.replace(fig, value=362.0),),
        "die_area_mm2": (dataclasses.replace(h20.figures("die_area_mm2")[0], value=608.5),),
    }
    l40 = dataclasses.replace(h20, key="l40-test", name="L40-like test part", _figures=figures)
    return dataclasses.replace(cat, chips={**cat.chips, "l40-test": l40})


CATALOG = _catalog()
RULES = load_rules()


def _ask(p: Probe, on: dt.date) -> Verdict:
    q = ComplianceQuestion(
        p.chip, p.destination, p.actor_hq, p.action, on, p.state_funded, False, p.entity, p.listed_affiliate
    )
    return evaluate(CATALOG, RULES, q)


def test_every_rule_has_a_probe() -> None:
    assert {r.id for r in RULES.rules} == set(PROBES)


def _boundaries() -> list[tuple[str, str, dt.date, str, bool]]:
    """(rule id, label, date, expected effect, rule expected among the fired rules), from the data's dates."""
    cases = []
    for rule in RULES.rules:
        p = PROBES[rule.id]
        start = rule.effective_from
        cases += [(rule.id, "before", start - ONE_DAY, p.before, False), (rule.id, "first", start, p.first, True)]
        if rule.effective_to is not None:
            assert p.last is not None and p.after is not None, f"{rule.id}: give last/after expectations"
            end = rule.effective_to
            cases += [(rule.id, "last", end - ONE_DAY, p.last, True), (rule.id, "after", end, p.after, False)]
    return cases


@pytest.mark.parametrize(
    ("rule_id", "label", "on", "expected", "fires"), _boundaries(), ids=lambda x: x if isinstance(x, str) else str(x)
)
def test_verdict_on_each_side_of_rule_dates(rule_id: str, label: str, on: dt.date, expected: str, fires: bool) -> None:
    p = PROBES[rule_id]
    v = _ask(p, on)
    assert v.effect == expected, f"{rule_id} {label} {on}: {[(r.id, r.effect) for r in v.rules]}"
    assert (rule_id in {r.id for r in v.rules}) is fires
    assert v.notice.startswith("Not legal advice") and v.data_date == RULES.data_date


# GP10 by actor, on 2026-03-01 (hand-written from reading the guidance, the later wording change and MOFCOM's reply):
# (chip, destination, actor hq, US person, expected effect, rules that decide it)
GP10_ACTORS = [
    ("ascend-910c", "CN", "CN", False, "discouraged", {"US-GP10-ASCEND-2025-PRC-IN-CN"}),  # PRC company in China
    ("ascend-910b2", "HK", "CN", False, "discouraged", {"US-GP10-ASCEND-2025-PRC-IN-CN"}),
    ("ascend-910c", "CN", "CN", True, "prohibited", {"US-GP10-ASCEND-2025"}),  # a US person inside a PRC group
    ("ascend-910c", "CN", "US", False, "prohibited", {"US-GP10-ASCEND-2025"}),  # US-headquartered, in China
    ("ascend-910c", "CN", "DE", False, "prohibited", {"US-GP10-ASCEND-2025"}),  # US-allied group, in China
    ("ascend-910b2", "DE", "JP", False, "prohibited", {"US-GP10-ASCEND-2025"}),
    ("ascend-910c", "SG", "CN", False, "prohibited", {"US-GP10-ASCEND-2025"}),  # a PRC group's subsidiary abroad
    ("ascend-910a", "CN", "US", False, "allowed", set()),  # TSMC-made 2019 part: not listed
]


@pytest.mark.parametrize(("chip", "dest", "hq", "us_person", "expected", "deciding"), GP10_ACTORS)
def test_gp10_verdict_depends_on_the_actor(
    chip: str, dest: str, hq: str, us_person: bool, expected: str, deciding: set[str]
) -> None:
    v = evaluate(CATALOG, RULES, ComplianceQuestion(chip, dest, hq, "deploy", dt.date(2026, 3, 1), False, us_person))
    assert v.effect == expected and {r.id for r in v.deciding} == deciding
    assert v.allowed is (expected in ("allowed", "discouraged"))
    if expected == "discouraged":  # the general reading is still reported, marked as superseded
        (general,) = [r for r in v.rules if r.id == "US-GP10-ASCEND-2025"]
        assert general.superseded_by == "US-GP10-ASCEND-2025-PRC-IN-CN"


def test_dates_outside_the_data_are_answered_with_their_caveat() -> None:
    p = PROBES["US-3A090-2022-CN"]
    early = _ask(p, RULES.earliest - ONE_DAY)
    assert early.effect == "allowed" and not early.rules and not early.stale
    assert any(RULES.earliest.isoformat() in w and "no chip-specific" in w for w in early.warnings)
    late = _ask(p, RULES.data_date + ONE_DAY)
    assert late.stale and any(RULES.data_date.isoformat() in w and "stale" in w for w in late.warnings)
    assert late.to_json()["warnings"] and late.to_json()["data_date"] == RULES.data_date.isoformat()
    assert not _ask(p, RULES.data_date).warnings


def test_affiliates_rule_needs_a_listed_affiliate() -> None:
    rule = next(r for r in RULES.rules if r.id == "US-AFFILIATES-50PCT-2025")
    p = PROBES[rule.id]
    plain = _ask(p._replace(listed_affiliate=False), rule.effective_from)
    assert rule.id not in {r.id for r in plain.rules}
    later = next(r for r in RULES.rules if r.id == "US-AFFILIATES-50PCT-2026")
    v = _ask(p, later.effective_from)
    assert v.confidence == "low" and "nverified" in v.rules[0].note  # the end of the suspension is not settled
