"""Transformer shapes (dense, MoE, GQA, MLA) and the parameter counts derived from them.

A `ModelSpec` is only shapes: everything the formulas need (parameters per layer, active parameters per token, KV
bytes per token) is derived here. Built-in specs live in `plan/data/models.yaml` with their sources; any Hugging
Face `config.json` of a Llama/Qwen/Mixtral/DeepSeek-style model can be read too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from isthmus.errors import InputError


@dataclass(frozen=True)
class ModelSpec:
    """The shapes of a decoder-only transformer. Defaults describe a dense, gated-MLP, untied model."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int  # dense MLP intermediate size (also the leading dense layers of a MoE)
    vocab: int
    head_dim: int = 0  # 0: hidden // heads
    gated: bool = True  # SwiGLU: three matrices (gate, up, down); GPT-style MLP has two
    tied: bool = False  # input embedding shared with the LM head
    max_seq: int = 4096
    experts: int = 0  # routed experts per MoE layer (0: dense model)
    active_experts: int = 0  # top-k routed experts per token
    shared_experts: int = 0  # always-on experts per MoE layer
    expert_ffn: int = 0  # intermediate size of one expert
    dense_layers: int = 0  # leading layers that use the dense MLP instead of experts
    q_lora_rank: int = 0  # MLA: query down-projection rank (0: full-rank query)
    kv_lora_rank: int = 0  # MLA: compressed KV latent size (0: not MLA)
    qk_nope_dim: int = 0
    qk_rope_dim: int = 0
    v_head_dim: int = 0
    source: str = ""

    # --- attention shapes -----------------------------------------------------------------------------------------
    @property
    def mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def moe(self) -> bool:
        return self.experts > 0

    @property
    def attention_kind(self) -> str:
        if self.mla:
            return "mla"
        return "mha" if self.kv_heads == self.heads else "gqa"

    @property
    def hd(self) -> int:
        """Per-head dimension of queries/keys (GQA/MHA)."""
        return self.head_dim or self.hidden // self.heads

    @property
    def qk_dim(self) -> int:
        """Per-head dimension of the QK^T product."""
        return self.qk_nope_dim + self.qk_rope_dim if self.mla else self.hd

    @property
    def v_dim(self) -> int:
        """Per-head dimension of V (and of the attention output)."""
        return self.v_head_dim if self.mla else self.hd

    @property
    def moe_layers(self) -> int:
        return self.layers - self.dense_layers if self.moe else 0

    # --- parameter counts (weights only; norms and biases are <0.1 % and left out) --------------------------------
    @cached_property
    def attn_params(self) -> int:
        """Weights of one attention block."""
        h, a = self.hidden, self.heads
        if self.mla:
            q = h * self.q_lora_rank + self.q_lora_rank * a * self.qk_dim if self.q_lora_rank else h * a * self.qk_dim
            kv = h * (self.kv_lora_rank + self.qk_rope_dim) + self.kv_lora_rank * a * (self.qk_nope_dim + self.v_dim)
            return q + kv + a * self.v_dim * h
        q_dim, kv_dim = a * self.hd, self.kv_heads * self.hd
        return h * q_dim + 2 * h * kv_dim + q_dim * h

    def mlp_params(self, intermediate: int) -> int:
        """Weights of one MLP (or one expert) with the given intermediate size."""
        return (3 if self.gated else 2) * self.hidden * intermediate

    @cached_property
    def expert_params(self) -> int:
        """Routed-expert weights of the whole model (the part that expert parallelism shards)."""
        return self.moe_layers * self.experts * self.mlp_params(self.expert_ffn)

    @cached_property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied else 2)

    @cached_property
    def dense_params(self) -> int:
        """Every weight that is not a routed expert: attention, dense MLPs, shared experts, router, embeddings."""
        dense_mlp = (self.layers - self.moe_layers) * self.mlp_params(self.ffn)
        moe_fixed = self.moe_layers * (
            self.shared_experts * self.mlp_params(self.expert_ffn) + self.hidden * self.experts
        )
        return self.layers * self.attn_params + dense_mlp + moe_fixed + self.embedding_params

    @cached_property
    def total_params(self) -> int:
        return self.dense_params + self.expert_params

    @cached_property
    def active_params(self) -> int:
        """Weights one token multiplies through, without the input embedding (a lookup, not a matmul)."""
        routed = self.moe_layers * self.active_experts * self.mlp_params(self.expert_ffn)
        input_embedding = 0 if self.tied else self.vocab * self.hidden
        return self.dense_params - input_embedding + routed

    # --- KV cache ---------------------------------------------------------------------------------------------------
    @property
    def kv_elems_per_token(self) -> int:
        """Cached elements per token over all layers: K and V per KV head, or MLA's latent plus the RoPE key."""
        per_layer = self.kv_lora_rank + self.qk_rope_dim if self.mla else 2 * self.kv_heads * self.hd
        return self.layers * per_layer

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "moe" if self.moe else "dense",
            "attention": self.attention_kind,
            "layers": self.layers,
            "hidden": self.hidden,
            "total_params_b": round(self.total_params / 1e9, 2),
            "active_params_b": round(self.active_params / 1e9, 2),
            "source": self.source,
        }


_FIELDS = {f.name for f in fields(ModelSpec)}


@functools.lru_cache(maxsize=1)
def _builtin() -> dict[str, ModelSpec]:
    text = (resources.files("isthmus.plan") / "data" / "models.yaml").read_text(encoding="utf-8")
    raw: dict[str, dict[str, Any]] = yaml.safe_load(text)["models"]
    return {key: ModelSpec(**entry) for key, entry in raw.items()}


def list_models() -> list[str]:
    """Keys of the built-in models."""
    return sorted(_builtin())


def model_summaries() -> list[dict[str, Any]]:
    """Each built-in model's `summary()` with its key, sorted by key."""
    return [get_model(k).summary() | {"key": k} for k in list_models()]


MODEL_COLUMNS = ("key", "kind", "attention", "total B", "active B", "source")


def model_rows(summaries: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The table rows (`MODEL_COLUMNS`) of `model_summaries()`."""
    return [
        [s["key"], s["kind"], s["attention"], f"{s['total_params_b']:,}", f"{s['active_params_b']:,}", s["source"]]
        for s in summaries
    ]


def get_model(name_or_config_path: str) -> ModelSpec:
    """A built-in model by key (case-insensitive), or a Hugging Face `config.json` (file or directory)."""
    key = name_or_config_path.strip().lower()
    builtin = _builtin()
    if key in builtin:
        return builtin[key]
    path = Path(name_or_config_path).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if path.is_file():
        return from_hf_config(path)
    import difflib

    close = difflib.get_close_matches(key, list(builtin), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"use one of {', '.join(sorted(builtin))}"
    raise InputError(
        f"unknown model {name_or_config_path!r} (not a built-in name nor a config.json path)",
        hint=hint + " or pass a Hugging Face config.json",
    )


def _int(cfg: dict[str, Any], *keys: str, default: int | None = None) -> int:
    for k in keys:
        v = cfg.get(k)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    if default is None:
        raise InputError(f"config.json has no integer {' / '.join(keys)}", hint="is this a decoder-only LLM config?")
    return default


def from_hf_config(path: Path) -> ModelSpec:
    """Read a Hugging Face `config.json` (Llama, Qwen2/3, Qwen3-MoE, Mixtral, DeepSeek-V2/V3 conventions)."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: cannot read JSON: {e}", hint="pass a Hugging Face config.json") from e
    if not isinstance(cfg, dict):
        raise InputError(f"{path}: not a JSON object", hint="pass a Hugging Face config.json")
    cfg = {**cfg, **cfg.get("text_config", {})}  # multimodal wrappers keep the LM under text_config
    heads = _int(cfg, "num_attention_heads", "n_head")
    experts = _int(cfg, "num_experts", "n_routed_experts", "num_local_experts", default=0)
    spec: dict[str, Any] = {
        "name": str(cfg.get("_name_or_path") or path.parent.name or "custom"),
        "layers": _int(cfg, "num_hidden_layers", "n_layer"),
        "hidden": _int(cfg, "hidden_size", "n_embd"),
        "heads": heads,
        "kv_heads": _int(cfg, "num_key_value_heads", default=heads),
        "ffn": _int(cfg, "intermediate_size", "n_inner", default=4 * _int(cfg, "hidden_size", "n_embd")),
        "vocab": _int(cfg, "vocab_size"),
        "head_dim": _int(cfg, "head_dim", default=0),
        "tied": bool(cfg.get("tie_word_embeddings", False)),
        "gated": str(cfg.get("hidden_act", cfg.get("activation_function", "silu"))) not in ("gelu_new", "gelu", "relu"),
        "max_seq": _int(cfg, "max_position_embeddings", "n_positions", default=4096),
        "source": str(path),
    }
    if experts:
        spec |= {
            "experts": experts,
            "active_experts": _int(cfg, "num_experts_per_tok", "num_experts_per_token"),
            "shared_experts": _int(cfg, "n_shared_experts", default=0),
            "expert_ffn": _int(cfg, "moe_intermediate_size", default=spec["ffn"]),
            "dense_layers": _int(cfg, "first_k_dense_replace", default=0),
        }
    if cfg.get("kv_lora_rank"):
        spec |= {
            "q_lora_rank": _int(cfg, "q_lora_rank", default=0),
            "kv_lora_rank": _int(cfg, "kv_lora_rank"),
            "qk_nope_dim": _int(cfg, "qk_nope_head_dim"),
            "qk_rope_dim": _int(cfg, "qk_rope_head_dim"),
            "v_head_dim": _int(cfg, "v_head_dim"),
        }
    if cfg.get("q_lora_rank") is None and "q_lora_rank" in spec:
        spec["q_lora_rank"] = 0
    unknown = set(spec) - _FIELDS
    if unknown:  # pragma: no cover - a programming error, not user input
        raise RuntimeError(f"unexpected fields {unknown}")
    for k in ("layers", "hidden", "heads", "kv_heads", "vocab"):
        if spec[k] <= 0:
            raise InputError(f"{path}: {k} must be positive, got {spec[k]}")
    return ModelSpec(**spec)
