"""Element-wise error metrics between a reference and a candidate tensor (pure functions over NumPy arrays).

The set follows Ascend's msprobe comparison: cosine similarity, maximum absolute and relative error, RMSE, and the
share of elements within 0.1 % and 0.5 % relative error ("one/five thousandths error ratio"). Normalised RMSE (RMSE
over the reference's RMS) is added because, unlike max-abs error, it does not depend on the tensor's scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class Metrics:
    """Errors of candidate b against reference a over `n` compared elements."""

    n: int
    cosine: float  # 1.0 when both are all zero, 0.0 when only one is
    max_abs: float
    max_rel: float  # |b - a| / |a|; elements where a == 0 count only if b != 0 (then with |a| = tiny)
    rmse: float
    nrmse: float  # rmse / rms(a); inf when a is all zero and b is not
    within_0_1: float  # share of elements with relative error < 0.001
    within_0_5: float  # share of elements with relative error < 0.005
    nonfinite_mismatch: int  # positions where NaN/Inf in one side is not the same NaN/Inf in the other
    exact: bool  # every element equal


def compare_arrays(a: np.ndarray, b: np.ndarray) -> Metrics:
    """Metrics of b against a (same shape, any numeric dtype); non-finite values must sit at the same positions."""
    a64 = np.asarray(a, dtype=np.float64).reshape(-1)
    b64 = np.asarray(b, dtype=np.float64).reshape(-1)
    fa, fb = np.isfinite(a64), np.isfinite(b64)
    same_special = (~fa) & (~fb) & ((a64 == b64) | (np.isnan(a64) & np.isnan(b64)))
    nonfinite_mismatch = int(np.count_nonzero((~fa | ~fb) & ~same_special))
    both = fa & fb
    a64, b64 = a64[both], b64[both]
    n = int(a64.size)
    exact = nonfinite_mismatch == 0 and bool(np.array_equal(a64, b64))
    if n == 0:
        return Metrics(0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, nonfinite_mismatch, exact)
    diff = np.abs(b64 - a64)
    rel = np.where(diff == 0, 0.0, diff / np.maximum(np.abs(a64), TINY))
    rmse = math.sqrt(float(np.mean(diff * diff)))
    rms_a = math.sqrt(float(np.mean(a64 * a64)))
    nrmse = rmse / rms_a if rms_a > 0 else (0.0 if rmse == 0 else math.inf)
    return Metrics(
        n=n,
        cosine=cosine(a64, b64),
        max_abs=float(diff.max()),
        max_rel=float(rel.max()),
        rmse=rmse,
        nrmse=nrmse,
        within_0_1=float(np.mean(rel < 1e-3)),
        within_0_5=float(np.mean(rel < 5e-3)),
        nonfinite_mismatch=nonfinite_mismatch,
        exact=exact,
    )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity, clipped to [-1, 1]; 1.0 for two zero vectors, 0.0 when exactly one is zero."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    if np.array_equal(a, b):
        return 1.0  # exactly, not up to the rounding of dot / (|a| |b|)
    return max(-1.0, min(1.0, float(np.dot(a, b)) / (na * nb)))


def relative_gap(ref: float | None, other: float | None) -> float | None:
    """|other - ref| / |ref| for two statistics (None if either is missing); 0 when both are 0."""
    if ref is None or other is None:
        return None
    if ref == 0:
        return 0.0 if other == 0 else math.inf
    return abs(other - ref) / abs(ref)
