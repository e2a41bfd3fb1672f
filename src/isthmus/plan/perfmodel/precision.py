"""Serving and training precisions: which peak they run at and how many bytes they store per value."""

from __future__ import annotations

from dataclasses import dataclass

from isthmus.errors import InputError


@dataclass(frozen=True)
class Precision:
    """How one precision choice maps to hardware peaks and storage."""

    name: str
    peak: str  # catalogue precision of the matmuls ("bf16", "fp8", "int8")
    weight_bytes: float  # bytes per stored weight
    dispatch_bytes: float  # bytes per activation element sent to experts (quantised before dispatch)
    kv_bytes: float  # default bytes per cached K/V element


# Attention score/value products run in BF16 under every precision here (FlashAttention-style kernels), and the
# combine of expert outputs is sent back in BF16; only the weight matmuls take the quantised path.
PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", "bf16", 2.0, 2.0, 2.0),
    "fp16": Precision("fp16", "fp16", 2.0, 2.0, 2.0),
    "fp8": Precision("fp8", "fp8", 1.0, 1.0, 1.0),  # FP8 weights and activations, FP8 KV cache
    "int8": Precision("int8", "int8", 1.0, 1.0, 2.0),  # W8A8: INT8 GEMMs, BF16 KV cache
    "w8a8": Precision("w8a8", "int8", 1.0, 1.0, 2.0),
    "w4a8": Precision("w4a8", "int8", 0.5, 1.0, 2.0),  # 4-bit weights dequantised into INT8 GEMMs
}
KV_DTYPES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}


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
