"""Achieved fractions of peak per software stack, read from `plan/data/efficiency.yaml`.

The compute, memory and network fractions are fitted by `tools/fit_efficiency.py` on the calibration records
(least squares on log error, one set per stack, never per case); latencies and the usable-memory fraction are fixed
priors documented in the file. See docs/perfmodel.md for the fit and its leave-one-out error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import yaml

from isthmus.errors import InputError


@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak a stack achieves, and the fixed overheads it pays."""

    stack: str
    compute: float  # achieved / peak dense FLOP/s on 16-bit matmuls and attention
    compute_8bit: float  # achieved / peak dense FLOP/s on FP8 / INT8 matmuls (quantisation overheads included)
    memory: float  # achieved / peak HBM bandwidth when streaming weights and KV cache
    network: float  # achieved / peak link bandwidth in collectives
    scaleup_latency_s: float  # fixed cost of one collective inside the scale-up domain
    scaleout_latency_s: float  # fixed cost of one collective across the scale-out network
    memory_usable: float  # fraction of HBM the framework can hand to weights, states, activations and KV
    tp_overlap: float = 0.0  # share of training tensor-parallel communication hidden under GEMMs
    overlap_compute_share: float = 0.0  # share of the compute units communication kernels hold while overlapped

    def with_fractions(self, compute: float, compute_8bit: float, memory: float, network: float) -> Efficiency:
        return replace(self, compute=compute, compute_8bit=compute_8bit, memory=memory, network=network)

    def matmul(self, peak: str) -> float:
        """The compute fraction for matmuls at catalogue precision `peak`."""
        return self.compute_8bit if peak in ("fp8", "int8", "fp4") else self.compute


@functools.lru_cache(maxsize=1)
def efficiency_data() -> dict[str, Any]:
    """The raw efficiency file (stacks, priors and the fit report)."""
    text = (resources.files("isthmus.plan") / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def list_stacks() -> list[str]:
    return sorted(efficiency_data()["stacks"])


def get_efficiency(stack: str) -> Efficiency:
    """The efficiency set for `stack` ("cuda", "cann", "ideal"); unknown: InputError listing the stacks."""
    stacks: dict[str, dict[str, float]] = efficiency_data()["stacks"]
    entry = stacks.get(stack.lower())
    if entry is None:
        raise InputError(f"unknown software stack {stack!r}", hint=f"use one of {', '.join(sorted(stacks))}")
    return Efficiency(
        stack=stack.lower(),
        compute=float(entry["compute"]),
        compute_8bit=float(entry["compute_8bit"]),
        memory=float(entry["memory"]),
        network=float(entry["network"]),
        scaleup_latency_s=float(entry["scaleup_latency_us"]) * 1e-6,
        scaleout_latency_s=float(entry["scaleout_latency_us"]) * 1e-6,
        memory_usable=float(entry["memory_usable"]),
        tp_overlap=float(entry.get("tp_overlap", 0.0)),
        overlap_compute_share=float(entry.get("overlap_compute_share", 0.0)),
    )


FRACTIONS = ("compute", "compute_8bit", "memory", "network")


def plausible_bounds() -> dict[str, dict[str, tuple[float, float]]]:
    """Per stack, the physically plausible range of each fitted fraction (`bounds` in efficiency.yaml)."""
    raw: dict[str, dict[str, dict[str, float]]] = efficiency_data()["bounds"]
    return {stack: {k: (float(v["min"]), float(v["max"])) for k, v in per.items()} for stack, per in raw.items()}
