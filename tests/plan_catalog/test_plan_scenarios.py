"""Scenario files: add, end and change rules; malformed files are clear input errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from isthmus.errors import InputError
from isthmus.plan.policy import check

WHAT_IF = """
name: China admits H200, bans H20 from 2027
end:
  - {id: CN-H200-IMPORT-BLOCK-2026, date: 2026-09-01}
add:
  - id: SCN-H20-BAN-2027
    title: H20 banned in China from 2027
    jurisdiction: CN
    effective_from: 2027-01-01
    actions: [purchase, deploy]
    chips: [{ids: [h20]}]
    destinations: [CN]
    effect: prohibited
    evidence: U
change:
  - {id: CN-H20-GUIDANCE-2025, set: {effect: allowed}}
"""


@pytest.fixture()
def what_if(tmp_path: Path) -> Path:
    p = tmp_path / "what_if.yaml"
    p.write_text(WHAT_IF, encoding="utf-8")
    return p


def test_end_rule(what_if: Path) -> None:
    on = dt.date(2026, 10, 1)
    base = check("H200", "CN", actor_hq="CN", on=on)
    assert base.effect == "prohibited"
    v = check("H200", "CN", actor_hq="CN", on=on, scenarios=[what_if])
    assert v.effect == "case_by_case" and "CN-H200-IMPORT-BLOCK-2026" not in {r.id for r in v.rules}
    assert v.scenarios == ("China admits H200, bans H20 from 2027",)


def test_add_rule_from_its_date(what_if: Path) -> None:
    assert check("H20", "CN", actor_hq="CN", on=dt.date(2026, 12, 31), scenarios=[what_if]).effect == "case_by_case"
    v = check("H20", "CN", actor_hq="CN", on=dt.date(2027, 1, 1), scenarios=[what_if])
    assert v.effect == "prohibited" and v.confidence == "low"  # evidence U, and after the data date


def test_change_rule(what_if: Path) -> None:
    v = check("H20", "CN", actor_hq="CN", on=dt.date(2026, 3, 1), scenarios=[what_if])
    changed = next(r for r in v.rules if r.id == "CN-H20-GUIDANCE-2025")
    assert changed.effect == "allowed"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name: x\nend: [{id: NO-SUCH-RULE, date: 2026-01-01}]\n", "unknown rule id"),
        ("name: x\nadd: [{id: X1, title: t}]\n", "invalid scenario"),
        ("name: [unclosed\n", "malformed YAML"),
        ("- just a list\n", "YAML mapping"),
        (
            "name: x\nadd:\n  - {id: X2, title: t, jurisdiction: CN, effective_from: 2026-01-01, actions: [fly],"
            " chips: [{}], destinations: [CN], effect: prohibited, evidence: U}\n",
            "invalid scenario",
        ),
        (
            "name: x\nadd:\n  - {id: X3, title: t, jurisdiction: CN, effective_from: 2026-01-01, actions: [deploy],"
            " chips: [{ids: [h2000]}], destinations: [CN], effect: prohibited, evidence: U}\n",
            "unknown chip key",
        ),
    ],
)
def test_malformed_scenarios(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        check("H20", "CN", actor_hq="CN", on=dt.date(2026, 3, 1), scenarios=[p])
