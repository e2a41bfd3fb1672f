"""What the planner asks of the rest of isthmus: hardware facts, throughput, and whether a chip may go somewhere.

Three small protocols with default implementations over the catalogue (`isthmus.plan.catalog`), the performance
model (`isthmus.plan.perfmodel`) and the rules engine (`isthmus.plan.policy`). Tests pass their own tiny oracles, so
the planner's logic is exercised on inputs whose answers are known by hand. The defaults cache every answer:
a plan with 1,000 workloads asks the same (model, system, precision, shape) question many times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class FleetUnit:
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
class LiveRule:
    """A live rule behind a verdict (enforced and not superseded)."""

    id: str
    title: str
    source: str
    effect: str
    evidence: str = ""  # P | S | R | D | U ("" when unknown)


@dataclass(frozen=True)
class RuleAnswer:
    effect: str  # the verdict's effect ("allowed", "prohibited", ...)
    rules: tuple[LiveRule, ...]  # the live rules that fired (each counts: a verdict may carry several effects)


class HardwareOracle(Protocol):
    def hardware(self, name: str) -> FleetUnit: ...


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

    def hardware(self, name: str) -> FleetUnit:
        from isthmus.plan.perfmodel.hardware import catalog_unit

        u = catalog_unit(name)  # the performance model's own "system, else chip" lookup
        return FleetUnit(u.key, u.name, u.chip.key, u.chips, u.power_kw)


class PerfModel:
    """Throughput from `isthmus.plan.perfmodel`, cached per (model, system, devices, precision, shape)."""

    def __init__(self) -> None:
        self.calls = 0  # answers actually computed (cache misses), for the benchmark
        # per-instance caches: they go with the oracle (a sweep builds many), unlike functools.cache on a method
        self._models: set[str] = set()
        self._serve: dict[tuple[str, str, int, str, int, int, float | None, float | None], Perf] = {}
        self._train: dict[tuple[str, str, int, str, int], Perf] = {}

    def check_model(self, name: str) -> str:
        if name not in self._models:
            from isthmus.plan.perfmodel import get_model

            get_model(name)  # raises InputError naming the nearest models when unknown
            self._models.add(name)
        return name

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
        key = (model, system, devices, precision, prompt_len, output_len, tpot_ms, ttft_ms)
        if key not in self._serve:
            self._serve[key] = self._estimate_serve(*key)
        return self._serve[key]

    def _estimate_serve(
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

    def train(self, model: str, system: str, devices: int, precision: str, seq_len: int) -> Perf:
        key = (model, system, devices, precision, seq_len)
        if key not in self._train:
            self._train[key] = self._estimate_train(*key)
        return self._train[key]

    def _estimate_train(self, model: str, system: str, devices: int, precision: str, seq_len: int) -> Perf:
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
        self._verdicts: dict[tuple[str, str, str, bool, dt.date], RuleAnswer] = {}

    def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer:
        key = (chip, country, actor_hq, state_funded, on)
        if key not in self._verdicts:
            self._verdicts[key] = self._check(*key)
        return self._verdicts[key]

    def _check(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer:
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
            LiveRule(r.id, r.title, ", ".join(r.sources) or r.source, r.effect, r.evidence)
            for r in v.rules
            if r.enforced and r.superseded_by is None
        )
        return RuleAnswer(str(v.effect), fired)
