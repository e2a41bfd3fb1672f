"""From rule verdicts to "may we plan on this offer here?", with the words that say why.

A planner must not count on hardware that needs a licence nobody holds. The posture, per offer and region:

- `allowed`: deployable;
- `discouraged`: deployable, reported as a warning in the plan; excluded where the region sets `avoid_discouraged`;
- `licence_required`, `case_by_case`: deployable only where the offer declares the licence as granted
  (`offers[].licence`), e.g. a vendor's export licence that covers the sale; the plan then notes that it relies on it;
- `presumption_of_denial`, `prohibited`: never deployable, whatever the offer declares.

Every live rule that fired counts, not only the most restrictive one: an H20 server in China may be both
case-by-case (US licence) and discouraged (China), and `avoid_discouraged` must see the second. Rules are sampled
over the whole horizon (hardware is committed for all of it); a change between two samples is located to the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from isthmus.plan.fleet.oracles import FleetUnit, LiveRule, RulesOracle

LICENCE_EFFECTS = frozenset({"licence_required", "case_by_case"})  # a declared licence makes these deployable
ALWAYS_EXCLUDED = frozenset({"presumption_of_denial", "prohibited"})
_RANK = {"allowed": 0, "discouraged": 1, "licence_required": 2, "case_by_case": 3, "presumption_of_denial": 4}
_RANK["prohibited"] = 5


@dataclass(frozen=True)
class Posture:
    """What the company declares for one offer in one region."""

    licensed: bool = False  # the licence a verdict asks for is held (offers[].licence: granted)
    avoid_discouraged: bool = False  # the region excludes discouraged hardware


@dataclass(frozen=True)
class Standing:
    """The rules' answer for one offer in one region over the horizon."""

    effect: str  # the deciding effect: the first blocking verdict, else the most restrictive accepted one
    fired: tuple[LiveRule, ...]  # live rules behind it, on the date it applies
    since: dt.date | None  # first date the effect applies (None when nothing fired)
    deployable: bool
    licensed: bool

    @property
    def discouraged(self) -> tuple[LiveRule, ...]:
        return tuple(f for f in self.fired if f.effect == "discouraged")

    @property
    def licence_rules(self) -> tuple[LiveRule, ...]:
        return tuple(f for f in self.fired if f.effect in LICENCE_EFFECTS)


def rank(effect: str) -> int:
    return _RANK.get(effect, 0)


def blocks(effects: set[str], posture: Posture) -> bool:
    """True when a verdict whose live rules carry `effects` keeps the offer out under `posture`."""
    if effects & ALWAYS_EXCLUDED:
        return True
    if effects & LICENCE_EFFECTS and not posture.licensed:
        return True
    return "discouraged" in effects and posture.avoid_discouraged


def standing(
    rules: RulesOracle,
    hw: FleetUnit,
    country: str,
    actor_hq: str,
    state_funded: bool,
    posture: Posture,
    on: dt.date,
    samples: list[dt.date],
) -> Standing:
    """Scan the verdicts on `on` and at `samples` (ascending): the first that blocks wins, located to the day."""

    def ask(d: dt.date) -> tuple[str, tuple[LiveRule, ...]]:
        ans = rules.verdict(hw.chip, country, actor_hq, state_funded, d)
        return ans.effect, ans.rules

    def blocked(d: dt.date) -> bool:
        effect, fired = ask(d)
        return blocks({effect, *(f.effect for f in fired)}, posture)

    effect, fired = ask(on)
    worst = Standing(effect, fired, on if fired else None, True, posture.licensed)
    level, good = _notable(effect, fired), on
    for d in [on, *samples]:
        if blocked(d):
            day = on if d == on else _first(good, d, blocked)
            effect, fired = ask(day)
            return Standing(effect, fired, day, False, posture.licensed)
        if d != on and (lv := _notable(*ask(d))) > level:  # a stricter (still acceptable) verdict later on

            def stricter(x: dt.date, lv: int = lv) -> bool:
                return _notable(*ask(x)) >= lv

            day = _first(good, d, stricter)
            effect, fired = ask(day)
            worst, level = Standing(effect, fired, day, True, posture.licensed), lv
        good = d
    return worst


def _notable(effect: str, fired: tuple[LiveRule, ...]) -> int:
    """Rank of the verdict, counting a discouraged rule under a licensed verdict too."""
    return max([rank(effect), *(rank(f.effect) for f in fired)])


def _first(lo: dt.date, hi: dt.date, pred: Callable[[dt.date], bool]) -> dt.date:
    """The first day in (lo, hi] where `pred` holds, given it fails at `lo` and holds at `hi`."""
    while (hi - lo).days > 1:
        mid = lo + dt.timedelta(days=(hi - lo).days // 2)
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _ids(rules: tuple[LiveRule, ...]) -> str:
    def one(f: LiveRule) -> str:
        grade = f"; evidence {f.evidence}" if f.evidence else ""
        return f"{f.id} ({f.title}; {f.source}{grade})" if f.title else f.id

    return "; ".join(one(f) for f in rules) or "no rule named"


def exclusion_words(hw: FleetUnit, region: str, country: str, s: Standing, on: dt.date, licence_field: str) -> str:
    """Why an offer is out, naming the rules; says "needs a licence" where that is the reason."""
    when = "" if s.since is None or s.since <= on else f" from {s.since}"
    where = f"{hw.name} in {country} ({region})"
    hard = tuple(f for f in s.fired if f.effect in ALWAYS_EXCLUDED)
    if hard:
        worst = max(hard, key=lambda f: rank(f.effect))
        named = tuple(f for f in hard if f.effect == worst.effect)
        if worst.effect == "prohibited":
            return f"{where} is prohibited{when} under {_ids(named)}"
        return (
            f"{where} needs a licence{when} that is reviewed with a presumption of denial under {_ids(named)}; "
            "excluded even with a declared licence"
        )
    lic = s.licence_rules
    if lic and not s.licensed:
        kind = "decided case by case" if any(f.effect == "case_by_case" for f in lic) else "required"
        return (
            f"{where} needs a licence{when} ({kind}) under {_ids(lic)}; the offer declares none for {region} "
            f"(set {licence_field}: granted only if the licence is held)"
        )
    if s.discouraged:
        return (
            f"{where} is discouraged{when} under {_ids(s.discouraged)}, and regions.{region}.avoid_discouraged is set"
        )
    return f"{where} is {s.effect.replace('_', ' ')}{when} under {_ids(s.fired)}"


@dataclass(frozen=True)
class ComplianceNote:
    """A warning on hardware the plan does use: discouraged, or deployable only under a declared licence."""

    offer: str  # offer@region
    kind: str  # "discouraged" | "licence"
    text: str
    rules: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"offer": self.offer, "kind": self.kind, "text": self.text, "rules": list(self.rules)}


def notes_for(key: str, hw: FleetUnit, country: str, s: Standing, on: dt.date) -> tuple[ComplianceNote, ...]:
    """The warnings for an offer that has units in the plan."""
    out = []
    when = "" if s.since is None or s.since <= on else f" from {s.since}"
    if s.licence_rules:
        out.append(
            ComplianceNote(
                key,
                "licence",
                f"relies on the declared licence: {hw.name} in {country} needs one{when} under {_ids(s.licence_rules)}",
                tuple(f.id for f in s.licence_rules),
            )
        )
    if s.discouraged:
        out.append(
            ComplianceNote(
                key,
                "discouraged",
                f"{hw.name} in {country} is discouraged{when} under {_ids(s.discouraged)}",
                tuple(f.id for f in s.discouraged),
            )
        )
    return tuple(out)
