"""Tiny oracles with hand-checkable answers, so planner tests do not depend on the real catalogue or model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from isthmus.errors import InputError
from isthmus.plan.fleet.oracles import FleetUnit, LiveRule, Perf, RuleAnswer

HARDWARE = {
    # key: (chip, chips per unit, kW per unit)
    "node-a": FleetUnit("node-a", "Node A", "chip-a", 8, 10.0),  # fast, can be banned in CN
    "node-b": FleetUnit("node-b", "Node B", "chip-b", 8, 8.0),  # slower, allowed everywhere
    "node-c": FleetUnit("node-c", "Node C", "chip-c", 8, 12.0),  # fast but high latency (misses tight TPOT)
}
# output tokens/s per device when serving, and training tokens/s per device
SERVE_RATE = {"chip-a": 1000.0, "chip-b": 500.0, "chip-c": 2000.0}
TRAIN_RATE = {"chip-a": 4000.0, "chip-b": 2000.0, "chip-c": 6000.0}
MIN_TPOT = {"chip-a": 10.0, "chip-b": 20.0, "chip-c": 80.0}  # best achievable TPOT (ms)
MODELS = {"m-small": 8, "m-big": 16}  # devices the model needs to fit


class StubHardware:
    def hardware(self, name: str) -> FleetUnit:
        if name not in HARDWARE:
            raise InputError(f"unknown system {name!r}", hint=f"known: {', '.join(HARDWARE)}")
        return HARDWARE[name]


class StubPerf:
    def __init__(self) -> None:
        self.calls = 0

    def check_model(self, name: str) -> str:
        if name not in MODELS:
            raise InputError(f"unknown model {name!r}")
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
        self.calls += 1
        chip = HARDWARE[system].chip
        if devices < MODELS[model]:
            return Perf(False, 0.0, f"{model} needs {MODELS[model]} devices")
        if tpot_ms is not None and tpot_ms < MIN_TPOT[chip]:
            return Perf(False, 0.0, f"best TPOT {MIN_TPOT[chip]} ms > {tpot_ms} ms")
        return Perf(True, SERVE_RATE[chip] * devices)

    def train(self, model: str, system: str, devices: int, precision: str, seq_len: int) -> Perf:
        self.calls += 1
        chip = HARDWARE[system].chip
        if devices < MODELS[model]:
            return Perf(False, 0.0, "does not fit")
        return Perf(True, TRAIN_RATE[chip] * devices)


class StubRules:
    """chip-a is banned in CN when a scenario file is given, from the date written in it."""

    def __init__(self, scenarios: tuple[Path, ...] = ()) -> None:
        self.ban_from = None
        for s in scenarios:
            self.ban_from = dt.date.fromisoformat(s.read_text().strip())

    def verdict(self, chip: str, country: str, actor_hq: str, state_funded: bool, on: dt.date) -> RuleAnswer:
        if chip == "chip-a" and country == "CN" and self.ban_from is not None and on >= self.ban_from:
            return RuleAnswer("prohibited", (LiveRule("SCN-A-BAN", "chip A banned in CN", "scenario", "prohibited"),))
        if chip == "chip-c" and country == "CN":
            return RuleAnswer(
                "licence_required", (LiveRule("US-C-LIC", "licence for chip C", "S99", "licence_required"),)
            )
        return RuleAnswer("allowed", ())


def base_fleet() -> dict[str, object]:
    return {
        "name": "stub",
        "date": dt.date(2026, 6, 1),
        "horizon_months": 12,
        "regions": {
            "us": {"country": "US", "actor_hq": "US"},
            "cn": {"country": "CN", "actor_hq": "US", "data_residency": True},
        },
        "workloads": [
            {
                "name": "us-chat",
                "kind": "serve",
                "region": "us",
                "model": "m-small",
                "tokens_per_s": 16000,
                "prompt_len": 1000,
                "output_len": 200,
                "tpot_ms": 50,
            },
            {
                "name": "cn-chat",
                "kind": "serve",
                "region": "cn",
                "model": "m-small",
                "tokens_per_s": 16000,
                "prompt_len": 1000,
                "output_len": 200,
                "tpot_ms": 50,
            },
        ],
        "offers": [
            {"name": "a", "system": "node-a", "regions": ["us", "cn"], "rent_usd_per_hour": 10.0},
            {"name": "b", "system": "node-b", "regions": ["us", "cn"], "rent_usd_per_hour": 8.0},
        ],
    }


@pytest.fixture()
def kit() -> SimpleNamespace:
    """The stubs and a fresh stub fleet (tests cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(hardware=StubHardware, perf=StubPerf, rules=StubRules, fleet=base_fleet)
