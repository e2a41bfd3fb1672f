"""Serving and training precisions: which peak each weight class runs at, how many bytes it stores per value, and
what dequantisation costs.

A precision says separately how the routed experts and the dense weights (attention, dense MLPs, shared experts,
LM head) are stored, because the published low-bit recipes quantise them differently: Ascend's W4A8 (msModelSlim,
as served by SGLang and MindIE on Atlas 800I A3) stores the routed experts in 4 bits and keeps W8A8 for the rest;
NVFP4 / MXFP4 checkpoints of DeepSeek-R1 quantise the experts and keep attention in FP8 ("-moe" variants) or
quantise every linear layer. Scales are counted in the bytes: NVFP4 adds one FP8 scale per 16 values
(0.5 + 1/16 byte), MXFP4 one E8M0 scale per 32 (0.5 + 1/32 byte); OCP MX specification v1.0, NVIDIA NVFP4 blog.
"""

from __future__ import annotations

from dataclasses import dataclass

from isthmus.errors import InputError


@dataclass(frozen=True)
class Precision:
    """How one precision choice maps to hardware peaks and storage."""

    name: str
    peak: str  # catalogue precision of the dense-weight matmuls ("bf16", "fp8", "int8", "fp4")
    weight_bytes: float  # bytes per stored dense weight (attention, dense MLP, shared experts, LM head)
    dispatch_bytes: float  # bytes per activation element sent to experts (quantised before dispatch)
    kv_bytes: float  # default bytes per cached K/V element
    expert_weight_bytes: float = 0.0  # bytes per routed-expert weight (0: same as weight_bytes)
    expert_peak: str = ""  # catalogue precision of the expert matmuls ("": same as peak)
    dequant: float = 0.0  # extra matmul time share for weights widened before the GEMM (W4A8: 4 -> 8 bit)

    @property
    def expert_bytes(self) -> float:
        return self.expert_weight_bytes or self.weight_bytes

    @property
    def experts_at(self) -> str:
        return self.expert_peak or self.peak

    def quantised(self) -> str:
        """Which weights the low-bit format covers, in words (for the assumptions of an answer)."""
        if self.expert_bytes == self.weight_bytes and self.experts_at == self.peak:
            return f"every linear layer at {self.peak} ({self.weight_bytes:g} B/weight)"
        return (
            f"routed experts at {self.experts_at} ({self.expert_bytes:g} B/weight), "
            f"attention/dense/shared at {self.peak} ({self.weight_bytes:g} B/weight)"
        )


_NVFP4 = 0.5 + 1 / 16  # 4-bit values + one FP8 scale per 16
_MXFP4 = 0.5 + 1 / 32  # 4-bit values + one E8M0 scale per 32
# W4A8 dequantisation: the int4 weights are widened to int8 inside the GEMM's tile loop; Ascend's W4A8 grouped
# matmul reaches about the W8A8 kernel's speed at decode batch sizes but not at prefill sizes. A prior, not fitted:
# the extra share of matmul time (no public figure isolates it).
_W4A8_DEQUANT = 0.15

# Attention score/value products run in BF16 under every precision here (FlashAttention-style kernels), and the
# combine of expert outputs is sent back in BF16; only the weight matmuls take the quantised path.
PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", "bf16", 2.0, 2.0, 2.0),
    "fp16": Precision("fp16", "fp16", 2.0, 2.0, 2.0),
    "fp8": Precision("fp8", "fp8", 1.0, 1.0, 1.0),  # FP8 weights and activations, FP8 KV cache
    "int8": Precision("int8", "int8", 1.0, 1.0, 2.0),  # W8A8: INT8 GEMMs, BF16 KV cache
    "w8a8": Precision("w8a8", "int8", 1.0, 1.0, 2.0),
    # W4A8 (msModelSlim): routed experts in int4, dequantised into INT8 GEMMs; the rest W8A8
    "w4a8": Precision("w4a8", "int8", 1.0, 1.0, 2.0, expert_weight_bytes=0.5, dequant=_W4A8_DEQUANT),
    "nvfp4": Precision("nvfp4", "fp4", _NVFP4, _NVFP4, 1.0),  # every linear layer NVFP4, FP8 KV cache
    "mxfp4": Precision("mxfp4", "fp4", _MXFP4, _MXFP4, 1.0),
    "fp4": Precision("fp4", "fp4", _NVFP4, _NVFP4, 1.0),  # alias of nvfp4
    # experts NVFP4, attention and dense layers FP8 (DeepSeek-R1-FP4, SGLang GB200 "NVFP4 MoE")
    "nvfp4-moe": Precision("nvfp4-moe", "fp8", 1.0, _NVFP4, 1.0, expert_weight_bytes=_NVFP4, expert_peak="fp4"),
    "mxfp4-moe": Precision("mxfp4-moe", "bf16", 2.0, 2.0, 2.0, expert_weight_bytes=_MXFP4, expert_peak="fp4"),
    "mxfp8": Precision("mxfp8", "fp8", 1.0 + 1 / 32, 1.0, 1.0),  # training recipes (FP8-MX): E8M0 per 32
}
KV_DTYPES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5625}


def get_precision(name: str) -> Precision:
    p = PRECISIONS.get(name.lower())
    if p is None:
        raise InputError(f"unknown precision {name!r}", hint=f"use one of {', '.join(PRECISIONS)}")
    return p


def kv_bytes(precision: Precision, kv_dtype: str | None) -> float:
    if kv_dtype is None:
        return precision.kv_bytes
    if kv_dtype.lower() not in KV_DTYPES:
        raise InputError(f"unknown KV-cache dtype {kv_dtype!r}", hint=f"use one of {', '.join(KV_DTYPES)}")
    return KV_DTYPES[kv_dtype.lower()]
