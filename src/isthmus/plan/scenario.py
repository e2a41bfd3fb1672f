"""What-if scenarios: YAML files that add, end or change rules ("H20 banned from 2027-01-01", "China admits H200").

A scenario is data applied to the rule set before a question is answered; the engine itself stays pure. Example:

    name: China admits H200 from 2026-09
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
      - {id: US-H20-LICENSING-2025, set: {effect: presumption_of_denial}}
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from isthmus.datafiles import read_yaml
from isthmus.errors import InputError
from isthmus.plan.rules_schema import RuleSpec, ScenarioFile
from isthmus.schema import describe


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    path: Path
    name: str
    description: str
    spec: ScenarioFile


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int) -> Scenario:
    raw = read_yaml(path, what="scenario YAML file")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a scenario must be a YAML mapping with name and add/end/change lists")
    try:
        spec = ScenarioFile.model_validate(raw)
    except ValidationError as e:
        raise InputError(
            f"{path}: invalid scenario: {describe(e)}", hint="see docs/compliance.md for the scenario format"
        ) from e
    return Scenario(path, spec.name, spec.description, spec)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; a malformed file raises InputError naming the field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such scenario file", hint="pass the path of a scenario YAML file")
    return _load(path.resolve(), path.stat().st_mtime_ns)


def apply_scenario(rules: tuple[RuleSpec, ...], scenario: Scenario) -> tuple[RuleSpec, ...]:
    """The rule list with the scenario's ends, changes and additions applied (in that order)."""
    by_id = {r.id: r for r in rules}
    for end in scenario.spec.end:
        rule = _known(by_id, end.id, scenario)
        if end.date <= rule.effective_from:
            raise InputError(
                f"{scenario.path}: end of {end.id} on {end.date} is not after its start {rule.effective_from}",
                hint="end a rule after it starts",
            )
        if rule.effective_to is None or end.date < rule.effective_to:
            by_id[end.id] = rule.model_copy(update={"effective_to": end.date})
    for change in scenario.spec.change:
        rule = _known(by_id, change.id, scenario)
        if "id" in change.set:
            raise InputError(f"{scenario.path}: change of {change.id} may not set its id")
        try:
            by_id[change.id] = RuleSpec.model_validate({**rule.model_dump(), **change.set})
        except ValidationError as e:
            raise InputError(f"{scenario.path}: change of {change.id}: {describe(e)}") from e
    for added in scenario.spec.add:
        if added.id in by_id:
            raise InputError(f"{scenario.path}: rule {added.id} already exists", hint="use change: to modify it")
        note = f"{added.note} (scenario: {scenario.name})".strip()
        by_id[added.id] = added.model_copy(update={"note": note})
    return tuple(by_id.values())


def _known(by_id: dict[str, RuleSpec], rule_id: str, scenario: Scenario) -> RuleSpec:
    if rule_id not in by_id:
        close = difflib.get_close_matches(rule_id, list(by_id), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "list rule ids with: isthmus compliance rules"
        raise InputError(f"{scenario.path}: unknown rule id {rule_id!r}", hint=hint)
    return by_id[rule_id]
