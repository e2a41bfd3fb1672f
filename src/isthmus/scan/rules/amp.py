"""IST3xx: AMP and numerics flags (portability.md §6.3)."""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules._packages import import_names
from isthmus.scan.rules.base import Case, NameRule, devtype

_DEV = 'getattr(torch.accelerator.current_accelerator(), "type", "cpu")'
_AUTOCAST_POSITIONAL = ("enabled", "dtype", "cache_enabled")  # torch.cuda.amp.autocast's parameter order


def _insert_first_arg(call: ast.Call, func_text: str, first: str, ctx: PyContext) -> str:
    """Rewrite `f(<args>)` as `func_text(first, <args>)`, keeping the argument text (and comments) as is."""
    src = ctx.text(call)
    rest = src[len(ctx.text(call.func)) :]
    open_at = rest.index("(")
    inner = rest[open_at + 1 :]
    sep = ", " if (call.args or call.keywords) else ""
    return f"{func_text}({first}{sep}{inner}"


class CudaAutocast(NameRule):
    """`torch.cuda.amp.autocast` is CUDA-bound (and deprecated): on the target it warns and disables itself,
    so the model silently runs in fp32.

    Bad:  `with torch.cuda.amp.autocast(dtype=torch.bfloat16): ...` (also `from torch.cuda.amp import autocast`)
    Good: `with torch.amp.autocast(dev.type, dtype=torch.bfloat16): ...`
    """

    code = "IST301"
    name = "cuda-autocast"
    category = "amp"
    severity = "warning"
    message = "CUDA-only autocast (disabled on the target): use torch.amp.autocast(<device type>, ...)"
    tokens = (b"autocast",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.amp.autocast": None,
        "torch.cuda.amp.autocast_mode.autocast": None,
    }
    VALID = (
        "import torch\nwith torch.amp.autocast(dev.type):\n    pass\n",
        "import torch\nwith torch.autocast(device_type=d):\n    pass\n",
    )
    INVALID = (
        Case(
            "import torch\nwith torch.cuda.amp.autocast(dtype=torch.bfloat16):\n    pass\n",
            f"import torch\nwith torch.amp.autocast({_DEV}, dtype=torch.bfloat16):\n    pass\n",
        ),
        Case(
            "from torch.cuda.amp import autocast\nwith autocast(True, torch.float16):\n    pass\n",
            "from torch.cuda.amp import autocast\nimport torch\n"
            f"with torch.amp.autocast({_DEV}, enabled=True, dtype=torch.float16):\n    pass\n",
        ),
        Case(
            "import torch\nwith torch.cuda.amp.autocast():\n    pass\n",
            f"import torch\nwith torch.amp.autocast({_DEV}):\n    pass\n",
        ),
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        fix = None
        if (
            isinstance(parent, ast.Call)
            and parent.func is node
            and not any(isinstance(a, ast.Starred) for a in parent.args)
        ):
            new_func = f"{ctx.torch_name}.amp.autocast"
            if not parent.args:
                text = _insert_first_arg(parent, new_func, devtype(ctx), ctx)
            elif len(parent.args) <= len(_AUTOCAST_POSITIONAL):
                args = [f"{n}={ctx.text(a)}" for n, a in zip(_AUTOCAST_POSITIONAL, parent.args, strict=False)]
                args += [ctx.text(k) for k in parent.keywords]
                text = f"{new_func}({', '.join([devtype(ctx), *args])})"
            else:
                text = ""
            if text:
                fix = ctx.replace(parent, text, "use torch.amp.autocast(<device type>, ...)")
        ctx.report(self, node, self.message_for(qualname), fix)


class CudaGradScaler(NameRule):
    """`torch.cuda.amp.GradScaler` is CUDA-bound: on the target it disables itself, so fp16 gradients can
    silently underflow.

    Bad:  `scaler = torch.cuda.amp.GradScaler(enabled=use_fp16)`
    Good: `scaler = torch.amp.GradScaler(dev.type, enabled=use_fp16)`
    """

    code = "IST302"
    name = "cuda-grad-scaler"
    category = "amp"
    severity = "warning"
    message = "CUDA-only GradScaler (disabled on the target): use torch.amp.GradScaler(<device type>, ...)"
    tokens = (b"GradScaler",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.amp.GradScaler": None,
        "torch.cuda.amp.grad_scaler.GradScaler": None,
    }
    VALID = ("import torch\ns = torch.amp.GradScaler(dev.type)",)
    INVALID = (
        Case(
            "import torch\ns = torch.cuda.amp.GradScaler(enabled=fp16)",
            f"import torch\ns = torch.amp.GradScaler({_DEV}, enabled=fp16)",
        ),
        Case(
            "from torch.cuda.amp import GradScaler\ns = GradScaler()",
            f"from torch.cuda.amp import GradScaler\nimport torch\ns = torch.amp.GradScaler({_DEV})",
        ),
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        fix = None
        if isinstance(parent, ast.Call) and parent.func is node:
            text = _insert_first_arg(parent, f"{ctx.torch_name}.amp.GradScaler", devtype(ctx), ctx)
            fix = ctx.replace(parent, text, "use torch.amp.GradScaler(<device type>, ...)")
        ctx.report(self, node, self.message_for(qualname), fix)


class CudaCustomFwd(NameRule):
    """`torch.cuda.amp.custom_fwd/custom_bwd` consult CUDA's autocast state only.

    Bad:  `@torch.cuda.amp.custom_fwd(cast_inputs=torch.float32)`
    Good: `@torch.amp.custom_fwd(device_type=dev.type, cast_inputs=torch.float32)`
    """

    code = "IST303"
    name = "cuda-custom-fwd"
    category = "amp"
    severity = "warning"
    message = "CUDA-only autocast decorator: use torch.amp.custom_fwd/custom_bwd(device_type=...)"
    tokens = (b"custom_fwd", b"custom_bwd")
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.amp.custom_fwd": None, "torch.cuda.amp.custom_bwd": None}
    VALID = ("import torch\n@torch.amp.custom_fwd(device_type='npu')\ndef f(ctx, x):\n    return x\n",)
    INVALID = (
        Case(
            "import torch\n@torch.cuda.amp.custom_fwd\ndef f(ctx, x):\n    return x\n",
            f"import torch\n@torch.amp.custom_fwd(device_type={_DEV})\ndef f(ctx, x):\n    return x\n",
        ),
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        which = qualname.rsplit(".", 1)[-1]
        new = f"{ctx.torch_name}.amp.{which}"
        fix = None
        if isinstance(parent, ast.Call) and parent.func is node:
            fix = ctx.replace(
                parent,
                _insert_first_arg(parent, new, f"device_type={devtype(ctx)}", ctx),
                f"use torch.amp.{which}(device_type=...)",
            )
        elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fix = ctx.replace(node, f"{new}(device_type={devtype(ctx)})", f"use torch.amp.{which}(device_type=...)")
        ctx.report(self, node, self.message_for(qualname), fix)


class AutocastGpuDtype(NameRule):
    """The `*_autocast_gpu_dtype` functions only speak about CUDA.

    Bad:  `dt = torch.get_autocast_gpu_dtype()`
    Good: `dt = torch.get_autocast_dtype(dev.type)`
    """

    code = "IST304"
    name = "autocast-gpu-dtype"
    category = "amp"
    severity = "warning"
    message = "CUDA-only autocast query: use torch.get_autocast_dtype/set_autocast_dtype(<device type>, ...)"
    tokens = (b"autocast_gpu",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.get_autocast_gpu_dtype": None,
        "torch.set_autocast_gpu_dtype": None,
    }
    VALID = ("import torch\ndt = torch.get_autocast_dtype('npu')",)
    INVALID = (
        Case(
            "import torch\ndt = torch.get_autocast_gpu_dtype()", f"import torch\ndt = torch.get_autocast_dtype({_DEV})"
        ),
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        fix = None
        if isinstance(parent, ast.Call) and parent.func is node:
            new = f"{ctx.torch_name}.{qualname.rsplit('.', 1)[-1].replace('_gpu', '')}"
            fix = ctx.replace(parent, _insert_first_arg(parent, new, devtype(ctx), ctx), "pass the device type")
        ctx.report(self, node, self.message_for(qualname), fix)


class Tf32Flags(NameRule):
    """TF32 switches under `torch.backends.cuda/cudnn` have no effect on the target, which has its own HF32
    flags with their own defaults (`torch.npu.matmul.allow_hf32`, `torch.npu.conv.allow_hf32`).

    Bad:  `torch.backends.cuda.matmul.allow_tf32 = True`
    Good: set the flag through a platform helper that also sets the target's equivalent
    """

    code = "IST305"
    name = "tf32-flags"
    category = "amp"
    severity = "warning"
    message = "no effect on the target (it has HF32 flags with their own defaults): set both via a helper"
    tokens = (b"tf32", b"reduced_precision")
    names: ClassVar[dict[str, str | None]] = {
        "torch.backends.cuda.matmul.allow_tf32": None,
        "torch.backends.cudnn.allow_tf32": None,
        "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction": None,
        "torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction": None,
    }
    VALID = ("import torch\nallow_tf32 = True",)
    INVALID = (
        "import torch\ntorch.backends.cuda.matmul.allow_tf32 = True",
        "import torch\ntorch.backends.cudnn.allow_tf32 = True",
    )


class MatmulPrecision(NameRule):
    """`torch.set_float32_matmul_precision` drives CUDA TF32; the target's HF32 flags are separate.

    Bad:  `torch.set_float32_matmul_precision("high")` alone
    Good: the same call plus the target's HF32 setting, in one platform helper
    """

    code = "IST306"
    name = "matmul-precision"
    category = "amp"
    severity = "info"
    message = "drives CUDA TF32 only: also configure the target's HF32 flags"
    tokens = (b"matmul_precision",)
    names: ClassVar[dict[str, str | None]] = {"torch.set_float32_matmul_precision": None}
    VALID = ("import torch\np = torch.get_float32_matmul_precision()",)
    INVALID = ("import torch\ntorch.set_float32_matmul_precision('high')",)


class CudnnFlags(NameRule):
    """`torch.backends.cudnn.*` switches are no-ops on the target (reproducibility settings silently lost).

    Bad:  `torch.backends.cudnn.deterministic = True`
    Good: `torch.use_deterministic_algorithms(True)` (plus HCCL_DETERMINISTIC on Ascend)
    """

    code = "IST307"
    name = "cudnn-flags"
    category = "amp"
    severity = "info"
    message = "cuDNN switch is a no-op on the target: use torch.use_deterministic_algorithms() for determinism"
    tokens = (b"cudnn",)
    names: ClassVar[dict[str, str | None]] = {"torch.backends.cudnn": None}
    VALID = ("import torch\ntorch.use_deterministic_algorithms(True)",)
    INVALID = (
        "import torch\ntorch.backends.cudnn.benchmark = True",
        "import torch.backends.cudnn as cudnn\ncudnn.deterministic = True",
    )


class SdpKernelFlags(NameRule):
    """CUDA SDPA backend selection (`sdp_kernel`, `enable_flash_sdp`, `sdpa_kernel(FLASH_ATTENTION)`) does not
    apply on the target.

    Bad:  `with torch.backends.cuda.sdp_kernel(enable_math=False): ...`
    Good: plain `F.scaled_dot_product_attention` (the target registers its own kernel)
    """

    code = "IST308"
    name = "sdp-kernel-flags"
    category = "amp"
    severity = "warning"
    message = "CUDA SDPA backend switch: call F.scaled_dot_product_attention without forcing a backend"
    tokens = (b"sdp",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.backends.cuda.sdp_kernel": None,
        "torch.backends.cuda.enable_flash_sdp": None,
        "torch.backends.cuda.enable_mem_efficient_sdp": None,
        "torch.backends.cuda.enable_math_sdp": None,
        "torch.backends.cuda.enable_cudnn_sdp": None,
        "torch.nn.attention.sdpa_kernel": None,
    }
    VALID = ("import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)",)
    INVALID = ("import torch\ntorch.backends.cuda.enable_flash_sdp(True)",)


class CudaBackendOther(NameRule):
    """Other `torch.backends.cuda` settings (linalg/BLAS library, cuFFT plan cache) are CUDA-only.

    Bad:  `torch.backends.cuda.preferred_linalg_library("magma")`
    Good: leave the default, or set it only when the accelerator is CUDA
    """

    code = "IST309"
    name = "cuda-backend-setting"
    category = "amp"
    severity = "warning"
    message = "CUDA backend setting: no effect on the target; set it only on CUDA"
    tokens = (b"backends",)
    names: ClassVar[dict[str, str | None]] = {"torch.backends.cuda": None}
    VALID = ("import torch\nok = torch.backends.mps.is_available()",)
    INVALID = ("import torch\ntorch.backends.cuda.preferred_linalg_library('magma')",)


class ApexAmp(NameRule):
    """NVIDIA apex AMP (`apex.amp`, `amp_C`) is a CUDA extension; Huawei's docs list `amp_C` as unsupported.

    Bad:  `from apex import amp; model, opt = amp.initialize(model, opt)`
    Good: `torch.amp.autocast(dev.type)` with `torch.amp.GradScaler(dev.type)`
    """

    code = "IST310"
    name = "apex-amp"
    category = "amp"
    severity = "error"
    message = "CUDA extension: use torch.amp.autocast + torch.amp.GradScaler"
    tokens = (b"apex", b"amp_C")
    imports = True
    names: ClassVar[dict[str, str | None]] = {"apex.amp": None, "amp_C": None}
    VALID = ("import torch.amp",)
    INVALID = ("from apex import amp", "import amp_C")


class ApexFused(NameRule):
    """apex fused optimizers, norms and parallel wrappers are CUDA extensions.

    Bad:  `from apex.optimizers import FusedAdam`; `from apex.normalization import FusedRMSNorm`
    Good: `torch.optim.AdamW` (check `fused=` support on the target), `torch.nn.LayerNorm`/`RMSNorm`, DDP
    """

    code = "IST311"
    name = "apex-fused"
    category = "amp"
    severity = "error"
    message = "CUDA extension: use torch.optim / torch.nn equivalents"
    tokens = (b"apex",)
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST311"))
    VALID = ("import torch.optim",)
    INVALID = ("from apex.optimizers import FusedAdam", "import apex")
