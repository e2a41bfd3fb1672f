"""Side by side with llm-analysis (PyPI 0.2.2) on the calibration cases: both predictions, both errors.

    .venv/bin/pip install --no-deps llm-analysis==0.2.2 && .venv/bin/pip install fire   # benchmark-only
    .venv/bin/python benchmarks/compare_estimators.py

Both tools get the same hardware figures (from the isthmus catalogue) and the same achieved fractions (the fitted
compute and memory efficiencies of the case's stack), so the comparison is about the models, not the inputs.
llm-analysis needs ffn % hidden == 0, so MLPs become two-matrix MLPs of equal weight count. It has no MLA,
shared experts, continuous batching or latency targets: MoE cases run as plain top-k MoE with MHA, and serving
cases as a static batch of the size isthmus chose (prefill + decode of every sequence).
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import sys
from typing import Any

from isthmus.plan.perfmodel import calibration, serve
from isthmus.plan.perfmodel.efficiency import get_efficiency
from isthmus.plan.perfmodel.hardware import Hardware, resolve_hardware
from isthmus.plan.perfmodel.models import ModelSpec, get_model
from isthmus.plan.perfmodel.precision import get_precision, kv_bytes


def _la(m: ModelSpec, hw: Hardware, c: calibration.CalibrationCase, tp: int, pp: int, dp: int, ep: int) -> Any:
    from llm_analysis.analysis import LLMAnalysis
    from llm_analysis.config import GPUConfig, ModelConfig, ParallelismConfig, get_dtype_config_by_name

    eff = get_efficiency(c.stack)
    quantised = get_precision(c.params["precision"]).peak in ("fp8", "int8")
    gpu = GPUConfig(
        name=hw.chip,
        mem_per_GPU_in_GB=hw.memory_bytes / 1e9,
        hbm_bandwidth_in_GB_per_sec=hw.memory_bw / 1e9,
        intra_node_bandwidth_in_GB_per_sec=hw.scaleup_bw / 1e9,
        intra_node_min_message_latency=8e-6,
        peak_fp16_TFLOPS=(hw.peak("bf16") or 0) / 1e12,
        peak_i8_TFLOPS=(hw.peak("fp8") or hw.peak("int8") or 0) / 1e12,
        inter_node_bandwidth_in_GB_per_sec=(hw.scaleout_bw or hw.scaleup_bw) / 1e9,
    )
    inner = m.expert_ffn if m.moe else m.ffn
    # llm-analysis 0.2.2 needs ffn % hidden == 0 and mis-counts gated MLPs: give it a two-matrix MLP with the same
    # weight count (1.5x the gated intermediate size), rounded to a multiple of hidden
    ffn = max(1, round(inner * (1.5 if m.gated else 1.0) / m.hidden)) * m.hidden
    model = ModelConfig(
        name=m.name,
        num_layers=m.layers,
        n_head=m.heads,
        hidden_dim=m.hidden,
        vocab_size=m.vocab,
        max_seq_len=m.max_seq,
        num_key_value_heads=m.kv_heads,
        ffn_embed_dim=ffn,
        model_type="llama",
        moe_num_experts=max(1, m.experts),
        moe_top_k=max(1, m.active_experts),
    )
    dtype = get_dtype_config_by_name("w8a8e16" if quantised else "w16a16e16")
    return LLMAnalysis(
        model,
        gpu,
        dtype,
        ParallelismConfig(tp_size=tp, pp_size=pp, dp_size=dp, ep_size=ep),
        flops_efficiency=eff.compute_8bit if quantised else eff.compute,
        hbm_memory_efficiency=eff.memory,
    )


def llm_analysis_predict(c: calibration.CalibrationCase) -> float:
    """llm-analysis's estimate of the case's metric."""
    from llm_analysis.analysis import ActivationRecomputation, DSZeRO

    p = c.params
    m, hw = get_model(p["model"]), resolve_hardware(p["system"])
    if c.kind == "train":
        lay = p.get("layout", {"tp": 1, "pp": 1, "dp": p["devices"]})
        la = _la(m, hw, c, lay["tp"], lay["pp"], lay["dp"], 1)
        gbs = p.get("global_batch_tokens", 4 * 2**20) // p["seq_len"]
        r = la.training(
            batch_size_per_gpu=1,
            global_batch_size=gbs,
            seq_len=p["seq_len"],
            flash_attn=True,
            activation_recomputation=ActivationRecomputation.FULL,
            ds_zero=DSZeRO.STAGE_1,
            total_num_tokens=gbs * p["seq_len"],
        )
        step = r["latency_per_iter"]
        tokens = gbs * p["seq_len"]
        if c.metric == "tflops_per_device":
            return 6 * m.active_params * tokens / step / p["devices"] / 1e12
        return tokens / step / p["devices"]
    if c.kind in ("prefill", "decode"):
        inst = serve.ServeLayout(**p["instance"])
        la = _la(m, hw, c, inst.tp, 1, inst.dp_attn, inst.size if m.moe else 1)
        if c.kind == "prefill":
            batch = max(1, p["tokens_per_device"] // p["prompt_len"])
            r = la.inference(batch_size_per_gpu=batch, seq_len=p["prompt_len"], num_tokens_to_generate=1)
            return batch * p["prompt_len"] / r["prefill_latency"]
        r = la.inference(
            batch_size_per_gpu=p["batch_per_device"],
            seq_len=p["context"],
            num_tokens_to_generate=1,
            kv_cache_dtype_bytes=int(kv_bytes(get_precision(p["precision"]), p.get("kv_dtype"))),
        )
        return p["batch_per_device"] / r["decode_latency"]
    if c.kind == "batch":  # a closed batch on one instance; llm-analysis has no speculative decoding
        inst = serve.ServeLayout(**p["instance"])
        la = _la(m, hw, c, inst.tp, 1, 1, 1)
        per_gpu = max(1, p["batch"] // inst.tp)
        r = la.inference(batch_size_per_gpu=per_gpu, seq_len=p["prompt_len"], num_tokens_to_generate=p["output_len"])
        total = r["prefill_latency"] + p["output_len"] * r["decode_latency"]
        return per_gpu * inst.tp * p["output_len"] / total / inst.size
    est = calibration_serve(c)
    la = _la(m, hw, c, est.layout.tp, 1, 1, 1)
    batch = max(1, est.batch // est.instances // est.layout.tp)
    r = la.inference(batch_size_per_gpu=batch, seq_len=p["prompt_len"], num_tokens_to_generate=p["output_len"])
    total = r["prefill_latency"] + p["output_len"] * r["decode_latency"]
    tps = batch * est.layout.tp * est.instances * p["output_len"] / total
    return tps / (p["devices"] if c.metric == "tokens_per_s_per_device" else 1)


def calibration_serve(c: calibration.CalibrationCase) -> serve.ServeEstimate:
    p = c.params
    prec = get_precision(p["precision"])
    setup = serve.Setup(
        get_model(p["model"]),
        resolve_hardware(p["system"]),
        get_efficiency(c.stack),
        prec,
        kv_bytes(prec, p.get("kv_dtype")),
    )
    tpot, ttft = p.get("tpot_ms"), p.get("ttft_ms")
    targets = serve.Targets(
        p["prompt_len"], p["output_len"], tpot / 1e3 if tpot else None, ttft / 1e3 if ttft else None
    )
    return serve.search(setup, targets, p["devices"])


def main() -> int:
    logging.disable(logging.CRITICAL)
    rows = []
    print(f"{'record':24s} {'measured':>10s} {'isthmus':>10s} {'err':>7s} {'llm-analysis':>12s} {'err':>7s}")
    for row, case in zip(calibration.table(), calibration.load_cases(), strict=True):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                other = llm_analysis_predict(case)
            other_err = (other - row.measured) / row.measured
            other_s, err_s = f"{other:12.1f}", f"{other_err:+7.1%}"
        except Exception as e:  # a case the peer cannot express: say so, keep going
            other, other_err, other_s, err_s = math.nan, math.nan, f"{'n/a':>12s}", f" ({type(e).__name__})"
        rows.append((row, other, other_err))
        print(f"{row.id:24s} {row.measured:10.1f} {row.estimate:10.1f} {row.error:+7.1%} {other_s} {err_s}")
    ours = [abs(r.error) for r, _, _ in rows]
    theirs = [abs(e) for _, _, e in rows if not math.isnan(e)]
    print(
        f"\nmedian |error|: isthmus {sorted(ours)[len(ours) // 2]:.1%} over {len(ours)} records; "
        f"llm-analysis {sorted(theirs)[len(theirs) // 2]:.1%} over {len(theirs)} records"
        if theirs
        else ""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
