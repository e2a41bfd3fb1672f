"""Each mechanism a published record needs moves the estimate the way physics says, through `ask.answer` (the
path the CLI and the back-test share)."""

from __future__ import annotations

import pytest

from isthmus.errors import InputError
from isthmus.plan.perfmodel import get_model, serve_setup
from isthmus.plan.perfmodel.ask import Question, answer, parse_layout, parse_spec
from isthmus.plan.perfmodel.efficiency import stack_for
from isthmus.plan.perfmodel.serve import ServeLayout, weight_bytes_per_device

DS = dict(mode="serve", model="deepseek-r1", system="atlas-800t-a3", devices=8, precision="w8a8")


def ask(**kw: object) -> dict[str, float]:
    a = answer(Question(**kw))  # type: ignore[arg-type]
    assert a.feasible, a.reason
    return dict(a.metrics)


def test_w4a8_quantises_the_experts_only_and_pays_dequant() -> None:
    moe, dense = get_model("deepseek-r1"), get_model("qwen3-32b")
    lay = ServeLayout(1, 8)
    w8 = weight_bytes_per_device(serve_setup(moe, "atlas-800t-a3", "w8a8"), lay)
    w4 = weight_bytes_per_device(serve_setup(moe, "atlas-800t-a3", "w4a8"), lay)
    expected = moe.dense_params / 1 * 1.0 + moe.expert_params / 8 * 0.5
    assert w4 == pytest.approx(expected) and w4 < w8 < 2 * w4  # attention and shared experts stay 8-bit
    d8 = weight_bytes_per_device(serve_setup(dense, "atlas-800t-a2", "w8a8"), ServeLayout(4, 1))
    d4 = weight_bytes_per_device(serve_setup(dense, "atlas-800t-a2", "w4a8"), ServeLayout(4, 1))
    assert d4 == d8  # a dense model has no routed experts to quantise
    pre = {p: ask(**{**DS, "precision": p}, phase="prefill", layout={"tp": 1, "dp_attn": 8}) for p in ("w8a8", "w4a8")}
    assert pre["w4a8"]["tokens_per_s"] < pre["w8a8"]["tokens_per_s"]  # compute-bound prefill pays the dequant


def test_speculative_decoding_reports_tpot_per_token() -> None:
    base = dict(**DS, prompt_len=2000, output_len=1000, concurrency=64, layout={"tp": 1, "dp_attn": 8})
    plain = answer(Question(**base))  # type: ignore[arg-type]
    spec = answer(Question(**base, spec=parse_spec("mtp:1:0.8")))  # type: ignore[arg-type]
    assert spec.detail["tokens_per_step"] == pytest.approx(1.8)
    assert spec.metrics["tpot_ms"] == pytest.approx(spec.detail["step_ms"] / 1.8)
    assert spec.detail["step_ms"] > plain.detail["step_ms"]  # verifying two tokens costs more per step
    assert spec.metrics["tokens_per_s"] > plain.metrics["tokens_per_s"]
    assert parse_spec("mtp:3:2.5").tokens_per_step == 2.5  # a mean accept length as engines report it
    for bad in ("mtp:0:0.5", "mtp:1:5", "medusa:1:0.5", "mtp:x:1"):
        with pytest.raises(InputError):
            parse_spec(bad)


def test_concurrency_cap_and_fixed_batch() -> None:
    free = answer(Question("serve", "llama3-8b", "dgx-h100", 1, "fp8", prompt_len=1024, output_len=512))
    capped = answer(
        Question("serve", "llama3-8b", "dgx-h100", 1, "fp8", prompt_len=1024, output_len=512, max_concurrency=64)
    )
    assert free.detail["batch"] > 64 and capped.detail["batch"] == 64 and capped.detail["limited_by"] == "concurrency"
    fixed = answer(
        Question("serve", "llama3-8b", "dgx-h100", 1, "fp8", prompt_len=1024, output_len=512, concurrency=32)
    )
    assert fixed.detail["batch"] == 32 and fixed.metrics["tokens_per_s"] < capped.metrics["tokens_per_s"]


def test_disaggregated_pools_and_kv_transfer() -> None:
    q = dict(**{**DS, "devices": 32}, phase="both", prompt_len=3500, output_len=1500, tpot_ms=50)
    a = answer(Question(**q, prefill_devices=8))  # type: ignore[arg-type]
    d = a.detail
    assert d["prefill_devices"] == 8 and d["decode_devices"] == 24 and d["kv_transfer_ms"] > 0
    assert a.metrics["ttft_ms"] > d["kv_transfer_ms"]
    searched = answer(Question(**q))  # type: ignore[arg-type]
    assert searched.metrics["tokens_per_s"] >= a.metrics["tokens_per_s"] * (1 - 1e-9)
    assert any("prefill/decode pools" in n for n in searched.assumptions)


def test_prefix_hits_serve_more_prompt_tokens() -> None:
    q = dict(**DS, phase="prefill", prompt_len=4096, layout={"tp": 1, "dp_attn": 8})
    cold, warm = ask(**q), ask(**q, prefix_hit=0.5)
    assert warm["tokens_per_s"] == pytest.approx(2 * cold["tokens_per_s"])


def test_expert_imbalance_slows_moe_only() -> None:
    q = dict(**DS, phase="prefill", prompt_len=4096, layout={"tp": 1, "dp_attn": 8})
    assert ask(**q, eplb=1.5)["tokens_per_s"] < ask(**q)["tokens_per_s"]  # the busiest rank sets the pace
    d = dict(mode="serve", model="llama3-8b", system="dgx-h100", devices=1, prompt_len=1024, output_len=256)
    assert ask(**d, eplb=1.5)["tokens_per_s"] == ask(**d)["tokens_per_s"]


def test_fp8_training_uses_its_own_efficiency() -> None:
    from dataclasses import replace

    from isthmus.plan.perfmodel.efficiency import get_efficiency

    eff = get_efficiency("megatron")
    q = Question("train", "llama3-8b", "dgx-h100", 8, "fp8", layout={"tp": 1, "pp": 1, "dp": 8, "micro_batch": 1})
    slow, fast = (answer(q, replace(eff, compute_8bit_train=v)) for v in (0.3, 0.6))
    assert fast.metrics["tokens_per_s"] > slow.metrics["tokens_per_s"]
    s = dict(**DS, prompt_len=2000, output_len=500, concurrency=64, layout={"tp": 1, "dp_attn": 8})
    sq = Question(**s)  # type: ignore[arg-type]
    assert (
        answer(sq, replace(get_efficiency("cann"), compute_8bit_train=0.3)).metrics
        == answer(sq, replace(get_efficiency("cann"), compute_8bit_train=0.6)).metrics
    )  # inference never reads the training fraction


def test_context_parallelism_splits_the_sequence() -> None:
    base = dict(
        mode="train", model="llama3-8b", system="dgx-h100", devices=16, seq_len=65536, global_batch_tokens=2**21
    )
    cp1 = answer(Question(**base, layout={"tp": 8, "pp": 1, "dp": 2, "micro_batch": 1}))  # type: ignore[arg-type]
    cp2 = answer(Question(**base, layout={"tp": 8, "cp": 2, "pp": 1, "dp": 1, "micro_batch": 1}))  # type: ignore[arg-type]
    assert cp2.detail["layout"]["cp"] == 2 and cp2.detail["memory_gib"] < cp1.detail["memory_gib"]
    assert "CP2" in cp2.detail["layout"]["text"]


def test_lora_is_cheaper_than_full_training() -> None:
    q = dict(
        mode="train",
        model="llama3-8b",
        system="atlas-800t-a2",
        devices=8,
        seq_len=4096,
        layout={"tp": 1, "pp": 1, "dp": 8, "micro_batch": 1, "zero": 1},
    )
    full, lora = answer(Question(**q)), answer(Question(**q, lora=True))  # type: ignore[arg-type]
    assert lora.metrics["tokens_per_s"] > full.metrics["tokens_per_s"]
    assert lora.detail["memory_gib"] < full.detail["memory_gib"]
    assert any("LoRA" in n for n in lora.assumptions)


def test_stacks_are_named_checked_and_reported() -> None:
    assert stack_for("huawei", "sglang") == "sglang-npu" and stack_for("nvidia", None) == "cuda"
    with pytest.raises(InputError, match="runs on nvidia"):
        stack_for("huawei", "trtllm")
    a = answer(Question("serve", "llama3-8b", "dgx-h100", 8, stack="vllm", prompt_len=512, output_len=128))
    assert a.stack == "vllm" and a.assumptions[0].startswith("stack vllm")
    assert a.band is not None and a.band[0] <= 0 <= a.band[1]


def test_fp4_on_blackwell_ultra_and_not_on_hopper() -> None:
    q = dict(
        mode="serve", model="deepseek-r1", devices=8, prompt_len=2000, output_len=500, layout={"tp": 1, "dp_attn": 8}
    )
    b300 = ask(**q, system="dgx-b300", precision="nvfp4")
    b300_fp8 = ask(**q, system="dgx-b300", precision="fp8")
    assert b300["tokens_per_s"] > b300_fp8["tokens_per_s"]
    with pytest.raises(InputError, match="fp4"):
        answer(Question(**q, system="dgx-h100", precision="nvfp4"))  # type: ignore[arg-type]


def test_layout_strings_and_bad_questions() -> None:
    assert parse_layout("tp=8,pp=16,dp=64,mb=2", training=True) == {"tp": 8, "pp": 16, "dp": 64, "micro_batch": 2}
    assert parse_layout("tp=4,dp=8", training=False) == {"tp": 4, "dp_attn": 8}
    for bad in ("tp=0", "xx=1", "tp=a"):
        with pytest.raises(InputError):
            parse_layout(bad, training=True)
    with pytest.raises(InputError, match="phase"):
        answer(Question("serve", "llama3-8b", "dgx-h100", 8, phase="sideways"))
    with pytest.raises(InputError, match="prefix"):
        answer(Question("serve", "llama3-8b", "dgx-h100", 8, prefix_hit=1.0))


def test_pools_and_instances_that_cannot_be_built_are_input_errors() -> None:
    base = dict(mode="serve", model="llama3-8b", system="dgx-h100", prompt_len=512, output_len=128)
    for kw, words in (
        (dict(devices=1, phase="both"), "at least 2"),
        (dict(devices=8, phase="both", prefill_devices=8), "no decode"),
        (dict(devices=8, layout={"tp": 3}), "does not divide"),
        (dict(devices=8, prefill_devices=2), "phase both only"),
    ):
        with pytest.raises(InputError, match=words):
            answer(Question(**base, **kw))  # type: ignore[arg-type]
