"""FLOPs of a transformer per token. Pure functions; units are FLOPs (multiply-add = 2 FLOPs).

Conventions follow Kaplan et al. 2020 ("Scaling Laws", C_forward = 2N per token) and Narayanan et al. 2021
("Efficient Large-Scale Language Model Training on GPU Clusters", training = 3x forward; attention adds
4·s·h per layer per token forward for QK^T and attention x V).
"""

from __future__ import annotations

from isthmus.plan.perfmodel.models import ModelSpec


def matmul_flops_per_token(m: ModelSpec) -> float:
    """Forward weight-matmul FLOPs of one token: 2 per active weight, LM head included (Kaplan 2020)."""
    return 2.0 * m.active_params


def attention_flops_per_token(m: ModelSpec, context: float, *, decode: bool = False) -> float:
    """Forward QK^T and attention x V FLOPs of one token attending to `context` keys, all layers.

    MLA in decode uses the absorbed form (Deepseek-V2 2024, sec. 2.1.3): scores over the 512+64 latent and values
    from the 512 latent, for every head; in prefill it runs as ordinary attention with qk 192 / v 128.
    """
    latent = m.kv_lora_rank + m.qk_rope_dim + m.kv_lora_rank  # scores over latent+rope, values from the latent
    per_head = latent if m.mla and decode else m.qk_dim + m.v_dim
    return 2.0 * m.layers * m.heads * per_head * context  # FLOPs


def causal_context(seq_len: float) -> float:
    """Mean keys per query under a causal mask: kernels skip the masked half (FlashAttention-2)."""
    return (seq_len + 1) / 2.0


def train_flops_per_token(m: ModelSpec, seq_len: int, *, recompute: str = "selective") -> float:
    """Executed FLOPs per trained token: forward + backward (2x forward), plus the recomputed forward.

    recompute: "selective" (attention recomputed inside the kernel, counted as 3x forward as in Korthikanti et al.
    2022), "full" (every layer's forward run twice: 4x forward).
    """
    forward = matmul_flops_per_token(m) + attention_flops_per_token(m, causal_context(seq_len))
    return (4.0 if recompute == "full" else 3.0) * forward


def model_flops_per_token(m: ModelSpec, seq_len: int) -> float:
    """Model FLOPs per token for MFU (no recomputation counted, PaLM 2022 appendix B convention, causal)."""
    return 3.0 * (matmul_flops_per_token(m) + attention_flops_per_token(m, causal_context(seq_len)))


def routed_matmul_flops_per_token(m: ModelSpec) -> float:
    """The routed-expert share of `matmul_flops_per_token` (0 for a dense model)."""
    return 2.0 * m.moe_layers * m.active_experts * m.mlp_params(m.expert_ffn) if m.moe else 0.0
