"""Model shapes: built-in parameter counts against the published totals, and Hugging Face config parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isthmus.errors import InputError
from isthmus.plan.perfmodel import get_model, list_models

# Published totals (billions): model cards / papers named in models.yaml.
PUBLISHED = {
    "llama2-7b": 6.74,
    "llama2-70b": 68.98,
    "llama3-8b": 8.03,
    "llama3-405b": 405.9,
    "qwen3-32b": 32.8,
    "qwen3-235b-a22b": 235.0,
    "qwen3-30b-a3b": 30.5,
    "deepseek-v3": 671.0,
    "gpt3-175b": 175.0,
}


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_builtin_total_params_match_published(key: str) -> None:
    assert get_model(key).total_params / 1e9 == pytest.approx(PUBLISHED[key], rel=0.01)


def test_moe_active_params_are_a_small_share() -> None:
    ds = get_model("deepseek-v3")
    assert ds.moe and ds.mla and ds.attention_kind == "mla"
    assert ds.active_params / 1e9 == pytest.approx(36.6, rel=0.02)  # 37B activated incl. the input embedding
    assert get_model("qwen3-235b-a22b").active_params / 1e9 == pytest.approx(21.6, rel=0.03)


def test_kv_cache_per_token_reflects_gqa_and_mla() -> None:
    # GQA 8 KV heads x 128 x 2 (K,V) x 80 layers; MLA 512 + 64 latent x 61 layers
    assert get_model("llama2-70b").kv_elems_per_token == 8 * 128 * 2 * 80
    assert get_model("deepseek-v3").kv_elems_per_token == (512 + 64) * 61


def test_every_builtin_has_a_source() -> None:
    assert len(list_models()) >= 12
    assert all(get_model(k).source for k in list_models())


def test_hf_config_moe_and_mla(tmp_path: Path) -> None:
    cfg = {
        "num_hidden_layers": 4,
        "hidden_size": 256,
        "num_attention_heads": 8,
        "num_key_value_heads": 8,
        "intermediate_size": 512,
        "vocab_size": 1000,
        "n_routed_experts": 16,
        "num_experts_per_tok": 2,
        "n_shared_experts": 1,
        "moe_intermediate_size": 64,
        "first_k_dense_replace": 1,
        "q_lora_rank": None,
        "kv_lora_rank": 32,
        "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8,
        "v_head_dim": 16,
    }
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    m = get_model(str(tmp_path))
    assert (m.experts, m.active_experts, m.dense_layers, m.q_lora_rank, m.kv_lora_rank) == (16, 2, 1, 0, 32)
    assert m.moe_layers == 3 and m.total_params > m.active_params


def test_unknown_model_suggests_names() -> None:
    with pytest.raises(InputError, match="llama3-70b"):
        get_model("llama3-70")


def test_malformed_config_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read JSON"):
        get_model(str(bad))
    bad.write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(InputError, match="has no integer"):
        get_model(str(bad))
