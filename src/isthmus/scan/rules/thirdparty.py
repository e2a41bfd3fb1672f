"""IST7xx: third-party "is_*_available" branches and CUDA-only options (portability.md §6.7).

These are the functions torch_npu's transfer_to_npu patches (`apis_config.json`): branches on them go another
way on the target.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules.base import NameRule, NodeRule, is_str

_HF = (
    "is_flash_attn_2_available",
    "is_torch_bf16_gpu_available",
    "is_torch_tf32_available",
    "is_bitsandbytes_available",
    "is_mamba_ssm_available",
    "is_causal_conv1d_available",
    "is_torch_cuda_available",
    "is_flash_attn_greater_or_equal_2_10",
)


class HfAvailabilityBranch(NameRule):
    """transformers' `is_*_available` checks answer differently on the target, so the branch changes.

    Bad:  `if is_flash_attn_2_available(): attn = "flash_attention_2"`
    Good: choose by backend explicitly (`"sdpa"` works on every backend)
    """

    code = "IST701"
    name = "hf-availability-branch"
    category = "thirdparty"
    severity = "warning"
    message = "answers differently on the target, so this branch changes: choose explicitly per backend"
    tokens = (b"_available",)
    names: ClassVar[dict[str, str | None]] = {
        f"{mod}.{n}": None
        for mod in ("transformers.utils", "transformers.utils.import_utils", "transformers")
        for n in _HF
    }
    VALID = ("from transformers.utils import is_torch_available\nok = is_torch_available()",)
    INVALID = ("from transformers.utils import is_flash_attn_2_available\nif is_flash_attn_2_available():\n    pass\n",)


class OtherAvailabilityBranch(NameRule):
    """accelerate/peft/trl device checks (`is_cuda_available`, `infer_device`, `get_kbit_device_map`) pick CUDA
    paths.

    Bad:  `if accelerate.utils.is_cuda_available(): ...`
    Good: `torch.accelerator.is_available()` / `torch.accelerator.current_accelerator()`
    """

    code = "IST702"
    name = "other-availability-branch"
    category = "thirdparty"
    severity = "warning"
    message = "CUDA-centred check: use torch.accelerator.is_available()/current_accelerator()"
    tokens = (b"is_cuda_available", b"infer_device", b"kbit_device_map")
    names: ClassVar[dict[str, str | None]] = {
        n: None
        for n in (
            "accelerate.utils.is_cuda_available",
            "accelerate.utils.imports.is_cuda_available",
            "peft.utils.other.infer_device",
            "peft.utils.infer_device",
            "trl.trainer.utils.get_kbit_device_map",
            "trl.get_kbit_device_map",
        )
    }
    VALID = ("import torch\nok = torch.accelerator.is_available()",)
    INVALID = ("from accelerate.utils import is_cuda_available\nok = is_cuda_available()",)


class FlashAttention2Option(NodeRule):
    """`attn_implementation="flash_attention_2"` needs flash-attn (or a recent transformers on Ascend).

    Bad:  `AutoModel.from_pretrained(name, attn_implementation="flash_attention_2")`
    Good: `attn_implementation="sdpa"`
    """

    code = "IST703"
    name = "flash-attention-2-option"
    category = "thirdparty"
    severity = "warning"
    message = "needs flash-attn: use attn_implementation='sdpa' (works on every backend)"
    tokens = (b"flash_attention_2",)
    node_types = (ast.Call,)
    VALID = ("m = AutoModel.from_pretrained(n, attn_implementation='sdpa')",)
    INVALID = (
        "m = AutoModel.from_pretrained(n, attn_implementation='flash_attention_2')",
        "m = AutoModel.from_pretrained(n, use_flash_attention_2=True)",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        for k in node.keywords:
            v = k.value
            if (k.arg == "attn_implementation" and is_str(v) and v.value == "flash_attention_2") or (  # type: ignore[attr-defined]
                k.arg == "use_flash_attention_2" and isinstance(v, ast.Constant) and v.value is True
            ):
                ctx.report(self, k)


class BnbQuantOption(NodeRule):
    """`load_in_8bit/4bit=True`, `BitsAndBytesConfig` and Lightning's `BitsandbytesPrecision` route through
    bitsandbytes (Ascend: nf4 only).

    Bad:  `from_pretrained(name, load_in_8bit=True)`
    Good: gate quantisation on the backend; Ascend quantisation (w8a8) on the target
    """

    code = "IST704"
    name = "bnb-quant-option"
    category = "thirdparty"
    severity = "warning"
    message = "bitsandbytes quantisation (Ascend: nf4 only): gate it on the backend"
    tokens = (b"load_in_", b"BitsAndBytesConfig", b"BitsandbytesPrecision")
    node_types = (ast.Call,)
    VALID = ("m = AutoModel.from_pretrained(n, torch_dtype=dt)", "m = AutoModel.from_pretrained(n, load_in_8bit=False)")
    INVALID = (
        "m = AutoModel.from_pretrained(n, load_in_8bit=True)",
        "m = AutoModel.from_pretrained(n, load_in_8bit=args.int8)",
        "from transformers import BitsAndBytesConfig\nc = BitsAndBytesConfig(load_in_4bit=True)",
        "from lightning.fabric.plugins import BitsandbytesPrecision\np = BitsandbytesPrecision('nf4', dtype)",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        if (ctx.qualname(node.func) or "").endswith(("BitsAndBytesConfig", "BitsandbytesPrecision")):
            ctx.report(self, node)
            return
        for k in node.keywords:
            v = k.value
            if k.arg in ("load_in_8bit", "load_in_4bit") and not (isinstance(v, ast.Constant) and not v.value):
                ctx.report(self, k)  # True, or a value decided at run time (`load_in_8bit=args.int8`)


class XformersAttentionSwitch(NodeRule):
    """`enable_xformers_memory_efficient_attention()` (diffusers) needs xformers, which has no Ascend operators.

    Bad:  `pipe.enable_xformers_memory_efficient_attention()`
    Good: leave the default attention processor (SDPA)
    """

    code = "IST705"
    name = "xformers-attention-switch"
    category = "thirdparty"
    severity = "error"
    message = "needs xformers (no Ascend operators): keep the default SDPA processor"
    tokens = (b"enable_xformers",)
    node_types = (ast.Call,)
    VALID = ("pipe.enable_attention_slicing()",)
    INVALID = ("pipe.enable_xformers_memory_efficient_attention()",)

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "enable_xformers_memory_efficient_attention":
            ctx.report(self, node)
