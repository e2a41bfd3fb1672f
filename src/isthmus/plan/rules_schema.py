"""Pydantic models for the rule data (`plan/data/rules.yaml`) and for scenario files that add, end or change rules.

A rule fires for a question (chip, destination, actor, action, date) when the date is in
[effective_from, effective_to), the action is listed, the destination matches, the actor matches (if the rule names
actors) and the chip matches any of its chip selectors. Selectors are data, never code: chip keys, the 3A090 class
computed for the vintage in force on the date, designer headquarters, the H200-class gate.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from isthmus.schema import StrictModel

Action = Literal["export", "reexport", "transfer", "purchase", "deploy", "use"]
ACTIONS: tuple[str, ...] = ("export", "reexport", "transfer", "purchase", "deploy", "use")
ACTION_ALIASES = {
    "re-export": "reexport",
    "procure": "purchase",
    "buy": "purchase",
    "deployment": "deploy",
    "transfer_in_country": "transfer",
    "import": "purchase",
}
Effect = Literal["allowed", "discouraged", "licence_required", "case_by_case", "presumption_of_denial", "prohibited"]
# most restrictive last; the verdict is the most restrictive effect among enforced, non-superseded rules
EFFECT_RANK: dict[str, int] = {
    "allowed": 0,
    "discouraged": 1,
    "licence_required": 2,
    "case_by_case": 3,
    "presumption_of_denial": 4,
    "prohibited": 5,
}
# P: primary text (Federal Register, official statement, filing); S: secondary (law firm, trade press summary of
# a primary text); R: reported only (press, anonymous sources); D: derived here; U: unverified
Evidence = Literal["P", "S", "R", "D", "U"]
Country = str  # ISO 3166-1 alpha-2, or "group:NAME", or "*" (anywhere)


class ChipSelector(StrictModel):
    """Matches a chip when every condition given holds (an empty selector matches every chip)."""

    ids: tuple[str, ...] = ()  # catalogue chip keys (any of)
    not_ids: tuple[str, ...] = ()
    eccn: tuple[Literal["3A090.a", "3A090.b"], ...] = ()  # class under the vintage in force on the date
    designer_hq: tuple[str, ...] = ()
    not_designer_hq: tuple[str, ...] = ()
    h200_gate: bool | None = None  # TPP < 21,000 and DRAM bandwidth < 6,500 GB/s (91 FR 1684)
    vendor: tuple[Literal["nvidia", "huawei"], ...] = ()


class ActorSelector(StrictModel):
    """Matches the actor when every condition given holds."""

    hq: tuple[Country, ...] = ()  # headquarters (or ultimate parent) in any of these
    not_hq: tuple[Country, ...] = ()
    state_funded: bool | None = None
    us_person: bool | None = None
    entity: tuple[str, ...] = ()  # named entities (lower case), e.g. "huawei"
    listed_affiliate: bool | None = None  # >= 50 % owned by Entity List / MEU / certain SDN parties


class RuleSpec(StrictModel):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_.-]*$")
    title: str
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    instrument: str = ""
    effective_from: dt.date
    effective_to: dt.date | None = None  # exclusive; None = open-ended
    enforced: bool = True  # a rule that is law but not enforced is reported and does not decide the verdict
    actions: tuple[Action, ...] = Field(min_length=1)
    chips: tuple[ChipSelector, ...] = Field(min_length=1)  # any of
    destinations: tuple[Country, ...] = Field(min_length=1)
    not_destinations: tuple[Country, ...] = ()
    actors: ActorSelector | None = None
    effect: Effect
    evidence: Evidence
    sources: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()  # rule ids this rule replaces while both fire
    note: str = ""

    @model_validator(mode="after")
    def _dates(self) -> RuleSpec:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(f"{self.id}: effective_to {self.effective_to} is not after {self.effective_from}")
        return self


class GroupSpec(StrictModel):
    """A set of countries: explicit members, plus other groups, minus exclusions."""

    title: str
    members: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # other group names
    exclude: tuple[str, ...] = ()  # countries or "group:NAME"
    evidence: Evidence
    sources: tuple[str, ...] = ()
    note: str = ""


class RulesFile(StrictModel):
    data_date: dt.date  # the newest development the rule data was checked against
    notice: str
    groups: dict[str, GroupSpec]
    rules: tuple[RuleSpec, ...]


class RuleEnd(StrictModel):
    id: str
    date: dt.date  # the rule stops applying from this date (YAML reads a bare `on:` key as true)


class RuleChange(StrictModel):
    """Replace some fields of an existing rule (any RuleSpec field except id)."""

    id: str
    set: dict[str, object]


class ScenarioFile(StrictModel):
    name: str
    description: str = ""
    add: tuple[RuleSpec, ...] = ()
    end: tuple[RuleEnd, ...] = ()
    change: tuple[RuleChange, ...] = ()
