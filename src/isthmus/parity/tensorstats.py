"""Streaming statistics and a deterministic element sample of one tensor.

The recorder calls `summarise` on every module output the moment it is produced and keeps only what it returns
(eight numbers and a few thousand elements), never the activation itself, so recording a model costs memory near
its largest single activation.

Sample positions depend only on the number of elements and the sample size (stratified: one element per equal
stratum of the flat index range, at an offset from a fixed integer hash), so two records of the same module hold the
same positions and can be compared element-wise on any machine. The scheme is named in the manifest (`SAMPLING`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

SAMPLING = "stratified-splitmix64-v1"
DEFAULT_SAMPLES = 4096  # elements kept per tensor: 16 KiB in fp32


@dataclass(frozen=True)
class Stats:
    """Summary of one tensor over its finite elements (None when it has none), with NaN/Inf counts."""

    mean: float | None
    std: float | None  # population standard deviation
    min: float | None
    max: float | None
    absmax: float | None
    l2: float | None  # Euclidean norm
    nan: int
    inf: int


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser over uint64 (Steele, Lea and Flood 2014): a fixed, portable integer hash."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@functools.lru_cache(maxsize=256)
def sample_positions(numel: int, k: int) -> np.ndarray:
    """Sorted, distinct flat indices of the sample: all of them when `numel <= k`, else one per stratum."""
    if numel <= k:
        return np.arange(numel, dtype=np.int64)
    i = np.arange(k + 1, dtype=np.int64)
    bounds = (i * numel) // k  # stratum i is [bounds[i], bounds[i+1]), never empty because numel > k
    width = (bounds[1:] - bounds[:-1]).astype(np.uint64)
    offset = _splitmix64(np.arange(k, dtype=np.uint64)) % width
    positions: np.ndarray = bounds[:-1] + offset.astype(np.int64)
    positions.setflags(write=False)
    return positions


_INDEX_CACHE: dict[tuple[int, int, str], torch.Tensor] = {}


def _device_positions(numel: int, k: int, device: torch.device) -> torch.Tensor:
    import torch

    key = (numel, k, str(device))
    cached = _INDEX_CACHE.get(key)
    if cached is None:
        if len(_INDEX_CACHE) > 256:
            _INDEX_CACHE.clear()
        cached = torch.from_numpy(sample_positions(numel, k).copy()).to(device)
        _INDEX_CACHE[key] = cached
    return cached


def real_view(t: torch.Tensor) -> torch.Tensor:
    """Complex tensors as their (..., 2) real view; everything else unchanged."""
    import torch

    return torch.view_as_real(t) if t.is_complex() else t


def summarise(t: torch.Tensor, k: int) -> tuple[Stats, torch.Tensor]:
    """Statistics of `t` and its sample on the CPU (float32, float64 for float64 input, int64 for integers)."""
    import torch

    x = real_view(t.detach())
    flat = x.reshape(-1)
    if x.is_floating_point():
        # keep the user's own fp64 tensors in fp64 (no extra fp64 work is created on the device)
        work = flat if flat.dtype in (torch.float32, torch.float64) else flat.float()  # isthmus: ignore[IST601]
        store_dtype = torch.float64 if flat.dtype == torch.float64 else torch.float32  # isthmus: ignore[IST601]
    else:  # integers and booleans: float32 statistics (fp64 is not native on every accelerator)
        work = flat.float()
        store_dtype = torch.int64
    numel = work.numel()
    sample = flat[_device_positions(numel, k, flat.device)] if numel > k else flat
    sample = sample.to(device="cpu", dtype=store_dtype, copy=True)
    if numel == 0:
        return Stats(None, None, None, None, None, None, 0, 0), sample
    # Three fast reductions (sum, L2 norm, min/max; std_mean is ~10x slower on CPU): NaN/Inf propagate into them,
    # and exact counts are taken on a slow path only when a result is not finite. std = sqrt(E[x^2] - mean^2),
    # informational only (it loses digits when |mean| >> std); verdicts use the L2 norm, which is exact here.
    lo, hi = torch.aminmax(work)
    parts = [work.sum(), torch.linalg.vector_norm(work), lo, hi]
    total, l2, mn, mx = torch.stack(parts).cpu().tolist()  # one device-to-host transfer
    if not all(math.isfinite(v) for v in (total, l2, mn, mx)):
        return _finite_stats(work), sample
    mean = total / numel
    std = math.sqrt(max(l2 * l2 / numel - mean * mean, 0.0))
    return Stats(mean, std, mn, mx, max(abs(mn), abs(mx)), l2, 0, 0), sample


def _finite_stats(work: torch.Tensor) -> Stats:
    """Slow path for tensors with NaN or Inf (or fp32 overflow): counts, and statistics over finite elements."""
    import torch

    n_nan, n_inf = int(torch.isnan(work).sum()), int(torch.isinf(work).sum())
    host = work.cpu()  # rare path: counted and summarised on the host, where fp64 is native
    finite = host[torch.isfinite(host)].to(torch.float64)  # isthmus: ignore[IST601]
    if finite.numel() == 0:
        return Stats(None, None, None, None, None, None, n_nan, n_inf)
    std, mean = torch.std_mean(finite, correction=0)
    lo, hi = torch.aminmax(finite)
    mn, mx = float(lo), float(hi)
    return Stats(
        float(mean), float(std), mn, mx, max(abs(mn), abs(mx)), float(torch.linalg.vector_norm(finite)), n_nan, n_inf
    )


def finite_or_none(x: float | None) -> float | None:
    """JSON has no NaN/Inf: overflowing statistics are stored as null."""
    return x if x is not None and math.isfinite(x) else None
