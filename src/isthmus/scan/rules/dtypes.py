"""IST6xx: dtypes (portability.md §6.6)."""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules.base import Case, NameRule, NodeRule


class Float64(NameRule):
    """fp64 support on Ascend is op-dependent: some ops fail, some (cumsum) silently downcast to fp32
    (diffusers#10123, LongCat-Image#21).

    Bad:  `freqs = torch.arange(n, dtype=torch.float64, device=dev)`
    Good: float32 on the device; keep fp64 on the CPU where precision matters, then cast
    """

    code = "IST601"
    name = "float64"
    category = "dtypes"
    severity = "warning"
    message = "fp64 is op-dependent on Ascend (errors or silent fp32): compute in fp32 or keep it on the CPU"
    tokens = (b"float64", b"double")
    names: ClassVar[dict[str, str | None]] = {"torch.float64": None, "torch.double": None}
    VALID = ("import torch\nx = torch.zeros(3, dtype=torch.float32)",)
    INVALID = ("import torch\nx = torch.zeros(3, dtype=torch.float64)", "import torch as th\nd = th.double")


class DoubleMethod(NodeRule):
    """`.double()` casts to fp64, which is op-dependent on Ascend.

    Bad:  `y = x.double().cumsum(0)`
    Good: `y = x.float().cumsum(0)` (or do the fp64 part on the CPU)
    """

    code = "IST602"
    name = "double-method"
    category = "dtypes"
    severity = "warning"
    message = "fp64 is op-dependent on Ascend: use .float() or compute on the CPU"
    tokens = (b".double(",)
    node_types = (ast.Call,)
    VALID = ("y = x.float()", "z = double(3)")
    INVALID = ("y = x.double()",)

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "double" and not node.args:
            ctx.report(self, node)


class Complex128(NameRule):
    """complex128 depends on fp64 support, which is op-dependent on Ascend.

    Bad:  `z = torch.zeros(4, dtype=torch.complex128)`
    Good: complex64, or real-valued cos/sin arithmetic
    """

    code = "IST603"
    name = "complex128"
    category = "dtypes"
    severity = "warning"
    message = "complex128 needs fp64 (op-dependent on Ascend): use complex64 or real arithmetic"
    tokens = (b"complex128", b"cdouble")
    names: ClassVar[dict[str, str | None]] = {"torch.complex128": None, "torch.cdouble": None}
    VALID = ("import torch\nz = torch.zeros(4, dtype=torch.complex64)",)
    INVALID = ("import torch\nz = torch.zeros(4, dtype=torch.complex128)",)


class ComplexOps(NameRule):
    """Complex tensors (complex RoPE via `view_as_complex`/`polar`) have kernels on Ascend by name, but
    coverage per op and dtype is thinner than for real tensors.

    Bad:  `xc = torch.view_as_complex(x.reshape(..., -1, 2))`
    Good: rotary embeddings with real cos/sin tables
    """

    code = "IST604"
    name = "complex-ops"
    category = "dtypes"
    severity = "info"
    message = "complex arithmetic: verify each op on the target, or use real cos/sin arithmetic"
    tokens = (b"complex", b"polar", b"cfloat")
    names: ClassVar[dict[str, str | None]] = {
        n: None for n in ("torch.view_as_complex", "torch.polar", "torch.complex64", "torch.cfloat")
    }
    VALID = ("import torch\nc = torch.cos(x)",)
    INVALID = ("import torch\nxc = torch.view_as_complex(x)",)


class UnsignedInts(NameRule):
    """uint16/32/64 arithmetic is not supported on Ascend ("scalar_type:UInt64 is not supported",
    Ascend/pytorch#158).

    Bad:  `idx = torch.zeros(4, dtype=torch.uint64)`
    Good: int32/int64
    """

    code = "IST605"
    name = "unsigned-ints"
    category = "dtypes"
    severity = "error"
    message = "unsupported on Ascend: use int32/int64"
    tokens = (b"uint16", b"uint32", b"uint64")
    names: ClassVar[dict[str, str | None]] = {n: None for n in ("torch.uint16", "torch.uint32", "torch.uint64")}
    VALID = ("import torch\ni = torch.zeros(4, dtype=torch.int64)", "import torch\nb = torch.uint8")
    INVALID = ("import torch\ni = torch.zeros(4, dtype=torch.uint64)",)


class Fp8(NameRule):
    """FP8 dtypes and `torch._scaled_mm` depend on the chip generation.

    Bad:  `w8 = w.to(torch.float8_e4m3fn)` without a capability check
    Good: check the platform's fp8 support first, with a bf16 fallback
    """

    code = "IST606"
    name = "fp8"
    category = "dtypes"
    severity = "warning"
    message = "FP8 depends on the chip: check support first and keep a bf16 path"
    tokens = (b"float8", b"_scaled_mm")
    names: ClassVar[dict[str, str | None]] = {
        n: None
        for n in (
            "torch.float8_e4m3fn",
            "torch.float8_e4m3fnuz",
            "torch.float8_e5m2",
            "torch.float8_e5m2fnuz",
            "torch.float8_e8m0fnu",
            "torch._scaled_mm",
        )
    }
    VALID = ("import torch\nw = w.to(torch.bfloat16)",)
    INVALID = ("import torch\nw = w.to(torch.float8_e4m3fn)",)


class CudaBf16Supported(NameRule):
    """`torch.cuda.is_bf16_supported()` answers for CUDA only (False-y or failing on the target).

    Bad:  `if torch.cuda.is_bf16_supported(): model = model.bfloat16()`
    Good: `torch.get_device_module().is_bf16_supported()`
    """

    code = "IST607"
    name = "cuda-bf16-supported"
    category = "dtypes"
    severity = "warning"
    message = "answers for CUDA only: use torch.get_device_module().is_bf16_supported()"
    tokens = (b"bf16",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.is_bf16_supported": "!{torch}.get_device_module().is_bf16_supported",
    }
    VALID = ("import torch\nok = torch.get_device_module().is_bf16_supported()",)
    INVALID = (
        Case(
            "import torch\nok = torch.cuda.is_bf16_supported()",
            "import torch\nok = torch.get_device_module().is_bf16_supported()",
        ),
    )


class DefaultDtypeFloat64(NodeRule):
    """`torch.set_default_dtype(torch.float64)` makes every new float tensor fp64, op-dependent on Ascend.

    Bad:  `torch.set_default_dtype(torch.float64)`
    Good: keep the float32 default; request fp64 explicitly on the CPU where needed
    """

    code = "IST608"
    name = "default-dtype-float64"
    category = "dtypes"
    severity = "error"
    message = "every float tensor becomes fp64 (op-dependent on Ascend): keep the float32 default"
    tokens = (b"set_default_dtype",)
    node_types = (ast.Call,)
    VALID = ("import torch\ntorch.set_default_dtype(torch.float32)",)
    INVALID = ("import torch\ntorch.set_default_dtype(torch.float64)",)

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        if (
            ctx.qualname(node.func) == "torch.set_default_dtype"
            and node.args
            and ctx.qualname(node.args[0]) in ("torch.float64", "torch.double")
        ):
            ctx.report(self, node)
