"""What the planner asks of the rest of isthmus: hardware facts, throughput, and whether a chip may go somewhere.

Three small protocols with default implementations over the catalogue (`isthmus.plan.catalog`), the performance
model (`isthmus.plan.perfmodel`) and the rules engine (`isthmus.plan.policy`). Tests pass their own tiny oracles, so
the planner's logic is exercised on inputs whose answers are known by hand. The defaults cache every answer:
a plan with 1,000 workloads asks the same (model, system, precision, shape) question many times.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Hardware:
    """A unit that can be counted: a system (node, rack, SuperPoD) or a single chip."""

    key: str
    name: str
    chip: str  # chip key, as the rules engine knows it
    chips: int  # accelerators per unit
    power_kw: float | None  # per unit, from the catalogue


@dataclass(frozen=True)
class Perf:
    """Throughput of one workload shape on a group of devices, or why it cannot run."""

    feasible: bool
    tokens_per_s: float  # output tokens/s (serve) or training tokens/s (train) for the whole group
    reason: str = ""


@dataclass(frozen=True)
class FiredRule:
    """A live rule behind a verdict (enforced and not superseded)."""

    id: str
    title: str
    source: str
    effect: str
    evidence: str = ""  # P | S | R | D | U ("" when unknown)


@dataclass(frozen=True)
class RuleAnswer:
    effect: str  # the verdict's effect ("allowed", "prohibited", ...)
    rules: tuple[FiredRule, ...]  # the live rules that fired (each counts: a verdict may carry several effects)


class HardwareOracle(Protocol):
    def hardware(self, name: str) -> Hardware: ...


class PerfOracle(Protocol):
    def check_model(self, name: str) -> str: ...

    def serve(
        self,
        model: str,
        system: str,
        devices: int,
        precision: str,
        prompt_len: int,
        output_len: int,
        tpot_ms: float | None,
        ttft_ms: float | None,
    ) -> Perf: ...

    def train(self, model: str, system: str, devices: int, precision: str, seq_len: int) -> Perf: ...


class RulesOracle(Protocol):
    def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer: ...


class CatalogHardware:
    """Systems and chips from the packaged catalogue; a chip name means a one-chip unit."""

    def hardware(self, name: str) -> Hardware:
        from isthmus.errors import InputError
        from isthmus.plan.catalog import load_catalog

        cat = load_catalog()
        try:
            s = cat.system(name)
            return Hardware(s.key, s.name, s.chip, s.chips, s.power_kw)
        except InputError:
            try:
                c = cat.chip(name)
            except InputError:
                cat.system(name)  # re-raise the system lookup's message (it suggests the nearest names)
                raise
            tdp = c.tdp_w
            return Hardware(c.key, c.name, c.key, 1, tdp / 1000.0 if tdp else None)


class PerfModel:
    """Throughput from `isthmus.plan.perfmodel`, cached per (model, system, devices, precision, shape)."""

    def __init__(self) -> None:
        self.calls = 0  # answers actually computed (cache misses), for the benchmark

    @functools.cache  # noqa: B019 - one oracle per plan; the cache is the point
    def check_model(self, name: str) -> str:
        from isthmus.plan.perfmodel import get_model

        get_model(name)  # raises InputError naming the nearest models when unknown
        return name

    @functools.cache  # noqa: B019
    def serve(
        self,
        model: str,
        system: str,
        devices: int,
        precision: str,
        prompt_len: int,
        output_len: int,
        tpot_ms: float | None,
        ttft_ms: float | None,
    ) -> Perf:
        from isthmus.errors import InputError
        from isthmus.plan.perfmodel import estimate_serve, get_model

        self.calls += 1
        try:
            est = estimate_serve(
                get_model(model),
                system,
                devices,
                precision=precision,
                prompt_len=prompt_len,
                output_len=output_len,
                tpot_ms=tpot_ms,
                ttft_ms=ttft_ms,
            )
        except InputError as e:  # e.g. a precision the chip lacks: this pairing cannot run, others may
            return Perf(False, 0.0, str(e))
        tps = float(est.tokens_per_s or 0.0)
        return Perf(bool(est.feasible) and tps > 0, tps, str(est.reason or ""))

    @functools.cache  # noqa: B019
    def train(self, model: str, system: str, devices: int, precision: str, seq_len: int) -> Perf:
        from isthmus.errors import InputError
        from isthmus.plan.perfmodel import estimate_train, get_model

        self.calls += 1
        try:
            est = estimate_train(get_model(model), system, devices, precision=precision, seq_len=seq_len)
        except InputError as e:
            return Perf(False, 0.0, str(e))
        tps = float(est.tokens_per_s or 0.0)
        return Perf(bool(est.feasible) and tps > 0, tps, str(est.reason or ""))


class PolicyRules:
    """Verdicts from `isthmus.plan.policy.check` with the given scenario files, cached per question."""

    def __init__(self, scenarios: Sequence[Path] = ()) -> None:
        self.scenarios = tuple(scenarios)

    @functools.cache  # noqa: B019
    def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer:
        from isthmus.plan.policy import check

        v = check(
            chip,
            country,
            actor_hq=actor_hq,
            action="deploy",
            on=on,
            state_funded=state_funded,
            scenarios=self.scenarios,
        )
        # rules recorded as not enforced, or superseded by a narrower rule, are reported by `compliance` but never
        # decide a plan
        fired = tuple(
            FiredRule(r.id, r.title, ", ".join(r.sources) or r.source, r.effect, r.evidence)
            for r in v.rules
            if r.enforced and r.superseded_by is None
        )
        return RuleAnswer(str(v.effect), fired)
