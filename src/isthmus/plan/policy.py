"""The rules engine: may this chip go to this destination, for this actor and action, on this date?

`evaluate(catalog, rules, question)` is pure: the same catalogue, rule set and question always give the same
`Verdict`, listing every rule that fired with its source and evidence grade. `check()` is the convenience that loads
the packaged data, applies scenario files and calls it. Every verdict carries the date of the rule data and a notice
that it is not legal advice. No date is refused: a date after the data date is answered with a staleness warning
naming that date, and a date before the first AI-chip rule is answered (no chip-specific control then) with a caveat.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from isthmus.errors import InputError
from isthmus.plan import tpp
from isthmus.plan._names import normalise
from isthmus.plan.catalog import Catalog, Chip, load_catalog
from isthmus.plan.countries import COUNTRIES
from isthmus.plan.rules_schema import (
    ACTION_ALIASES,
    ACTIONS,
    EFFECT_RANK,
    ActorSelector,
    ChipSelector,
    GroupSpec,
    RulesFile,
    RuleSpec,
)
from isthmus.plan.scenario import apply_scenario, load_scenario
from isthmus.schema import validate_packaged

Confidence = Literal["high", "medium", "low"]
_GRADE_CONFIDENCE: dict[str, Confidence] = {"P": "high", "S": "medium", "D": "medium", "R": "low", "U": "low"}
_LOWER: dict[Confidence, Confidence] = {"high": "medium", "medium": "low", "low": "low"}


@dataclass(frozen=True)
class RuleSet:
    """Rules plus resolved country groups, the data date and the notice."""

    rules: tuple[RuleSpec, ...]
    groups: Mapping[str, frozenset[str]]
    data_date: dt.date
    notice: str
    scenarios: tuple[str, ...] = ()  # names of the scenarios applied

    @property
    def earliest(self) -> dt.date:
        return min(r.effective_from for r in self.rules)

    def with_scenarios(self, paths: Sequence[Path]) -> RuleSet:
        rules, names = self.rules, list(self.scenarios)
        for p in paths:
            sc = load_scenario(Path(p))
            rules = apply_scenario(rules, sc)
            names.append(sc.name)
        _check_refs(rules, self.groups, load_catalog(), packaged=False)
        return RuleSet(rules, self.groups, self.data_date, self.notice, tuple(names))


@dataclass(frozen=True)
class ComplianceQuestion:
    chip: str  # catalogue key
    destination: str  # ISO 3166-1 alpha-2
    actor_hq: str
    action: str
    on: dt.date
    state_funded: bool = False
    us_person: bool = False
    entity: str | None = None
    listed_affiliate: bool = False  # >= 50 % owned by Entity List / MEU / certain SDN parties (Affiliates rule)


@dataclass(frozen=True)
class FiredRule:
    """A rule that applied to the question."""

    id: str
    title: str
    jurisdiction: str
    effect: str
    evidence: str  # P | S | R | D | U
    source: str  # the first source: "title <url>"
    sources: tuple[str, ...]  # all source ids
    enforced: bool
    superseded_by: str | None
    effective_from: dt.date
    effective_to: dt.date | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Verdict:
    """The answer: the most restrictive effect of the enforced, non-superseded rules that fired."""

    chip: str
    destination: str
    actor_hq: str
    action: str
    on: dt.date
    allowed: bool
    effect: str
    rules: tuple[FiredRule, ...]
    confidence: Confidence
    data_date: dt.date
    notice: str
    classification: tpp.Classification | None
    reasons: tuple[str, ...] = field(default=())  # why the confidence is what it is, caveats
    scenarios: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # the answer may be out of date (question after the data date), or out of scope

    @property
    def stale(self) -> bool:
        """True when the question date is after the rule data date: later measures are not in the data."""
        return self.on > self.data_date

    @property
    def deciding(self) -> tuple[FiredRule, ...]:
        """The rules whose effect is the verdict's (empty when nothing restrictive fired)."""
        return tuple(r for r in self.rules if r.enforced and r.superseded_by is None and r.effect == self.effect)

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        return {
            "chip": self.chip,
            "destination": self.destination,
            "actor_hq": self.actor_hq,
            "action": self.action,
            "on": self.on.isoformat(),
            "allowed": self.allowed,
            "effect": self.effect,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "classification": None
            if c is None
            else {"vintage": c.vintage.key, "eccn": c.eccn, "paragraph": c.paragraph, "tpp": c.tpp, "pd": c.pd},
            "rules": [r.to_json() for r in self.rules],
            "scenarios": list(self.scenarios),
            "warnings": list(self.warnings),
            "stale": self.stale,
            "data_date": self.data_date.isoformat(),
            "notice": self.notice,
        }


# ------------------------------------------------------------------------------------------------ loading


def _resolve_groups(specs: Mapping[str, GroupSpec]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}

    def resolve(name: str, stack: tuple[str, ...]) -> frozenset[str]:
        if name in out:
            return out[name]
        if name not in specs or name in stack:
            raise RuntimeError(f"rules.yaml: unknown or circular group {name!r}")
        spec = specs[name]
        members = set(spec.members)
        for inc in spec.include:
            members |= resolve(inc, (*stack, name))
        for exc in spec.exclude:
            members -= resolve(exc[6:], (*stack, name)) if exc.startswith("group:") else {exc}
        out[name] = frozenset(members)
        return out[name]

    for name in specs:
        resolve(name, ())
    return out


def _check_refs(
    rules: Sequence[RuleSpec], groups: Mapping[str, frozenset[str]], catalog: Catalog, packaged: bool
) -> None:
    """Every chip key, group and source a rule names must exist (a typo must not silently never fire)."""
    ids = {r.id for r in rules}
    if len(ids) != len(rules):
        raise InputError("duplicate rule ids in the rule set")
    for r in rules:
        places = (*r.destinations, *r.not_destinations, *(r.actors.hq if r.actors else ()))
        for place in places:
            if place.startswith("group:") and place[6:] not in groups:
                raise InputError(f"rule {r.id}: unknown group {place!r}", hint=f"known: {', '.join(groups)}")
            if place != "*" and not place.startswith("group:") and place not in COUNTRIES:
                raise InputError(f"rule {r.id}: unknown country code {place!r}", hint="use ISO 3166-1 alpha-2")
        for sel in r.chips:
            for key in (*sel.ids, *sel.not_ids):
                if key not in catalog.chips:
                    raise InputError(f"rule {r.id}: unknown chip key {key!r}", hint="use a key from `isthmus hw list`")
        for s in r.supersedes:
            if s not in ids:
                raise InputError(f"rule {r.id}: supersedes unknown rule {s!r}")
        if packaged:
            missing = [s for s in r.sources if s not in catalog.sources]
            if missing or not r.sources:
                raise RuntimeError(f"rules.yaml: rule {r.id} has missing or unknown sources {missing}")


@functools.lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """The packaged rule set (validated; cached)."""
    text = resources.files("isthmus.plan").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    spec = validate_packaged(RulesFile, text, "rule data")
    groups = _resolve_groups(spec.groups)
    _check_refs(spec.rules, groups, load_catalog(), packaged=True)
    return RuleSet(spec.rules, MappingProxyType(groups), spec.data_date, spec.notice)


# ------------------------------------------------------------------------------------------------ matching


def _in(place: str, options: Sequence[str], groups: Mapping[str, frozenset[str]]) -> bool:
    return any(opt in ("*", place) or (opt.startswith("group:") and place in groups[opt[6:]]) for opt in options)


def _chip_matches(sel: ChipSelector, chip: Chip, cls: tpp.Classification | None) -> bool:
    checks = [
        not sel.ids or chip.key in sel.ids,
        chip.key not in sel.not_ids,
        not sel.eccn or (cls is not None and cls.eccn in sel.eccn),
        not sel.designer_hq or chip.designer_hq in sel.designer_hq,
        chip.designer_hq not in sel.not_designer_hq,
        sel.h200_gate is None or (cls is not None and cls.h200_gate is sel.h200_gate),
        not sel.vendor or chip.vendor in sel.vendor,
    ]
    return all(checks)


def _actor_matches(sel: ActorSelector | None, q: ComplianceQuestion, groups: Mapping[str, frozenset[str]]) -> bool:
    if sel is None:
        return True
    return all(
        [
            not sel.hq or _in(q.actor_hq, sel.hq, groups),
            not sel.not_hq or not _in(q.actor_hq, sel.not_hq, groups),
            sel.state_funded is None or sel.state_funded is q.state_funded,
            sel.us_person is None or sel.us_person is q.us_person,
            sel.listed_affiliate is None or sel.listed_affiliate is q.listed_affiliate,
            not sel.entity or (q.entity is not None and q.entity.lower() in sel.entity),
        ]
    )


def _fires(
    r: RuleSpec, chip: Chip, cls: tpp.Classification | None, q: ComplianceQuestion, groups: Mapping[str, frozenset[str]]
) -> bool:
    return (
        r.effective_from <= q.on
        and (r.effective_to is None or q.on < r.effective_to)
        and q.action in r.actions
        and _in(q.destination, r.destinations, groups)
        and not _in(q.destination, r.not_destinations, groups)
        and _actor_matches(r.actors, q, groups)
        and any(_chip_matches(sel, chip, cls) for sel in r.chips)
    )


def _fired(r: RuleSpec, catalog: Catalog, superseded_by: str | None) -> FiredRule:
    first = catalog.sources.get(r.sources[0]) if r.sources else None
    source = f"{first.title} <{first.url}>" if first else ("scenario" if not r.sources else r.sources[0])
    return FiredRule(
        r.id,
        r.title,
        r.jurisdiction,
        r.effect,
        r.evidence,
        source,
        r.sources,
        r.enforced,
        superseded_by,
        r.effective_from,
        r.effective_to,
        r.note,
    )


# ------------------------------------------------------------------------------------------------ answering


def evaluate(catalog: Catalog, rules: RuleSet, q: ComplianceQuestion) -> Verdict:
    """Answer `q` from `catalog` and `rules` alone (pure): every fired rule, the verdict and its confidence."""
    chip = catalog.chips[q.chip]
    vintage = tpp.vintage_on(q.on)
    cls = tpp.classify_chip(chip, vintage=vintage) if vintage else None
    hits = [r for r in rules.rules if _fires(r, chip, cls, q, rules.groups)]
    hit_ids = {r.id for r in hits}
    superseded = {s: r.id for r in hits if r.enforced for s in r.supersedes if s in hit_ids}
    fired = tuple(_fired(r, catalog, superseded.get(r.id)) for r in hits)
    live = [f for f in fired if f.enforced and f.superseded_by is None]
    effect = max((f.effect for f in live), key=EFFECT_RANK.__getitem__, default="allowed")
    deciding = [f for f in live if f.effect == effect]
    reasons: list[str] = []
    if deciding:
        grades = sorted({f.evidence for f in deciding}, key="PSDRU".index)
        confidence = _GRADE_CONFIDENCE[grades[0]]
        reasons.append(f"deciding rule evidence: {', '.join(grades)}")
    else:
        confidence = "medium"
        reasons.append("no restrictive rule in the data fired; the data covers only the measures it lists")
    if cls is not None and cls.eccn == "unknown":
        confidence = _LOWER[confidence]
        reasons.append(f"3A090 class unknown for {chip.key} ({cls.paragraph}): TPP/PD-based rules were not applied")
    warnings = date_warnings(q.on, rules)
    if q.on > rules.data_date:
        confidence = _LOWER[confidence]
        reasons.append(f"the question date is after the rule data date {rules.data_date.isoformat()}")
    ignored = [f.id for f in fired if not f.enforced]
    if ignored:
        reasons.append(f"in force but not enforced (reported only): {', '.join(ignored)}")
    return Verdict(
        chip.key,
        q.destination,
        q.actor_hq,
        q.action,
        q.on,
        effect in ("allowed", "discouraged"),
        effect,
        fired,
        confidence,
        rules.data_date,
        rules.notice,
        cls,
        tuple(reasons),
        rules.scenarios,
        warnings,
    )


def date_warnings(on: dt.date, rules: RuleSet) -> tuple[str, ...]:
    """What a date outside the rule data's span means for an answer: stale after the data date; before the first
    AI-chip rule, no chip-specific control applied (general controls still did)."""
    out: list[str] = []
    if on > rules.data_date:
        out.append(
            f"stale: the rule data is as of {rules.data_date.isoformat()}, before {on.isoformat()}; measures adopted, "
            "changed or ended since then are not reflected"
        )
    if on < rules.earliest:
        out.append(
            f"{on.isoformat()} is before the first AI-chip measure in the data ({rules.earliest.isoformat()}): no "
            "chip-specific export control applied then; general controls (embargoes, Entity List, end-use rules) "
            "are not modelled"
        )
    return tuple(out)


def country(code: str, what: str = "destination") -> str:
    """Validate an ISO 3166-1 alpha-2 code (case-insensitive)."""
    c = code.strip().upper()
    if c not in COUNTRIES:
        import difflib

        close = difflib.get_close_matches(c, sorted(COUNTRIES), n=3, cutoff=0.5)
        hint = f"use an ISO 3166-1 alpha-2 code{', e.g. ' + ', '.join(close) if close else ' such as CN, US, DE'}"
        raise InputError(f"unknown {what} country code {code!r}", hint=hint)
    return c


def action_name(action: str) -> str:
    a = ACTION_ALIASES.get(action.lower(), action.lower())
    if a not in ACTIONS:
        raise InputError(f"unknown action {action!r}", hint=f"use one of {', '.join(ACTIONS)}")
    return a


def _rules_for(scenarios: Sequence[Path]) -> RuleSet:
    base = load_rules()
    return base.with_scenarios(scenarios) if scenarios else base


def question(
    chip: str,
    destination: str,
    *,
    actor_hq: str,
    action: str,
    on: dt.date,
    state_funded: bool = False,
    us_person: bool = False,
    entity: str | None = None,
    listed_affiliate: bool = False,
) -> ComplianceQuestion:
    """Validate user input into a ComplianceQuestion (unknown chip, country or action: InputError).

    Every date is answered."""
    key = load_catalog().chip(chip).key
    return ComplianceQuestion(
        key,
        country(destination),
        country(actor_hq, "actor headquarters"),
        action_name(action),
        on,
        state_funded,
        us_person,
        normalise(entity) if entity else None,
        listed_affiliate,
    )


def check(
    chip: str,
    destination: str,
    *,
    actor_hq: str,
    action: str = "deploy",
    on: dt.date,
    state_funded: bool = False,
    scenarios: Sequence[Path] = (),
    us_person: bool = False,
    entity: str | None = None,
    listed_affiliate: bool = False,
) -> Verdict:
    """Verdict for deploying (or exporting, buying, using...) `chip` in `destination` on `on`.

    `chip` is a catalogue chip key or alias; `destination` and `actor_hq` are ISO 3166-1 alpha-2 codes.
    `scenarios` are YAML files that add, end or change rules (see `isthmus.plan.scenario`).
    """
    rules = _rules_for(tuple(scenarios))
    q = question(
        chip,
        destination,
        actor_hq=actor_hq,
        action=action,
        on=on,
        state_funded=state_funded,
        us_person=us_person,
        entity=entity,
        listed_affiliate=listed_affiliate,
    )
    return evaluate(load_catalog(), rules, q)


def matrix(
    chips: Sequence[str],
    destinations: Sequence[str],
    *,
    on: dt.date,
    actor_hq: str = "US",
    action: str = "deploy",
    state_funded: bool = False,
    scenarios: Sequence[Path] = (),
    us_person: bool = False,
    entity: str | None = None,
    listed_affiliate: bool = False,
) -> list[list[Verdict]]:
    """Verdicts for every chip (rows) x destination (columns)."""
    rules = _rules_for(tuple(scenarios))
    catalog = load_catalog()
    rows = []
    for chip in chips:
        row = []
        for dest in destinations:
            q = question(
                chip,
                dest,
                actor_hq=actor_hq,
                action=action,
                on=on,
                state_funded=state_funded,
                us_person=us_person,
                entity=entity,
                listed_affiliate=listed_affiliate,
            )
            row.append(evaluate(catalog, rules, q))
        rows.append(row)
    return rows
