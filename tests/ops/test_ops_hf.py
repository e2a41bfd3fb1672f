"""Inventories of Hugging Face configs (Llama-, Qwen2-, Mixtral-style), built from config.json without weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")

from isthmus.ops.inventory import Inventory, inventory

BASE: dict[str, Any] = {
    "vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
    "attn_implementation": "sdpa",
}  # fmt: skip
CONFIGS: dict[str, dict[str, Any]] = {
    "llama": {**BASE, "model_type": "llama", "architectures": ["LlamaForCausalLM"]},
    "qwen2": {**BASE, "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]},
    "mixtral": {**BASE, "model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "num_local_experts": 4,
                "num_experts_per_tok": 2},
}  # fmt: skip


def _inventory(tmp_path: Path, name: str, train: bool = False) -> Inventory:
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps(CONFIGS[name]))
    return inventory(str(d), ["cuda", "ascend-910b"], input_shape=(1, 16), train=train)


def _ops(inv: Inventory) -> set[str]:
    return {r.op for r in inv.rows}


def test_llama_config(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "llama", train=True)
    ops = _ops(inv)
    # RMSNorm (pow/mean/rsqrt), rotary (cos/sin), SwiGLU (silu), SDPA at the target level, no biases (no addmm)
    assert {"aten::rsqrt.default", "aten::cos.default", "aten::sin.default", "aten::silu.default",
            "aten::scaled_dot_product_attention.default", "aten::embedding.default"} <= ops  # fmt: skip
    assert "aten::addmm.default" not in ops
    assert not any("_for_cpu" in op for op in ops)
    sdpa = next(r for r in inv.rows if r.op == "aten::scaled_dot_product_attention.default")
    assert {p for p, _ in sdpa.paths} == {"model.layers.0.self_attn", "model.layers.1.self_attn"}
    assert inv.capture.device == "meta" and "backward" in inv.capture.phases


def test_qwen2_config_has_qkv_bias(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "qwen2")
    addmm = next(r for r in inv.rows if r.op == "aten::addmm.default")
    # q, k and v projections carry a bias in Qwen2: one addmm each per layer
    assert sorted({p for p, _ in addmm.paths}) == [
        f"model.layers.{i}.self_attn.{w}_proj" for i in (0, 1) for w in ("k", "q", "v")
    ]


def test_mixtral_config_routes_with_topk(tmp_path: Path) -> None:
    inv = _inventory(tmp_path, "mixtral")
    ops = _ops(inv)
    assert {"aten::topk.default", "aten::silu.default"} <= ops
    topk = next(r for r in inv.rows if r.op == "aten::topk.default")
    assert all(".mlp" in p or "block_sparse_moe" in p for p, _ in topk.paths)
