"""Fleet files through build + solve + explain, with stub oracles whose answers are worked out by hand.

The stub fleet: each region serves 16,000 output tokens/s of m-small. Node A does 8 x 1,000 tok/s per unit for
$10/h (2 units = $20/h); node B 8 x 500 tok/s for $8/h (4 units = $32/h). Twelve months are 8,766 hours.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from isthmus.errors import InputError
from isthmus.plan.fleet import parse_fleet, plan_fleet
from isthmus.plan.fleet.oracles import LiveRule, RuleAnswer

HOURS = 12 * 730.5


@pytest.fixture()
def planner(kit: Any) -> Any:
    def run(data: dict[str, Any], scenarios: tuple[Path, ...] = (), split: bool = True, rules: Any = None) -> Any:
        return plan_fleet(
            parse_fleet(data),
            scenarios=scenarios,
            split=split,
            hardware=kit.hardware(),
            perf=kit.perf(),
            rules_for=rules or kit.rules,
        )

    return run


def _rules_with(kit: Any, answers: dict[tuple[str, str], tuple[str, str]]) -> Any:
    """The stub rules, with (chip, country) -> (effect, rule id) answers laid over them."""

    class Rules(kit.rules):  # type: ignore[misc, name-defined]
        def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: Any) -> RuleAnswer:
            if (chip, country) in answers:
                effect, rid = answers[(chip, country)]
                return RuleAnswer(effect, (LiveRule(rid, f"rule {rid}", "S98", effect, "R"),))
            return super().verdict(chip, country, actor_hq, state_funded, on)

    return Rules


def _node_c_in_cn(data: dict[str, Any], **offer: Any) -> dict[str, Any]:
    """China's service without a latency target, and node C (16,000 tok/s for $12/h) offered in China."""
    data["workloads"][1].pop("tpot_ms")
    data["offers"].append(
        {"name": "c", "system": "node-c", "regions": ["us", "cn"], "rent_usd_per_hour": 12.0, **offer}
    )
    return data


def test_base_plan_matches_hand_arithmetic(kit: Any, planner: Any) -> None:
    report = planner(kit.fleet())
    plan = report.base
    assert plan.feasible
    assert math.isclose(plan.cost_usd, 4 * 10.0 * HOURS)
    for region in ("us", "cn"):
        (line,) = plan.region(region).lines
        assert (line.offer, line.units, line.chips) == ("a", 2, 16)
        assert math.isclose(line.utilisation, 1.0)
    reasons = {e.offer: e for e in plan.excluded}
    assert reasons["b@us"].kind == "costlier"
    # carrying us-chat on B: 4 units x $8 x 8,766 h = $280,512 vs $175,320 on A (+60 %)
    assert "$280,512" in reasons["b@us"].reason and "+60 %" in reasons["b@us"].reason


def test_new_rule_forces_a_change_of_hardware_and_names_the_rule(kit: Any, planner: Any, tmp_path: Path) -> None:
    scenario = tmp_path / "ban.yaml"
    scenario.write_text("2027-01-01")  # the stub rules read the ban date from the file
    report = planner(kit.fleet(), scenarios=(scenario,))
    assert report.base.region("cn").lines[0].offer == "a"
    new_cn = report.scenario.region("cn").lines
    assert [(ln.offer, ln.units) for ln in new_cn] == [("b", 4)]
    changes = {(c.region, c.offer): (c.base_units, c.new_units) for c in report.diff.changes}
    assert changes == {("cn", "a"): (2, 0), ("cn", "b"): (0, 4)}
    (why,) = [e for e in report.diff.newly_excluded if e.offer == "a@cn"]
    assert why.kind == "rule"
    assert "SCN-A-BAN" in why.reason and "from 2027-01-01" in why.reason  # located to the day
    # only China changes: (4 x $8 - 2 x $10) x 8,766 h
    deltas = {d.region: d.delta_usd for d in report.diff.by_region}
    assert math.isclose(deltas["cn"], 12.0 * HOURS) and deltas["us"] == 0


def test_latency_target_excludes_a_cheaper_offer(kit: Any, planner: Any) -> None:
    data = kit.fleet()
    data["offers"].append({"name": "c", "system": "node-c", "regions": ["us"], "rent_usd_per_hour": 9.0})
    plan = planner(data, split=False).base
    why = {e.offer: e for e in plan.excluded}["c@us"]
    assert why.kind == "unusable" and "latency target of us-chat" in why.reason


def test_cost_of_the_split_by_region(kit: Any, planner: Any) -> None:
    data = kit.fleet()
    data["workloads"][1].pop("tpot_ms")  # China's service has no latency target, so node C could carry it
    data["offers"].append({"name": "c", "system": "node-c", "regions": ["us", "cn"], "rent_usd_per_hour": 12.0})
    report = planner(data)
    why = {e.offer: e for e in report.base.excluded}["c@cn"]
    assert why.kind == "rule" and "US-C-LIC" in why.reason
    delta = {d.region: d.delta_usd for d in report.split.by_region}
    # real: 2 x A ($20/h) in CN; open world: 1 x C (16,000 tok/s for $12/h)
    assert math.isclose(delta["cn"], 8.0 * HOURS)
    assert delta["us"] == 0  # US is unchanged: C misses us-chat's TPOT target anyway


def test_infeasible_input_is_explained_in_words(kit: Any, planner: Any) -> None:
    data = kit.fleet()
    data["regions"]["cn"]["power_cap_kw"] = 20.0  # one node A is 13 kW with PUE 1.3: two do not fit
    plan = planner(data, split=False).base
    assert not plan.feasible
    assert set(plan.infeasibility.groups) == {"demand:cn-chat", "power:cn"}
    text = plan.infeasibility.text()
    assert "power cap of cn (20 kW)" in text and "16,000 output tokens/s of m-small" in text


def test_training_deadline_and_lead_time(kit: Any, planner: Any) -> None:
    data = kit.fleet()
    # 8 devices x 4,000 tok/s = 32,000 tok/s per node A; 90 days -> 2.4883e11 tokens per unit
    data["workloads"] = [
        {
            "name": "pretrain",
            "kind": "train",
            "region": "us",
            "model": "m-small",
            "tokens": 32000 * 86400 * 90 * 3,
            "deadline": "2026-08-30",
        }
    ]
    data["offers"][1]["lead_time_days"] = 100  # node B arrives after the deadline
    plan = planner(data, split=False).base
    (line,) = plan.region("us").lines
    assert (line.offer, line.units) == ("a", 3)
    why = {e.offer: e for e in plan.excluded}["b@us"]
    assert why.kind == "unusable" and "lead time of b@us (100 days)" in why.reason


def test_identical_workloads_are_merged(kit: Any, planner: Any) -> None:
    data = kit.fleet()
    extra = copy.deepcopy(data["workloads"][0])
    extra["name"] = "us-chat-2"
    extra["tokens_per_s"] = 8000
    data["workloads"].append(extra)
    plan = planner(data, split=False).base
    assert plan.stats["workloads"] == 3 and plan.stats["merged_workloads"] == 2
    assert plan.region("us").lines[0].units == 3  # 24,000 tok/s on 8,000 tok/s units


def test_licence_required_needs_a_declared_licence(kit: Any, planner: Any) -> None:
    # without a licence: node C is out in China, and the reason names the rule and the field to set
    plan = planner(_node_c_in_cn(kit.fleet()), split=False).base
    why = {e.offer: e for e in plan.excluded}["c@cn"]
    assert why.kind == "rule" and "needs a licence" in why.reason and "US-C-LIC" in why.reason
    assert "offers[2].licence" in why.reason
    assert [ln.offer for ln in plan.region("cn").lines] == ["a"] and not plan.notes
    # with the licence declared for China: one node C ($12/h) replaces two node A ($20/h), and the plan says it
    # relies on that licence
    plan = planner(_node_c_in_cn(kit.fleet(), licence={"cn": "granted"}), split=False).base
    assert [(ln.offer, ln.units) for ln in plan.region("cn").lines] == [("c", 1)]
    assert math.isclose(plan.region("cn").cost_usd, 12.0 * HOURS)
    (note,) = plan.notes
    assert (note.offer, note.kind, note.rules) == ("c@cn", "licence", ("US-C-LIC",))


@pytest.mark.parametrize("effect", ["presumption_of_denial", "prohibited"])
def test_denial_and_prohibition_exclude_even_with_a_licence(kit: Any, planner: Any, effect: str) -> None:
    rules = _rules_with(kit, {("chip-c", "CN"): (effect, "US-C-DENY")})
    plan = planner(_node_c_in_cn(kit.fleet(), licence="granted"), split=False, rules=rules).base
    why = {e.offer: e for e in plan.excluded}["c@cn"]
    assert why.kind == "rule" and "US-C-DENY" in why.reason
    words = "presumption of denial" if effect == "presumption_of_denial" else "is prohibited"
    assert words in why.reason
    assert [ln.offer for ln in plan.region("cn").lines] == ["a"]


def test_discouraged_is_used_with_a_warning_unless_the_region_avoids_it(kit: Any, planner: Any) -> None:
    rules = _rules_with(kit, {("chip-a", "CN"): ("discouraged", "CN-A-DISC")})
    plan = planner(kit.fleet(), split=False, rules=rules).base
    assert [(ln.offer, ln.units) for ln in plan.region("cn").lines] == [("a", 2)]
    (note,) = plan.notes
    assert (note.offer, note.kind) == ("a@cn", "discouraged") and "CN-A-DISC" in note.text
    data = kit.fleet()
    data["regions"]["cn"]["avoid_discouraged"] = True
    plan = planner(data, split=False, rules=rules).base
    assert [(ln.offer, ln.units) for ln in plan.region("cn").lines] == [("b", 4)]  # 16,000 / 4,000 tok/s
    why = {e.offer: e for e in plan.excluded}["a@cn"]
    assert why.kind == "rule" and "CN-A-DISC" in why.reason and "avoid_discouraged" in why.reason
    assert [ln.offer for ln in plan.region("us").lines] == ["a"]  # the US region is not affected


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["workloads"][0].update(tokens_per_s=-5), "workloads[0].tokens_per_s"),
        (lambda d: d["workloads"][0].update(colour="red"), "workloads[0].colour"),
        (lambda d: d["workloads"][0].update(region="mars"), "workloads[0].region: unknown region 'mars'"),
        (lambda d: d["offers"][0].update(regions=["us", "atlantis"]), "offers[0].regions[1]"),
        (lambda d: d["offers"][0].update(capex_usd=1000), "offers[0]: give exactly one of"),
        (lambda d: d["regions"]["us"].update(country="usa"), "regions.us.country"),
        (lambda d: d["workloads"][1].update(may_run_in=["cn", "us"]), "data_residency"),
        (lambda d: d.update(date="2026-13-01"), "date"),
        (lambda d: d["offers"][0].update(licence="maybe"), "offers[0].licence"),
        (lambda d: d["offers"][0].update(licence={"mars": "granted"}), "offers[0].licence.mars"),
        (lambda d: d.update(policy={"accept": ["case_by_case"]}), "offers[].licence: granted"),
        (lambda d: d["regions"]["cn"].update(avoid_discouraged="sometimes"), "regions.cn.avoid_discouraged"),
    ],
)
def test_bad_input_names_the_field(kit: Any, mutate: Any, needle: str) -> None:
    data = kit.fleet()
    mutate(data)
    with pytest.raises(InputError) as e:
        parse_fleet(data, "f.yaml")
    assert needle in str(e.value)


def test_unknown_system_and_model_and_dates_name_the_field(kit: Any, planner: Any) -> None:
    for mutate, needle in [
        (lambda d: d["offers"][1].update(system="node-z"), "offers[1].system: unknown system 'node-z'"),
        (lambda d: d["workloads"][0].update(model="gpt-9"), "workloads[0].model: unknown model"),
        (
            lambda d: d["workloads"].append(
                {
                    "name": "t",
                    "kind": "train",
                    "region": "us",
                    "model": "m-small",
                    "tokens": 1e9,
                    "deadline": "2026-01-01",
                }
            ),
            "workloads[2].deadline",
        ),
    ]:
        data = kit.fleet()
        mutate(data)
        with pytest.raises(InputError) as e:
            planner(data)
        assert needle in str(e.value)
