"""Achieved fractions of peak per software stack, read from `plan/data/efficiency.yaml`.

Vendor-level sets (`cuda`, `cann`) and named stacks (`megatron`, `sglang`, `mindspeed`, ...). Each named stack's
fractions and overheads are fitted by `tools/fit_efficiency.py` on its fit records of the back-test ledger
(`plan/data/perf_ledger.yaml`; least squares on log error, one set per stack, never per record, inside the
vendor's bounds); latencies, overlap shares and the usable-memory fraction are fixed priors documented in the
file. `error_band` holds the held-out errors per phase. See docs/perfmodel.md for the back-test.
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
    compute_8bit_train: float = 0.0  # FP8 training matmuls over the 8-bit peak (0: same as compute_8bit)
    compute_4bit: float = 0.0  # FP4 matmuls over the 4-bit peak (0: same as compute_8bit)
    memory_kv: float = 0.0  # serving: HBM fraction of the attention kernels' KV-cache reads (0: same as memory)
    layer_overhead_s: float = 0.0  # serving: fixed cost per layer of one forward (decode step or prefill)
    moe_overhead_s: float = 0.0  # training: fixed cost per MoE layer per micro-batch pass (router, permute, sync)
    vendor: str = ""  # the vendor whose chips this stack runs on ("" for the vendor-neutral "ideal")
    base: str = ""  # the vendor-level set this stack starts from (fit prior; "" for a vendor-level set)

    def with_fractions(
        self,
        compute: float,
        compute_8bit: float,
        memory: float,
        network: float,
        compute_8bit_train: float = 0.0,
        compute_4bit: float = 0.0,
        moe_overhead_us: float = 0.0,
        layer_overhead_us: float = 0.0,
        memory_kv: float = 0.0,
    ) -> Efficiency:
        """A copy with the fitted fractions replaced (0 for the last two: keep the current values)."""
        return replace(
            self,
            compute=compute,
            compute_8bit=compute_8bit,
            memory=memory,
            network=network,
            compute_8bit_train=compute_8bit_train or self.compute_8bit_train,
            compute_4bit=compute_4bit or self.compute_4bit,
            moe_overhead_s=moe_overhead_us * 1e-6 if moe_overhead_us else self.moe_overhead_s,
            layer_overhead_s=layer_overhead_us * 1e-6 if layer_overhead_us else self.layer_overhead_s,
            memory_kv=memory_kv or self.memory_kv,
        )

    @property
    def moe_overhead_us(self) -> float:
        return self.moe_overhead_s * 1e6

    @property
    def layer_overhead_us(self) -> float:
        return self.layer_overhead_s * 1e6

    def matmul(self, peak: str, *, training: bool = False) -> float:
        """The compute fraction for matmuls at catalogue precision `peak` (FP8 training has its own)."""
        if peak == "fp4":
            return self.compute_4bit or self.compute_8bit
        if peak in ("fp8", "int8"):
            return (self.compute_8bit_train or self.compute_8bit) if training else self.compute_8bit
        return self.compute


@functools.lru_cache(maxsize=1)
def efficiency_data() -> dict[str, Any]:
    """The raw efficiency file (stacks, priors and the fit report)."""
    text = (resources.files("isthmus.plan") / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def list_stacks() -> list[str]:
    return sorted(efficiency_data()["stacks"])


def get_efficiency(stack: str) -> Efficiency:
    """The efficiency set for `stack` (a vendor-level set "cuda"/"cann", a named stack such as "vllm", "sglang",
    "trtllm", "megatron", "mindspeed", "mindie", or "ideal"); unknown: InputError listing the stacks."""
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
        compute_8bit_train=float(entry.get("compute_8bit_train", 0.0)),
        compute_4bit=float(entry.get("compute_4bit", 0.0)),
        moe_overhead_s=float(entry.get("moe_overhead_us", 0.0)) * 1e-6,
        layer_overhead_s=float(entry.get("layer_overhead_us", 0.0)) * 1e-6,
        memory_kv=float(entry.get("memory_kv", 0.0)),
        vendor=str(entry.get("vendor", "")),
        base=str(entry.get("base", "")),
    )


VENDOR_STACKS = {"nvidia": "cuda", "huawei": "cann"}  # the efficiency set used when no stack is named


def stack_for(vendor: str, stack: str | None) -> str:
    """The efficiency set an answer uses: `stack` if given (it must run on `vendor`'s chips), else the vendor's."""
    default = VENDOR_STACKS.get(vendor, "cuda")
    if stack is None:
        return default
    stacks = efficiency_data()["stacks"]
    suffixed = f"{stack.lower()}-npu"  # "sglang" on Ascend is the "sglang-npu" set
    if vendor == "huawei" and suffixed in stacks:
        stack = suffixed
    eff = get_efficiency(stack)
    if eff.vendor and eff.vendor != vendor:
        raise InputError(
            f"software stack {stack!r} runs on {eff.vendor} chips, not {vendor}",
            hint=f"use one of {', '.join(s for s in list_stacks() if get_efficiency(s).vendor in ('', vendor))}",
        )
    return eff.stack


FRACTIONS = (
    "compute",
    "compute_8bit",
    "memory",
    "network",
    "compute_8bit_train",
    "compute_4bit",
    "moe_overhead_us",
    "layer_overhead_us",
    "memory_kv",
)


def plausible_bounds() -> dict[str, dict[str, tuple[float, float]]]:
    """Per stack, the physically plausible range of each fitted fraction (`bounds` in efficiency.yaml)."""
    raw: dict[str, dict[str, dict[str, float]]] = efficiency_data()["bounds"]
    by_vendor = {s: {k: (float(v["min"]), float(v["max"])) for k, v in per.items()} for s, per in raw.items()}
    out = dict(by_vendor)
    for name in list_stacks():  # a named stack is held to its vendor set's bounds
        base = get_efficiency(name).base
        if base in by_vendor:
            out[name] = by_vendor[base]
    return out
