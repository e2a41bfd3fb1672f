"""Training step time, memory and MFU for a layout TP x PP x DP x EP, and the search for the best layout.

One step processes `global_batch_tokens`. Per device: matmul and attention FLOPs (flops.py) at the precision's
peak times the stack's compute efficiency; weight and optimizer traffic at HBM bandwidth; tensor-parallel
collectives, of which the stack's `tp_overlap` share hides behind the GEMMs (sequence-parallel all-gather /
reduce-scatter split and pipelined with the adjacent GEMMs: Wang et al. 2023, Megatron-Core `--tp-comm-overlap`,
MindSpeed MC2); pipeline sends and bubble ((p-1)/(m·v), Narayanan et al. 2021); data-parallel gradient
reduce-scatter overlapped with the last micro-batch's backward and the parameter all-gather with the first
forward (Megatron distributed optimizer `--overlap-grad-reduce` / `--overlap-param-gather`); expert all-to-alls
exposed. Activation recomputation is selective (Korthikanti et al. 2022: attention recomputed, FlashAttention)
by default; where that does not fit, the fewest whole layers per stage are fully recomputed (Megatron
`--recompute-method block --recompute-num-layers r`), up to every layer ("full").

Context parallelism (`cp`, Megatron-Core / Llama 3 sec. 3.3.2) splits every sequence over `cp` ranks: activations
and tensor-parallel traffic per rank shrink by `cp`, the ranks all-gather K and V in the forward and
reduce-scatter their gradients in the backward, overlapped with the attention kernels (ring attention); weights
are replicated over dp x cp. FP8 training uses its own fitted matmul fraction (`compute_8bit_train`: delayed /
current scaling and the BF16 master path cost more than inference's FP8). LoRA (`lora=True`) freezes the base
weights: no weight gradients (backward = 1x forward instead of 2x), no optimizer states or gradient all-reduce
for them (the adapters are < 1 % of the weights and left out).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from isthmus.plan.perfmodel import comm, flops, memory
from isthmus.plan.perfmodel.breakdown import Bound, Breakdown, roofline
from isthmus.plan.perfmodel.efficiency import Efficiency
from isthmus.plan.perfmodel.hardware import GIB, Hardware
from isthmus.plan.perfmodel.models import ModelSpec
from isthmus.plan.perfmodel.precision import Precision


@dataclass(frozen=True)
class TrainLayout:
    """How the devices are split: tp·pp·dp = devices; ep shards experts inside the dp·tp ranks."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    micro_batch: int = 1  # sequences per micro-batch
    vpp: int = 1  # interleaved virtual stages per device (Narayanan 2021 sec. 2.2.2)
    recompute: str = "selective"  # "selective" (attention only), "block" (`recompute_layers` per stage) or "full"
    zero: int = 1  # ZeRO stage over dp (1: distributed optimizer, 3: FSDP)
    recompute_layers: int = 0  # with "block": whole layers per pipeline stage recomputed in the backward pass
    cp: int = 1  # context parallelism: ranks one sequence is split over (devices = tp x cp x pp x dp)

    @property
    def devices(self) -> int:
        return self.tp * self.cp * self.pp * self.dp

    def __str__(self) -> str:
        rc = f"recompute {self.recompute_layers}/stage" if self.recompute == "block" else self.recompute
        return (
            f"TP{self.tp}"
            + (f" CP{self.cp}" if self.cp > 1 else "")
            + f" PP{self.pp} DP{self.dp} EP{self.ep} mb{self.micro_batch}"
            + (f" v{self.vpp}" if self.vpp > 1 else "")
            + f" {rc} ZeRO-{self.zero}"
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "text": str(self)}


@dataclass(frozen=True)
class TrainEstimate:
    """A training estimate that explains itself (breakdown and bound), or says why it is infeasible."""

    feasible: bool
    reason: str
    tokens_per_s: float  # whole group
    step_time_s: float
    mfu: float  # model FLOPs / (devices x bf16-or-chosen peak)
    layout: TrainLayout
    breakdown: Breakdown
    bound: Bound
    memory_gib: float  # per device, needed
    capacity_gib: float  # per device, usable
    tflops_per_device: float  # achieved model TFLOPS per device
    devices: int
    precision: str
    seq_len: int
    global_batch_tokens: int

    def to_json(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "reason": self.reason,
            "tokens_per_s": self.tokens_per_s,
            "step_time_s": self.step_time_s,
            "mfu": self.mfu,
            "layout": self.layout.to_json(),
            "breakdown": self.breakdown.to_json(),
            "bound": self.bound,
            "memory_gib": self.memory_gib,
            "capacity_gib": self.capacity_gib,
            "tflops_per_device": self.tflops_per_device,
            "devices": self.devices,
            "precision": self.precision,
            "seq_len": self.seq_len,
            "global_batch_tokens": self.global_batch_tokens,
        }


@dataclass(frozen=True)
class _Job:
    """Everything about a step that does not depend on the layout (precomputed once per search)."""

    m: ModelSpec
    hw: Hardware
    eff: Efficiency
    prec: Precision
    devices: int
    seq: int
    seqs: int  # sequences per global batch
    matmul_fpt: float  # forward matmul FLOPs per token
    attn_fpt: float  # forward attention FLOPs per token
    peak_mm: float
    peak_attn: float
    lora: bool = False  # frozen base weights, trainable low-rank adapters only


def _recomputed(m: ModelSpec, lay: TrainLayout) -> int:
    """Whole layers per pipeline stage that are recomputed in the backward pass."""
    layers_stage = math.ceil(m.layers / lay.pp)
    if lay.recompute == "full":
        return layers_stage
    if lay.recompute == "block":
        return min(layers_stage, max(0, lay.recompute_layers))
    return 0


@dataclass(frozen=True)
class _StageMemory:
    """Bytes per device of one pipeline stage: `fixed` (weights, gradients, optimizer states; on the last stage
    also the logits), and per layer of the stage `kept` (its stored activations for every in-flight micro-batch
    under selective recomputation), `ckpt` (the same when the layer is fully recomputed: its input only) and
    `work` (the full activations of one layer for one micro-batch, the working set of a recomputed layer)."""

    fixed: float
    kept: float
    ckpt: float
    work: float

    def needed(self, layers: int, recomputed: int) -> float:
        kept = (layers - recomputed) * self.kept + recomputed * self.ckpt
        return self.fixed + kept + (self.work if recomputed else 0.0)

    def fewest_recomputed(self, layers: int, capacity: float) -> int | None:
        """The fewest recomputed layers (at least 1) that fit `capacity`, or None when recomputation saves no
        memory; may exceed `layers` (then even full recomputation does not fit)."""
        if self.kept <= self.ckpt:
            return None
        return max(1, math.ceil((self.fixed + layers * self.kept + self.work - capacity) / (self.kept - self.ckpt)))


def _stages(job: _Job, lay: TrainLayout) -> tuple[_StageMemory, ...]:
    """The pipeline stages that can need the most memory: the first (under 1F1B it holds p micro-batches in
    flight, Narayanan 2021) and the last (one micro-batch in flight, plus the logits); one stage without PP.
    Stages in between hold fewer micro-batches than the first and no logits, so they never need more."""
    m = job.m
    dense_dev = m.dense_params / (lay.tp * lay.pp)
    expert_dev = m.expert_params / (lay.ep * lay.pp)
    expert_dp = max(1, lay.dp * lay.cp * lay.tp // lay.ep)  # ranks holding the same experts
    if job.lora:  # frozen bf16 weights only (sharded under ZeRO-3)
        states = memory.WEIGHT_BYTES * (dense_dev + expert_dev) / (lay.dp * lay.cp if lay.zero >= 3 else 1)
    else:
        states = memory.training_state_bytes(dense_dev, lay.dp * lay.cp, lay.zero)
        states += memory.training_state_bytes(expert_dev, expert_dp, lay.zero)
    moe_share = m.moe_layers / m.layers
    tokens_mb = lay.micro_batch * job.seq // lay.cp
    per_layer = moe_share * memory.activation_bytes_per_token_layer(m, lay.tp, moe_layer=True) + (
        1 - moe_share
    ) * memory.activation_bytes_per_token_layer(m, lay.tp, moe_layer=False)
    ckpt = memory.checkpoint_bytes_per_token_layer(m, lay.tp)
    logits = tokens_mb * m.vocab / lay.tp * 6.0  # bf16 logits + fp32 softmax, on the last stage only
    work = tokens_mb * per_layer

    def stage(fixed: float, in_flight: int) -> _StageMemory:
        return _StageMemory(fixed, tokens_mb * in_flight * per_layer, tokens_mb * in_flight * ckpt, work)

    last = stage(states + logits, 1)
    return (last,) if lay.pp == 1 else (stage(states, lay.pp), last)


def _memory_needed(job: _Job, lay: TrainLayout) -> float:
    """Bytes per device: the most any pipeline stage needs."""
    r = _recomputed(job.m, lay)
    layers_stage = math.ceil(job.m.layers / lay.pp)
    return max(st.needed(layers_stage, r) for st in _stages(job, lay))


def fewest_recomputed(job: _Job, lay: TrainLayout, capacity: float) -> TrainLayout | None:
    """`lay` with the least recomputation that fits `capacity` bytes on every stage: selective if it fits, else
    the fewest whole layers per stage (block, the same count on every stage as Megatron's
    `--recompute-num-layers`), else None when even full recomputation does not fit."""
    stages = _stages(job, lay)
    layers_stage = math.ceil(job.m.layers / lay.pp)
    if all(st.needed(layers_stage, 0) <= capacity for st in stages):
        return replace(lay, recompute="selective", recompute_layers=0)
    if any(st.needed(layers_stage, layers_stage) > capacity for st in stages):
        return None
    fewest = [st.fewest_recomputed(layers_stage, capacity) for st in stages]
    if any(r is None for r in fewest):
        return None
    r = max(r for r in fewest if r is not None)
    if r >= layers_stage:
        return replace(lay, recompute="full", recompute_layers=0)
    return replace(lay, recompute="block", recompute_layers=r)


def _step(job: _Job, lay: TrainLayout) -> tuple[Breakdown, float]:
    """(breakdown, bytes needed per device) for one layout."""
    m, hw, eff = job.m, job.hw, job.eff
    mbs = math.ceil(job.seqs / (lay.dp * lay.micro_batch))  # micro-batches per replica per step
    tokens_dev = job.seqs * job.seq / job.devices  # work is balanced across all devices
    layers_stage = math.ceil(m.layers / lay.pp)
    recomputed = _recomputed(m, lay) / layers_stage  # share of layers whose forward runs twice
    fwd = (2.0 if job.lora else 3.0) + recomputed  # LoRA: no weight-gradient GEMMs for the frozen base
    mm_eff = eff.matmul(job.prec.peak, training=True)
    attn_s = fwd * tokens_dev * job.attn_fpt / (job.peak_attn * eff.compute)
    compute = fwd * tokens_dev * job.matmul_fpt / (job.peak_mm * mm_eff) + attn_s
    params_dev = m.dense_params / (lay.tp * lay.pp) + m.expert_params / (lay.ep * lay.pp)
    optimizer = 0.0 if job.lora else params_dev * 16.0 * 2 / (lay.dp * lay.cp)
    traffic = 3 * mbs * params_dev * memory.WEIGHT_BYTES + optimizer  # weight reads + optimizer update
    mem_s = traffic / (hw.memory_bw * eff.memory)
    elementwise_s = fwd * tokens_dev * memory.elementwise_bytes_per_token(m) / (hw.memory_bw * eff.memory)
    moe_fixed_s = 0.0
    if m.moe:  # router, permutation and token-count synchronisation per MoE layer per micro-batch pass
        moe_fixed_s = mbs * math.ceil(m.moe_layers / lay.pp) * (2 + recomputed) * eff.moe_overhead_s
    core = roofline(compute, mem_s) + Breakdown(moe_fixed_s, elementwise_s)
    bubble = core.total_s * (lay.pp - 1) / (mbs * lay.vpp)

    up_bw, out_bw = hw.scaleup_bw * eff.network, (hw.scaleout_bw or 0.0) * eff.network
    lat_up, lat_out = eff.scaleup_latency_s, eff.scaleout_latency_s
    tokens_mb = lay.micro_batch * job.seq // lay.cp  # tokens of one micro-batch on one context-parallel rank
    act_bytes = tokens_mb * m.hidden * 2.0
    n_tp = 4 + 2 * recomputed  # Megatron: 2 fwd + 2 bwd (+2 recomputed fwd) per layer
    tp_s = mbs * layers_stage * n_tp * comm.all_reduce_s(act_bytes, lay.tp, up_bw, lat_up)
    tp_exposed = tp_s - min(tp_s * eff.tp_overlap, compute)  # the hidden share runs under the GEMMs
    pp_in = lay.tp * lay.pp <= hw.scaleup_domain
    pp_s = 0.0
    if lay.pp > 1:
        bw, lat = (up_bw, lat_up) if pp_in else (out_bw, lat_out)
        pp_s = (mbs + lay.pp - 1) * 2 * lay.vpp * comm.p2p_s(act_bytes / lay.tp, bw, lat)
    dp_in = job.devices <= hw.scaleup_domain
    dp_bw, dp_lat = (up_bw, lat_up) if dp_in else (out_bw, lat_out)
    grads = 0.0 if job.lora else memory.GRAD_BYTES
    dense_grads = m.dense_params / (lay.tp * lay.pp) * grads
    expert_grads = m.expert_params / (lay.ep * lay.pp) * grads
    expert_dp = max(1, lay.dp * lay.cp * lay.tp // lay.ep)  # ranks holding the same experts
    # one reduce-scatter of the gradients or one all-gather of the weights, dense and expert
    one = comm.all_gather_s(dense_grads, lay.dp * lay.cp, dp_bw, dp_lat) + comm.all_gather_s(
        expert_grads, expert_dp, dp_bw, dp_lat
    )
    per_mb = compute / mbs
    if lay.zero >= 3:
        # ZeRO-3 / FSDP: every micro-batch all-gathers the weights for its forward and again for its backward and
        # reduce-scatters its gradients (3x the data-parallel volume, Rajbhandari 2020), prefetched under its compute
        dp_s = mbs * 3 * one
        dp_exposed = mbs * max(0.0, 3 * one - per_mb)
    else:
        # gradients reduce-scattered under the last micro-batch's backward, weights all-gathered under the first
        # forward of the next step (Megatron --overlap-grad-reduce / --overlap-param-gather)
        dp_s = 2 * one
        dp_exposed = max(0.0, one - per_mb * 2 / 3) + max(0.0, one - per_mb / 3)
    ep_s = 0.0
    if m.moe and lay.ep > 1:
        send = tokens_mb / lay.tp * m.active_experts * m.hidden * 2.0
        moe_stage = math.ceil(m.moe_layers / lay.pp)
        ep_s = (
            mbs
            * moe_stage
            * 4
            * comm.all_to_all_s(
                send,
                lay.ep,
                up_bw,
                out_bw or None,
                hw.scaleup_domain,
                lat_up if lay.ep <= hw.scaleup_domain else lat_out,
                m.active_experts,
            )
        )
    cp_s = cp_exposed = 0.0
    if lay.cp > 1:  # K/V all-gather (forward, recomputed forward) and gradient reduce-scatter (backward) per layer
        kv_local = tokens_mb * m.kv_elems_per_token / m.layers * 2.0 / lay.tp
        cp_in = lay.tp * lay.cp <= hw.scaleup_domain
        bw, lat = (up_bw, lat_up) if cp_in else (out_bw, lat_out)
        cp_s = mbs * layers_stage * (2 + recomputed) * comm.all_gather_s(kv_local * lay.cp, lay.cp, bw, lat)
        cp_exposed = max(0.0, cp_s - attn_s)  # ring attention overlaps the exchange with the attention kernels
    comm_s = tp_exposed + pp_s + dp_exposed + ep_s + cp_exposed
    bd = Breakdown(core.compute_s, core.memory_s, comm_s, bubble, tp_s + pp_s + dp_s + ep_s + cp_s)
    return bd, _memory_needed(job, lay)


def _pow2_upto(n: int) -> list[int]:
    return [1 << i for i in range(n.bit_length()) if (1 << i) <= n]


def layouts(m: ModelSpec, hw: Hardware, devices: int, cp: int = 1) -> Iterator[TrainLayout]:
    """Every layout worth trying: TP inside the scale-up domain and dividing the heads, PP up to the layer count,
    EP dividing the experts and the dp·tp ranks; micro-batch 1-8; ZeRO-1, or ZeRO-3 without PP. Recomputation
    is not enumerated: `search` gives each layout the least that fits (`fewest_recomputed`)."""
    if devices % cp:
        return
    per_cp = devices // cp
    tps = [t for t in _pow2_upto(min(hw.scaleup_domain, per_cp, 64)) if m.heads % t == 0]
    for tp in tps:
        for pp in [p for p in _pow2_upto(min(m.layers, per_cp // tp, 64)) if per_cp % (tp * p) == 0]:
            dp = per_cp // (tp * pp)
            eps = [e for e in _pow2_upto(min(m.experts, dp * cp * tp)) if m.experts % e == 0] if m.moe else [1]
            for ep in eps:
                for mb in (1, 2, 4, 8):
                    for vpp in (1, 2, 4) if pp > 1 else (1,):
                        for zero in (1, 3) if pp == 1 else (1,):  # no ZeRO-2/3 with PP (DeepSpeed, Megatron)
                            yield TrainLayout(tp, pp, dp, ep, mb, vpp, "selective", zero, cp=cp)


def _job(
    m: ModelSpec,
    hw: Hardware,
    eff: Efficiency,
    prec: Precision,
    devices: int,
    seq: int,
    gbt: int,
    lora: bool = False,
) -> _Job:
    peak_mm = hw.peak(prec.peak)
    peak_attn = hw.peak("bf16") or peak_mm
    if peak_mm is None or peak_attn is None:
        raise ValueError(f"{hw.key} has no {prec.peak} peak in the catalogue")
    return _Job(
        m,
        hw,
        eff,
        prec,
        devices,
        seq,
        max(1, gbt // seq),
        flops.matmul_flops_per_token(m),
        flops.attention_flops_per_token(m, flops.causal_context(seq)),
        peak_mm,
        peak_attn,
        lora,
    )


def evaluate(job: _Job, lay: TrainLayout) -> TrainEstimate:
    """The estimate for one layout (feasible or not)."""
    bd, need = _step(job, lay)
    capacity = job.hw.memory_bytes * job.eff.memory_usable
    tokens = job.seqs * job.seq
    step = bd.total_s
    model_flops = flops.model_flops_per_token(job.m, job.seq) * tokens * (2 / 3 if job.lora else 1.0)
    peak_mfu = job.hw.peak(job.prec.peak) or job.peak_mm
    tflops = model_flops / step / job.devices
    feasible, reason = need <= capacity, ""
    if not feasible:
        reason = (
            f"out of memory: needs {need / GIB:.1f} GiB per device, {capacity / GIB:.1f} GiB usable "
            f"(short by {(need - capacity) / GIB:.1f} GiB)"
        )
    elif job.seqs < lay.dp * lay.micro_batch:
        feasible, reason = (
            False,
            (f"global batch of {job.seqs} sequences is smaller than dp x micro-batch = {lay.dp * lay.micro_batch}"),
        )
    return TrainEstimate(
        feasible,
        reason,
        tokens / step,
        step,
        tflops / peak_mfu,
        lay,
        bd,
        bd.bound,
        need / GIB,
        capacity / GIB,
        tflops / 1e12,
        job.devices,
        job.prec.name,
        job.seq,
        tokens,
    )


def search(
    job: _Job, fixed: TrainLayout | None = None, constraints: Mapping[str, object] | None = None
) -> TrainEstimate:
    """The fastest feasible layout (among those matching `constraints`, e.g. {"tp": 8}), or when none fits the
    least-short one (reported infeasible)."""
    if fixed is not None:
        return evaluate(job, fixed)
    want = dict(constraints or {})
    best: TrainEstimate | None = None
    least_short: TrainEstimate | None = None
    capacity = job.hw.memory_bytes * job.eff.memory_usable
    cp = int(str(want.get("cp", 1)))
    for lay in layouts(job.m, job.hw, job.devices, cp):
        if job.seqs < lay.dp * lay.micro_batch:
            continue
        fit = fewest_recomputed(job, lay, capacity)
        if fit is None:
            full = replace(lay, recompute="full")
            if any(getattr(full, k) != v for k, v in want.items()):
                continue
            need = _memory_needed(job, full)
            if least_short is None or need < least_short.memory_gib * GIB:
                least_short = evaluate(job, full)
            continue
        if any(getattr(fit, k) != v for k, v in want.items()):
            continue
        bd, _ = _step(job, fit)
        if best is None or bd.total_s < best.step_time_s:
            best = evaluate(job, fit)
    if best is not None:
        return best
    if least_short is not None:
        return least_short
    return evaluate(job, TrainLayout(dp=job.devices))
