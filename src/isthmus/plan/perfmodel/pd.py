"""Prefill-only instances and prefill/decode disaggregation: two pools and the KV-cache transfer between them.

A disaggregated deployment (DistServe, Zhong et al. OSDI 2024; Mooncake; DeepSeek's and CloudMatrix-Infer's
engines) runs prompts on a prefill pool and generation on a decode pool. Requests per second are the smallest of
what the prefill pool computes, what the decode pool generates within its targets, and what the links carry of
the prompts' KV caches; TTFT is one prompt's prefill plus its KV transfer. The transfer uses the scale-up fabric
when both pools sit in one scale-up domain (a CloudMatrix384 or NVL72 rack) and the scale-out NICs otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from isthmus.plan.perfmodel import memory
from isthmus.plan.perfmodel.hardware import GIB
from isthmus.plan.perfmodel.serve import (
    ServeEstimate,
    ServeLayout,
    Setup,
    Targets,
    layouts,
    prefill_step,
    search,
    weight_bytes_per_device,
)

DEFAULT_PREFILL_TOKENS = 16384  # prompt tokens per device per prefill forward (DeepSeek profile-data, CloudMatrix)


@dataclass(frozen=True)
class PrefillEstimate:
    """Prefill-only instances: prompt tokens per second (cache hits included) and the forward's time."""

    feasible: bool
    reason: str
    tokens_per_s: float  # prompt tokens/s, whole group, prefix-cache hits counted as served
    forward_ms: float  # one prefill forward of `tokens_per_device` computed tokens per device
    layout: ServeLayout
    devices: int
    tokens_per_device: float
    weights_gib_per_device: float

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "layout": str(self.layout)}


def prefill_only(
    s: Setup, t: Targets, devices: int, tokens_per_device: float, layout: ServeLayout | None = None
) -> PrefillEstimate:
    """The best prefill instance shape (or `layout`) for `devices` devices processing `tokens_per_device`
    computed prompt tokens per forward."""
    best: PrefillEstimate | None = None
    capacity = s.hw.memory_bytes * s.eff.memory_usable
    for lay in [layout] if layout is not None else layouts(s.m, s.hw, devices):
        weights = weight_bytes_per_device(s, lay)
        kv = tokens_per_device * memory.kv_cache_bytes_per_token(s.m, s.kv_bytes)
        fits = weights + kv <= capacity
        step = prefill_step(s, lay, tokens_per_device, t.prompt_len).total_s
        served = tokens_per_device / max(1e-9, 1.0 - t.prefix_hit)
        reason = "" if fits else f"out of memory: weights {weights / GIB:.1f} GiB + KV exceed {capacity / GIB:.1f} GiB"
        est = PrefillEstimate(
            fits,
            reason,
            served / step * devices if fits else 0.0,
            step * 1e3,
            lay,
            devices,
            tokens_per_device,
            weights / GIB,
        )
        if best is None or (est.feasible, est.tokens_per_s) > (best.feasible, best.tokens_per_s):
            best = est
    if best is None:
        raise ValueError("no prefill layout")
    return best


@dataclass(frozen=True)
class DisaggEstimate:
    """A prefill pool and a decode pool serving one workload; output tokens/s for all `devices`."""

    feasible: bool
    reason: str
    tokens_per_s: float  # output tokens/s, both pools
    ttft_ms: float
    tpot_ms: float
    prefill_devices: int
    decode_devices: int
    limited_by: str  # "prefill", "decode" or "kv transfer"
    prefill: PrefillEstimate
    decode: ServeEstimate
    kv_transfer_ms: float  # one prompt's KV cache over the link

    def to_json(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "reason": self.reason,
            "tokens_per_s": self.tokens_per_s,
            "ttft_ms": self.ttft_ms,
            "tpot_ms": self.tpot_ms,
            "prefill_devices": self.prefill_devices,
            "decode_devices": self.decode_devices,
            "limited_by": self.limited_by,
            "kv_transfer_ms": self.kv_transfer_ms,
            "prefill": self.prefill.to_json(),
            "decode": self.decode.to_json(),
        }


def _link_bw(s: Setup, devices: int) -> float:
    """Bytes/s one prefill device can push to the decode pool."""
    hw = s.hw
    if devices <= hw.scaleup_domain or not hw.scaleout_bw:
        return hw.scaleup_bw * s.eff.network
    return hw.scaleout_bw * s.eff.network


def disaggregated(
    s: Setup,
    t: Targets,
    devices: int,
    prefill_devices: int | None = None,
    prefill_layout: ServeLayout | None = None,
    decode_layout: ServeLayout | None = None,
    tokens_per_device: float = DEFAULT_PREFILL_TOKENS,
) -> DisaggEstimate:
    """Split `devices` into prefill and decode pools (searched when `prefill_devices` is None)."""
    unit = prefill_layout.size if prefill_layout is not None else 1
    if prefill_devices is not None:
        candidates = [prefill_devices]
    else:
        candidates = sorted({max(unit, (devices * k // 16) // unit * unit) for k in range(1, 16)})
        candidates = [p for p in candidates if 0 < p < devices]
    decode_t = Targets(**{**t.__dict__, "piggyback": False})
    kv_req = t.prompt_len * memory.kv_cache_bytes_per_token(s.m, s.kv_bytes)  # bytes per request
    best: DisaggEstimate | None = None
    for p in candidates:
        d = devices - p
        if d < 1:
            continue
        pre = prefill_only(s, t, p, tokens_per_device, prefill_layout)
        dec = search(s, decode_t, d, decode_layout)
        link = _link_bw(s, devices)
        kv_ms = kv_req / link * 1e3
        rates = {
            "prefill": pre.tokens_per_s / t.prompt_len,
            "decode": dec.tokens_per_s / t.output_len,
            "kv transfer": p * link / kv_req,
        }
        limited = min(rates, key=lambda k: rates[k])
        ok = pre.feasible and dec.feasible
        one_prompt = (
            prefill_step(
                s, pre.layout, max(1.0, t.prompt_len * (1 - t.prefix_hit)) / pre.layout.size, t.prompt_len
            ).total_s
            * 1e3
        )
        est = DisaggEstimate(
            ok,
            dec.reason or pre.reason,
            rates[limited] * t.output_len if ok else 0.0,
            one_prompt + kv_ms,
            dec.tpot_ms,
            p,
            d,
            limited,
            pre,
            dec,
            kv_ms,
        )
        if best is None or (est.feasible, est.tokens_per_s) > (best.feasible, best.tokens_per_s):
            best = est
    if best is None:
        raise ValueError("no prefill/decode split: need at least 2 devices")
    return best
