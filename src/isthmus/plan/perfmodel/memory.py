"""Bytes held on one device: weights, gradients, optimizer states, activations and the KV cache. Pure functions.

Optimizer states follow ZeRO (Rajbhandari et al. 2020): mixed-precision Adam keeps 2 (bf16 weight) + 2 (bf16
gradient) + 12 (fp32 master weight, momentum, variance) bytes per parameter; stage 1 shards the 12, stage 2 also
the gradient, stage 3 (FSDP) everything. Activations follow Korthikanti et al. 2022 ("Reducing Activation
Recomputation in Large Transformer Models"), generalised to GQA and gated MLPs.
"""

from __future__ import annotations

from isthmus.plan.perfmodel.models import ModelSpec

WEIGHT_BYTES = 2.0  # bf16 weights in training
GRAD_BYTES = 2.0  # bf16 gradients
OPTIMIZER_BYTES = 12.0  # fp32 master + Adam m + v


def training_state_bytes(params: float, dp: int, zero: int) -> float:
    """Weights + gradients + optimizer states of `params` parameters sharded over `dp` ranks at a ZeRO stage."""
    w, g, o = WEIGHT_BYTES * params, GRAD_BYTES * params, OPTIMIZER_BYTES * params
    if zero >= 1:
        o /= dp
    if zero >= 2:
        g /= dp
    if zero >= 3:
        w /= dp
    return w + g + o


def activation_bytes_per_token_layer(m: ModelSpec, tp: int, *, moe_layer: bool) -> float:
    """Stored activations of one token in one layer, bf16, flash attention, sequence parallel over `tp`.

    GPT-3 shapes give 2·(4h + 2h + 2h + 2·4h) = 32h bytes, Korthikanti's 34h less the dropout masks.
    """
    h = m.hidden
    q_dim = m.heads * m.qk_dim
    kv_dim = 2 * m.kv_heads * m.hd if not m.mla else m.kv_lora_rank + m.qk_rope_dim
    inner = (m.active_experts + m.shared_experts) * m.expert_ffn if moe_layer else m.ffn
    mlp = (3 if m.gated else 2) * inner
    elems = 4 * h + 2 * q_dim + kv_dim + mlp  # norms, projections' inputs, q/k/v, attention output, MLP inners
    return 2.0 * elems / tp


def checkpoint_bytes_per_token_layer(m: ModelSpec, tp: int) -> float:
    """Full recomputation keeps only each layer's input (bf16, sequence-parallel)."""
    return 2.0 * m.hidden / tp


def kv_cache_bytes_per_token(m: ModelSpec, kv_bytes: float) -> float:
    """KV-cache bytes of one token over all layers (GQA: K and V per KV head; MLA: the compressed latent)."""
    return m.kv_elems_per_token * kv_bytes


def elementwise_bytes_per_token(m: ModelSpec) -> float:
    """HBM traffic of one token's non-GEMM kernels (norms, rotary, activation, residual adds, softmax inputs) in
    one forward pass over all layers: each reads or writes about the layer's stored activations, 34·h bytes per
    token per layer in bf16 (Korthikanti et al. 2022, sec. 4.1). These kernels run between the GEMMs, so their
    time adds to the step rather than hiding under it."""
    return 34.0 * m.hidden * m.layers
