"""The one tolerance table of `isthmus parity`, keyed by dtype, and the rule that picks the row.

Two floating-point runs of one model never agree bit for bit across devices or precisions; what matters is whether
a module's output is as close as the precision it was computed in allows. A module passes when both

- the cosine similarity of the two outputs is at least `cosine_min`, and
- the normalised RMSE (RMSE divided by the RMS of the reference run) is at most `nrmse_max`

(msprobe, Ascend's precision tool, judges on cosine similarity and error ratios in the same spirit; its fixed
thresholds are cosine >= 0.99 and max abs error <= 1, which do not scale with the tensor's magnitude). Integer and
boolean outputs must match exactly.

The row is chosen by the *least precise* dtype involved: the output dtypes of both runs and each run's compute dtype
(its autocast dtype, its model dtype, or the compute dtype of an emulated target). An fp32 output computed from bf16
matmuls under autocast carries bf16 error, so it is judged against the bf16 row.

Where the numbers come from: experiments on the example GPT (examples/tinygpt: 6 layers, random weights), not a
formula. The bf16 and fp16 rows sit a few times above the largest per-module nrmse measured between an fp32 run and
a bf16 / fp16 autocast run of that model, so reduced-precision noise passes; the fp32 row sits well below the error
that a 0.1 % kernel error leaves in an fp32 run, so a real bug fails (figures in docs/parity.md). The tf32 row copies
the fp16 row (same mantissa width). The fp64 and fp8 rows were not measured: fp64 is set far below fp32-level error,
so an fp64 run that silently computed in fp32 fails; the fp8 rows are loose bounds above the bf16 row.

For reference, nrmse_max in units of the dtype's unit roundoff u = 2^-p (p = stored mantissa bits + 1):
float64 u = 1.1e-16, 1e-10 = 9e5 u; float32 u = 6.0e-8, 1e-4 = 1700 u; tf32 and float16 u = 4.9e-4, 1e-2 = 20 u;
bfloat16 u = 3.9e-3, 5e-2 = 13 u; float8_e4m3fn u = 6.3e-2, 0.2 = 3 u; float8_e5m2 u = 0.125, 0.3 = 2.4 u. The
multiples differ by orders of magnitude: the rows are empirical, not a fixed multiple of u.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """Pass thresholds for one precision."""

    dtype: str
    cosine_min: float  # cosine similarity of the two outputs must be at least this
    nrmse_max: float  # RMSE / RMS(reference) must be at most this
    exact: bool = False  # integers and booleans: every compared element must be equal


# Mantissa bits including the implicit one; fewer bits = less precise. Floats only: integer and boolean outputs
# never reach this ranking (`tolerance_for` judges them exactly, whatever precision the run computed in).
PRECISION_BITS: dict[str, int] = {
    "float64": 53,
    "float32": 24,
    "tf32": 11,  # TF32 / HF32 matmul inputs: fp32 range, 10 stored mantissa bits
    "float16": 11,
    "bfloat16": 8,
    "float8_e4m3fn": 4,
    "float8_e5m2": 3,
}

# THE table (chosen by experiment, see the module docstring). u = 2^-bits for reference: fp64 1.1e-16,
# fp32 6.0e-8, tf32/fp16 4.9e-4, bf16 3.9e-3, fp8 e4m3 6.3e-2, fp8 e5m2 0.125.
TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance("float64", cosine_min=0.99999999, nrmse_max=1e-10),
    "float32": Tolerance("float32", cosine_min=0.999999, nrmse_max=1e-4),
    "tf32": Tolerance("tf32", cosine_min=0.9999, nrmse_max=1e-2),
    "float16": Tolerance("float16", cosine_min=0.9999, nrmse_max=1e-2),
    "bfloat16": Tolerance("bfloat16", cosine_min=0.999, nrmse_max=5e-2),
    "float8_e4m3fn": Tolerance("float8_e4m3fn", cosine_min=0.99, nrmse_max=0.2),
    "float8_e5m2": Tolerance("float8_e5m2", cosine_min=0.99, nrmse_max=0.3),
}
EXACT = Tolerance("exact", cosine_min=1.0, nrmse_max=0.0, exact=True)


def is_float_dtype(dtype: str) -> bool:
    """True for the floating dtypes of the table and for complex dtypes (compared through their real view)."""
    return dtype in PRECISION_BITS or dtype.startswith("complex")


def _as_real(dtype: str) -> str:
    # complex64 is a pair of float32, complex128 a pair of float64, complex32 a pair of float16
    return {"complex32": "float16", "complex64": "float32", "complex128": "float64"}.get(dtype, dtype)


def effective_dtype(*dtypes: str | None) -> str:
    """The least precise of the floating dtypes given (None and integer dtypes are ignored)."""
    floats = [_as_real(d) for d in dtypes if d is not None and is_float_dtype(d)]
    known = [d for d in floats if d in PRECISION_BITS]
    if not known:
        return "float32"  # unknown float formats: judged as fp32, the common default
    return min(known, key=lambda d: PRECISION_BITS[d])


def tolerance_for(output_dtypes: tuple[str, str], compute_dtypes: tuple[str | None, str | None]) -> Tolerance:
    """The row that judges one module: exact for integer outputs, else the least precise dtype involved."""
    if not any(is_float_dtype(d) for d in output_dtypes):
        return EXACT
    return TOLERANCES[effective_dtype(*output_dtypes, *compute_dtypes)]
