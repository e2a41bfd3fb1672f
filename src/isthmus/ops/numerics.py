"""Target arithmetic on the host: reduced-precision matmul inputs and autocast-dtype results.

What the emulation reproduces (and nothing more; docs/emulate.md lists the limits):

- autocast: a matmul-class operator (`mm`, `addmm`, `bmm`, `baddbmm`, `convolution`, attention kernels, ...) run
  under autocast on the device reads its inputs in the compute dtype (fp16 by default on Ascend, bf16 when chosen),
  accumulates in fp32 and writes its result in the compute dtype. We round the inputs to the compute dtype,
  compute in fp32 and round the result, then hand it back in the dtype the host program expects.
- HF32 / TF32: fp32 matmuls and convolutions whose inputs the device rounds to a shorter mantissa (HF32 on Ascend,
  TF32 on NVIDIA) get their inputs rounded the same way (round to nearest, ties to even).

Accumulation order, fused kernels, denormal flushing and the exact HF32 mantissa width are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isthmus.errors import InputError

if TYPE_CHECKING:
    import torch

# Operator packets (aten::name) whose arithmetic runs on the matrix unit (cube / tensor cores).
MATMUL_PACKETS = frozenset(
    {
        "aten::mm",
        "aten::addmm",
        "aten::bmm",
        "aten::baddbmm",
        "aten::addbmm",
        "aten::mv",
        "aten::addmv",
        "aten::dot",
        "aten::vdot",
        "aten::_scaled_mm",
        "aten::_scaled_dot_product_flash_attention_for_cpu",
        "aten::_scaled_dot_product_flash_attention",
        "aten::_scaled_dot_product_efficient_attention",
        "aten::_scaled_dot_product_cudnn_attention",
        "aten::_scaled_dot_product_flash_attention_for_cpu_backward",
    }
)
CONV_PACKETS = frozenset({"aten::convolution", "aten::convolution_backward", "aten::_convolution"})


@dataclass(frozen=True)
class NumericsPolicy:
    """How a device family does fp32 and mixed-precision matrix arithmetic by default (data/targets.yaml).

    `*_mantissa_bits` is the explicit mantissa width fp32 inputs are rounded to when the reduced-precision mode is
    on (None: the device keeps full fp32).
    """

    family: str
    autocast_dtype: str  # default dtype of `torch.autocast(device)` on this device
    matmul_mantissa_bits: int | None  # fp32 matmul input precision with the framework's default flags
    conv_mantissa_bits: int | None  # fp32 convolution input precision with the framework's default flags
    source: str  # one line: what the defaults are (the registry keeps the full source)


def policy_for(device_type: str) -> NumericsPolicy:
    """The numerics policy of a device family ("npu", "cuda", "cpu"); unknown families keep host arithmetic."""
    from isthmus import targets

    family, n = targets.numerics(device_type)
    return NumericsPolicy(family, n.autocast_dtype, n.matmul_mantissa_bits, n.conv_mantissa_bits, n.basis)


def round_mantissa(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Round an fp32 tensor to `bits` explicit mantissa bits (nearest, ties to even), keeping fp32 storage.

    Works on the bit pattern: add half an ulp of the shorter format (plus the tie-breaking bit) and clear the
    dropped bits. A carry into the exponent is the correct rounding up; overflow goes to inf.
    """
    import torch

    shift = 23 - bits
    if shift <= 0 or x.dtype != torch.float32:
        return x
    i = x.contiguous().view(torch.int32)
    lsb = (i >> shift) & 1
    i = (i + ((1 << (shift - 1)) - 1) + lsb) & ~((1 << shift) - 1)
    return i.view(torch.float32).view(x.shape)


def round_to(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """`x` rounded through `dtype` and returned in its own dtype (a no-op when they match)."""
    return x if x.dtype == dtype else x.to(dtype).to(x.dtype)


def _is_float(a: Any) -> bool:
    import torch

    return isinstance(a, torch.Tensor) and a.is_floating_point()


def _map_floats(args: tuple[Any, ...], fn: Any) -> tuple[Any, ...]:
    return tuple(fn(a) if _is_float(a) else a for a in args)


def run_autocast(
    func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], dtype: torch.dtype, all_outputs: bool = False
) -> Any:
    """Run a matmul-class op as the device does under autocast to `dtype`: inputs rounded to `dtype`, fp32
    arithmetic, the result rounded to `dtype` and handed back in the dtype the host op would have produced.

    Inputs already in `dtype` are computed in fp32 too: host fp16/bf16 kernels may accumulate differently (and
    CPU fp16 matmuls are slow). Only the first output is rounded (attention kernels also return fp32 statistics) unless
    `all_outputs` (backward kernels return one gradient per input).
    """
    import torch

    in_dtype = next((a.dtype for a in args if _is_float(a)), None)
    if in_dtype is None:
        return func(*args, **kwargs)
    out = func(*_map_floats(args, lambda a: a.to(dtype).to(torch.float32)), **kwargs)
    if isinstance(out, torch.Tensor):
        return out.to(dtype).to(in_dtype)
    if isinstance(out, tuple) and out:
        n = len(out) if all_outputs else 1
        return tuple(
            o.to(dtype).to(in_dtype) if i < n and isinstance(o, torch.Tensor) and o.is_floating_point() else o
            for i, o in enumerate(out)
        )
    return out


def run_reduced_fp32(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], bits: int) -> Any:
    """Run an fp32 matmul-class op with HF32/TF32-style input rounding."""
    return func(*_map_floats(args, lambda a: round_mantissa(a, bits)), **kwargs)


def describe_numerics(device_type: str, compute_dtype: torch.dtype | None) -> str:
    """One line for reports: what `--numerics` does on this device family."""
    p = policy_for(device_type)
    dt = str(compute_dtype).removeprefix("torch.") if compute_dtype is not None else "the fp16/bf16 input dtype"
    fp32 = []
    if p.matmul_mantissa_bits:
        fp32.append(f"fp32 matmul inputs rounded to {p.matmul_mantissa_bits} mantissa bits")
    if p.conv_mantissa_bits:
        fp32.append(f"fp32 convolution inputs rounded to {p.conv_mantissa_bits} mantissa bits")
    rest = "; ".join(fp32) or "fp32 matmuls kept at full precision"
    return f"matmul-class results rounded to {dt} (inputs rounded, fp32 accumulation); {rest} [{p.source}]"


def parse_dtype(name: str | None) -> torch.dtype | None:
    """'float16' / 'bf16' / ... -> torch dtype (None passes through); unknown names are an InputError."""
    if name is None:
        return None
    import torch

    aliases = {"fp16": "float16", "half": "float16", "bf16": "bfloat16", "fp32": "float32", "float": "float32"}
    dtype = getattr(torch, aliases.get(name.lower(), name.lower()), None)
    if not isinstance(dtype, torch.dtype) or dtype not in (torch.float16, torch.bfloat16, torch.float32):
        raise InputError(f"unknown compute dtype {name!r}", hint="use float16, bfloat16 or float32")
    return dtype
