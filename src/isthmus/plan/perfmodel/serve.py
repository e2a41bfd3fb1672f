"""Inference: prefill and decode steps, KV-cache capacity, and the best throughput under latency targets.

An instance is `tp x dp_attn` devices: attention is tensor-parallel over `tp` and data-parallel over `dp_attn`;
a MoE's routed experts are spread over the whole instance (EP = instance size), a dense model has dp_attn = 1.
Decode is one step for every running sequence: weights and KV cache stream from HBM (memory-bound at small
batch), matmuls grow with the batch (compute-bound at large batch). With continuous batching a step also pays its
share of prefill: batch x accepted / output_len requests finish per step and as many new prompts are prefilled
(chunked into the steps), each priced as a prefill forward (its expert weights read once, its all-to-alls
deduplicated and overlapped), never as extra decode tokens on the decode path's exposed all-to-all.
Tensor-parallel all-reduces are exposed. Expert all-to-alls overlap with compute in prefill (two micro-batches,
as in DeepSeek's and CloudMatrix-Infer's engines); in decode, where they are latency-bound and sit on the
attention -> dispatch -> experts -> combine chain, they are exposed, or overlapped by two micro-batches at twice
the calls when that is faster (SGLang's two-batch overlap, DeepSeek's decode pipeline). Speculative decoding
(MTP / EAGLE) verifies `spec_tokens` per sequence per step and keeps `spec_accepted` of them on average, so TPOT
per token is the step time over `spec_accepted`. Expert-load imbalance (`eplb`, max/mean tokens per expert rank
after load balancing) stretches the expert matmuls and the expert all-to-alls of the busiest rank. Each forward
also pays the stack's fixed cost per layer (`layer_overhead_us`), and KV-cache reads run at their own fitted
bandwidth fraction (`memory_kv`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from isthmus.plan.perfmodel import comm, flops, memory
from isthmus.plan.perfmodel.breakdown import Bound, Breakdown, exposed, overlapped, roofline
from isthmus.plan.perfmodel.efficiency import Efficiency
from isthmus.plan.perfmodel.hardware import GIB, Hardware
from isthmus.plan.perfmodel.models import ModelSpec
from isthmus.plan.perfmodel.precision import Precision


@dataclass(frozen=True)
class ServeLayout:
    """One serving instance: `tp` x `dp_attn` devices; experts over all of them."""

    tp: int = 1
    dp_attn: int = 1

    @property
    def size(self) -> int:
        return self.tp * self.dp_attn

    def __str__(self) -> str:
        return f"TP{self.tp}" + (f" x DP-attention{self.dp_attn}" if self.dp_attn > 1 else "")


@dataclass(frozen=True)
class ServeEstimate:
    """A serving estimate for a whole group of devices, explained by its decode-step breakdown."""

    feasible: bool
    reason: str
    tokens_per_s: float  # output tokens/s, whole group
    tpot_ms: float  # time per output token (one decode step)
    ttft_ms: float  # time to first token (prefill of one prompt + one step)
    batch: int  # sequences in flight, whole group
    breakdown: Breakdown  # of one decode step (with its share of prefill)
    bound: Bound
    layout: ServeLayout
    instances: int
    devices: int
    precision: str
    kv_gib_per_device: float
    weights_gib_per_device: float
    capacity_gib: float
    limited_by: str  # what stopped the batch from growing: "memory", "tpot", "ttft", "concurrency", "fixed"
    step_ms: float = 0.0  # one decode step (with speculative decoding: several tokens per step)
    tokens_per_step: float = 1.0  # output tokens per sequence per step (1 without speculative decoding)

    def to_json(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "reason": self.reason,
            "tokens_per_s": self.tokens_per_s,
            "tpot_ms": self.tpot_ms,
            "ttft_ms": self.ttft_ms,
            "batch": self.batch,
            "breakdown": self.breakdown.to_json(),
            "bound": self.bound,
            "layout": str(self.layout),
            "instances": self.instances,
            "devices": self.devices,
            "precision": self.precision,
            "kv_gib_per_device": self.kv_gib_per_device,
            "weights_gib_per_device": self.weights_gib_per_device,
            "capacity_gib": self.capacity_gib,
            "limited_by": self.limited_by,
            "step_ms": self.step_ms,
            "tokens_per_step": self.tokens_per_step,
        }


@dataclass(frozen=True)
class Setup:
    """Model, hardware, stack and precision of one serving question."""

    m: ModelSpec
    hw: Hardware
    eff: Efficiency
    prec: Precision
    kv_bytes: float
    spec_tokens: float = 1.0  # tokens verified per sequence per decode step (1 + draft tokens)
    spec_accepted: float = 1.0  # output tokens kept per sequence per step on average
    eplb: float = 1.0  # max / mean routed-token load of the expert ranks (1: perfectly balanced)

    @functools.cached_property
    def peak_mm(self) -> float:
        peak = self.hw.peak(self.prec.peak)
        if peak is None:
            raise ValueError(f"{self.hw.key} has no {self.prec.peak} peak")
        return peak * self.eff.matmul(self.prec.peak)

    @functools.cached_property
    def peak_expert(self) -> float:
        """Achieved FLOP/s of the routed-expert matmuls (a format the chip lacks runs widened at the dense peak)."""
        at = self.prec.experts_at
        peak = self.hw.peak(at)
        if peak is None:
            return self.peak_mm
        return peak * self.eff.matmul(at)

    @functools.cached_property
    def _mm_s_per_token(self) -> float:
        routed = flops.routed_matmul_flops_per_token(self.m)
        dense = flops.matmul_flops_per_token(self.m) - routed
        return dense / self.peak_mm + routed * self.eplb / self.peak_expert * (1.0 + self.prec.dequant)

    def matmul_s(self, tokens: float, devices: int) -> float:
        """Seconds of weight matmuls for `tokens` spread over `devices` (experts on the busiest rank)."""
        return tokens * self._mm_s_per_token / devices

    @functools.cached_property
    def peak_attn(self) -> float:
        return (self.hw.peak("bf16") or self.hw.peak(self.prec.peak) or 1.0) * self.eff.compute


def weight_bytes_per_device(s: Setup, lay: ServeLayout, touched: float = 1.0) -> float:
    """Weights one device holds (or, with `touched` < 1, streams: only the experts some token routed to)."""
    m = s.m
    return m.dense_params / lay.tp * s.prec.weight_bytes + m.expert_params * touched / lay.size * s.prec.expert_bytes


def kv_split(s: Setup, lay: ServeLayout) -> int:
    """Ways the KV cache of one sequence is split across the tensor-parallel ranks (MLA's latent cannot be)."""
    return 1 if s.m.mla else min(lay.tp, s.m.kv_heads)


def _comm(s: Setup, lay: ServeLayout, tokens_attn: float, tokens_dev: float, *, dedup: bool) -> tuple[float, float]:
    """(tensor-parallel all-reduce seconds, expert all-to-all seconds) for one forward over the given tokens.

    `dedup`: prefill-style hierarchical dispatch (one copy per remote domain, DeepEP normal kernels); decode uses
    direct sends to every expert (DeepEP low-latency kernels), k copies per token.
    """
    m, hw, eff = s.m, s.hw, s.eff
    up = hw.scaleup_bw * eff.network
    out = None if hw.scaleout_bw is None else hw.scaleout_bw * eff.network
    inside = lay.size <= hw.scaleup_domain
    lat = eff.scaleup_latency_s if inside else eff.scaleout_latency_s
    tp_s = 2 * m.layers * comm.all_reduce_s(tokens_attn * m.hidden * 2.0, lay.tp, up, eff.scaleup_latency_s)
    ep_s = 0.0
    if m.moe and lay.size > 1:
        k = m.active_experts
        fan = k if dedup else 0
        send = tokens_dev * k * m.hidden
        per_layer = comm.all_to_all_s(
            send * s.prec.dispatch_bytes, lay.size, up, out, hw.scaleup_domain, lat, fan
        ) + comm.all_to_all_s(send * 2.0, lay.size, up, out, hw.scaleup_domain, lat, fan)
        ep_s = m.moe_layers * per_layer * s.eplb
    return tp_s, ep_s


def _roofline(s: Setup, mm_s: float, weight_bytes: float, attn_flops: float, kv_bytes: float) -> Breakdown:
    """Weight matmuls and attention are separate kernels: each takes the slower of its compute and memory time."""
    bw = s.hw.memory_bw * s.eff.memory
    kv_bw = s.hw.memory_bw * (s.eff.memory_kv or s.eff.memory)  # paged KV reads reach less than weight streams
    return roofline(mm_s, weight_bytes / bw) + roofline(attn_flops / s.peak_attn, kv_bytes / kv_bw)


def _fixed(s: Setup) -> Breakdown:
    """The stack's fixed cost per layer of one forward (kernel launches, synchronisation, scheduling that graphs
    and fusion do not remove), counted as compute time."""
    return Breakdown(s.m.layers * s.eff.layer_overhead_s, 0.0)


def decode_step(
    s: Setup,
    lay: ServeLayout,
    batch: float,
    context: float,
    prefill_tokens: float = 0.0,
    prompt_len: float = 0.0,
    q_tokens: float = 1.0,
) -> Breakdown:
    """One decode step of an instance running `batch` sequences at mean `context`, plus `prefill_tokens` of
    piggybacked prefill (chunked prefill of `prompt_len`-token prompts). `q_tokens` > 1: speculative decoding,
    each sequence verifies that many tokens per step (FLOPs and activations scale, weight and KV reads do not).

    MoE: each local expert's weights are read when at least one of the step's tokens routes to it, expected
    share 1 - (1 - k/E)^tokens under uniform routing (about min(1, tokens·k/E) experts' worth). Expert all-to-alls
    are exposed: at decode batch sizes they are latency-bound and sit on the dependency chain attention ->
    dispatch -> experts -> combine; splitting the batch to overlap them doubles the latency-bound calls."""
    m = s.m
    tokens = batch * q_tokens + prefill_tokens
    tokens_attn = batch / lay.dp_attn  # sequences whose attention this device's tp group runs
    touched = 1.0 - (1.0 - m.active_experts / m.experts) ** tokens if m.moe else 1.0
    weights = weight_bytes_per_device(s, lay, touched)
    kv = tokens_attn * context * memory.kv_cache_bytes_per_token(m, s.kv_bytes) / kv_split(s, lay)
    attn = (
        tokens_attn * q_tokens * flops.attention_flops_per_token(m, context, decode=True)
        + prefill_tokens / lay.dp_attn * flops.attention_flops_per_token(m, flops.causal_context(prompt_len))
    ) / lay.tp
    bd = _roofline(s, s.matmul_s(tokens, lay.size), weights, attn, kv) + _fixed(s)
    decode_tokens = batch * q_tokens
    tp_s, ep_s = _comm(s, lay, decode_tokens / lay.dp_attn, decode_tokens / lay.size, dedup=False)
    step = exposed(bd, tp_s + ep_s)
    if ep_s > 0:  # or two micro-batches overlapping the all-to-alls (twice the calls), when that is faster
        lat = s.eff.scaleup_latency_s if lay.size <= s.hw.scaleup_domain else s.eff.scaleout_latency_s
        tbo = overlapped(exposed(bd, tp_s), ep_s + 2 * m.moe_layers * lat, s.eff.overlap_compute_share)
        step = tbo if tbo.total_s < step.total_s else step
    if prefill_tokens <= 0:
        return step
    # the piggybacked prompt tokens: tensor-parallel all-reduces exposed, expert all-to-alls deduplicated and
    # overlapped with the step's compute as in a prefill forward (DeepEP normal kernels, two micro-batches)
    ptp_s, pep_s = _comm(s, lay, prefill_tokens / lay.dp_attn, prefill_tokens / lay.size, dedup=True)
    return overlapped(exposed(step, ptp_s), pep_s, s.eff.overlap_compute_share)


def prefill_step(s: Setup, lay: ServeLayout, tokens_per_device: float, prompt_len: float) -> Breakdown:
    """A prefill forward of `tokens_per_device` x instance-size tokens from `prompt_len`-token prompts; expert
    all-to-alls overlap with compute (two micro-batches, as DeepSeek's and CloudMatrix-Infer's engines do), the
    communication kernels holding the stack's `overlap_compute_share` of the compute units meanwhile."""
    m = s.m
    tokens = tokens_per_device * lay.size
    attn = tokens / lay.dp_attn * flops.attention_flops_per_token(m, flops.causal_context(prompt_len)) / lay.tp
    kv_write = tokens / lay.dp_attn * memory.kv_cache_bytes_per_token(m, s.kv_bytes) / kv_split(s, lay)
    bd = _roofline(s, s.matmul_s(tokens, lay.size), weight_bytes_per_device(s, lay), attn, kv_write)
    elementwise = tokens_per_device * memory.elementwise_bytes_per_token(m) / (s.hw.memory_bw * s.eff.memory)
    bd = bd + Breakdown(0.0, elementwise) + _fixed(s)
    tp_s, ep_s = _comm(s, lay, tokens / lay.dp_attn, tokens_per_device, dedup=True)
    return overlapped(exposed(bd, tp_s), ep_s, s.eff.overlap_compute_share)


def layouts(m: ModelSpec, hw: Hardware, devices: int) -> Iterator[ServeLayout]:
    """Instance shapes: TP inside the scale-up domain dividing the heads; for MoE also DP-attention."""
    sizes = [1 << i for i in range(devices.bit_length()) if devices % (1 << i) == 0]
    for tp in sizes:
        if tp > hw.scaleup_domain or m.heads % tp:
            continue
        for dp_attn in sizes if m.moe else [1]:
            if tp * dp_attn <= devices:
                yield ServeLayout(tp, dp_attn)


@dataclass(frozen=True)
class Targets:
    prompt_len: int
    output_len: int
    tpot_s: float | None
    ttft_s: float | None
    max_concurrency: int | None = None  # cap on sequences in flight in the whole group (engines' max running requests)
    concurrency: int | None = None  # fixed sequences in flight in the whole group (a closed-loop benchmark)
    piggyback: bool = True  # continuous batching prefills new prompts inside decode steps (False: decode-only pool)
    prefix_hit: float = 0.0  # share of prompt tokens found in the prefix cache (not recomputed)
    context: float | None = None  # mean KV length of a decoding sequence (default prompt + output / 2)


def spec_step(
    s: Setup, lay: ServeLayout, batch: float, context: float, prefill_tokens: float = 0.0, prompt_len: float = 0.0
) -> Breakdown:
    """One decode step including its speculative draft: the target model verifies `spec_tokens` per sequence,
    and `spec_tokens - 1` draft passes of a one-layer MTP/EAGLE head cost 1/layers of a one-token step each."""
    step = decode_step(s, lay, batch, context, prefill_tokens, prompt_len, q_tokens=s.spec_tokens)
    if s.spec_tokens <= 1:
        return step
    draft = decode_step(s, lay, batch, context).scale((s.spec_tokens - 1) / s.m.layers)
    return step + draft


def one_prefill(s: Setup, lay: ServeLayout, t: Targets) -> Breakdown:
    """The prefill forward of one request's uncached prompt tokens on an instance."""
    new_tokens = max(t.prompt_len * (1.0 - t.prefix_hit), 1.0)
    return prefill_step(s, lay, new_tokens / lay.size, t.prompt_len)


def _at_batch(
    s: Setup, lay: ServeLayout, t: Targets, batch: int, prefill: Breakdown | None = None
) -> tuple[Breakdown, float]:
    """(decode-step breakdown, TTFT seconds) at `batch` sequences per instance."""
    context = t.context if t.context is not None else t.prompt_len + t.output_len / 2
    step = spec_step(s, lay, batch, context)
    prefill = prefill if prefill is not None else one_prefill(s, lay, t)
    if t.piggyback:  # continuous batching: each step also carries its share of the new requests' prefill
        step = step + prefill.scale(min(batch, batch * s.spec_accepted / t.output_len))
    return step, prefill.total_s + step.total_s


def best_for_layout(s: Setup, lay: ServeLayout, t: Targets, devices: int) -> ServeEstimate:
    """The largest batch this instance shape sustains within memory, TPOT and TTFT; throughput for the group."""
    instances = devices // lay.size
    pre = one_prefill(s, lay, t)
    capacity = s.hw.memory_bytes * s.eff.memory_usable
    weights = weight_bytes_per_device(s, lay)
    per_seq = (t.prompt_len + t.output_len) * memory.kv_cache_bytes_per_token(s.m, s.kv_bytes) / kv_split(s, lay)
    b_mem = int((capacity - weights) * lay.dp_attn // per_seq) if capacity > weights else 0

    def make(ok: bool, why: str, batch: int, limited: str) -> ServeEstimate:
        bd, ttft = _at_batch(s, lay, t, max(batch, 1), pre)
        running = batch * instances if t.concurrency is None else min(batch * instances, t.concurrency)
        tps = running * s.spec_accepted / bd.total_s if ok else 0.0
        kv_dev = max(batch, 1) / lay.dp_attn * per_seq
        return ServeEstimate(
            ok,
            why,
            tps,
            bd.total_s / s.spec_accepted * 1e3,
            ttft * 1e3,
            running,
            bd,
            bd.bound,
            lay,
            instances,
            devices,
            s.prec.name,
            kv_dev / GIB,
            weights / GIB,
            capacity / GIB,
            limited,
            bd.total_s * 1e3,
            s.spec_accepted,
        )

    if b_mem < 1:
        short = weights + per_seq / lay.dp_attn - capacity
        return make(
            False,
            f"out of memory: weights {weights / GIB:.1f} GiB + one sequence's KV cache exceed "
            f"{capacity / GIB:.1f} GiB usable per device (short by {short / GIB:.1f} GiB)",
            0,
            "memory",
        )

    def tpot(bd: Breakdown) -> float:
        return bd.total_s / s.spec_accepted

    def ok(batch: int) -> bool:
        bd, ttft = _at_batch(s, lay, t, batch, pre)
        return (t.tpot_s is None or tpot(bd) <= t.tpot_s) and (t.ttft_s is None or ttft <= t.ttft_s)

    if t.concurrency is not None:  # a fixed concurrency: report it, feasible when it fits and meets the targets
        fixed = -(-t.concurrency // instances)  # the busiest instance
        if fixed > b_mem:
            return make(False, f"out of memory: {fixed} sequences per instance, at most {b_mem} fit", fixed, "memory")
        why = "" if ok(fixed) else "a latency target is missed at this concurrency"
        return make(not why, why, fixed, "fixed")
    if not ok(1):
        bd, ttft = _at_batch(s, lay, t, 1, pre)
        miss = "TPOT" if t.tpot_s is not None and tpot(bd) > t.tpot_s else "TTFT"
        return make(
            False,
            f"{miss} target missed even at batch 1 (TPOT {tpot(bd) * 1e3:.1f} ms, TTFT {ttft * 1e3:.0f} ms)",
            0,
            miss.lower(),
        )
    cap = b_mem if t.max_concurrency is None else min(b_mem, max(1, t.max_concurrency // instances))
    lo, hi = 1, cap  # the step time grows with the batch: bisect for the largest batch that meets the targets
    if ok(hi):
        return make(True, "", hi, "memory" if hi == b_mem else "concurrency")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    bd, ttft = _at_batch(s, lay, t, hi, pre)
    limited = "tpot" if t.tpot_s is not None and tpot(bd) > t.tpot_s else "ttft"
    return make(True, "", lo, limited)


def search(s: Setup, t: Targets, devices: int, layout: ServeLayout | None = None) -> ServeEstimate:
    """The instance shape with the highest group throughput (only `layout` when given); when none is feasible,
    the first failure."""
    best: ServeEstimate | None = None
    first_fail: ServeEstimate | None = None
    for lay in [layout] if layout is not None else layouts(s.m, s.hw, devices):
        est = best_for_layout(s, lay, t, devices)
        if est.feasible:
            if best is None or est.tokens_per_s > best.tokens_per_s * (1 + 1e-9):
                best = est
        elif first_fail is None or (first_fail.limited_by == "memory" and est.limited_by != "memory"):
            first_fail = est
    if best is not None:
        return best
    if first_fail is not None:
        return first_fail
    return best_for_layout(s, ServeLayout(), t, devices)


def prefill_throughput(s: Setup, lay: ServeLayout, tokens_per_device: float, prompt_len: float) -> float:
    """Prefill tokens/s per device for a disaggregated prefill instance."""
    return tokens_per_device / prefill_step(s, lay, tokens_per_device, prompt_len).total_s


def decode_throughput(s: Setup, lay: ServeLayout, batch_per_device: float, context: float) -> float:
    """Decode output tokens/s per device for a disaggregated decode instance."""
    batch = batch_per_device * lay.size
    return batch_per_device * s.spec_accepted / spec_step(s, lay, batch, context).total_s


def static_batch_throughput(
    s: Setup,
    lay: ServeLayout,
    batch: int,
    prompt_len: float,
    output_len: float,
    spec_tokens: float = 1.0,
    accepted: float = 1.0,
) -> float:
    """Output tokens/s per device of one instance given `batch` requests at once (a closed-loop benchmark whose
    concurrency equals its request count): prefill every prompt, then decode all sequences together.

    Speculative decoding (`spec_tokens` verified per sequence per step, `accepted` tokens kept on average, both
    as measured): output_len / accepted target steps, each also running spec_tokens - 1 draft steps of a
    one-layer draft model (EAGLE-style), costed as 1/layers of a one-token target step.
    """
    prefill = prefill_step(s, lay, batch * prompt_len / lay.size, prompt_len).total_s
    context = prompt_len + output_len / 2
    target = decode_step(s, lay, batch, context, q_tokens=spec_tokens).total_s
    draft = (spec_tokens - 1) * decode_step(s, lay, batch, context).total_s / s.m.layers
    steps = output_len / accepted
    return batch * output_len / (prefill + steps * (target + draft)) / lay.size
