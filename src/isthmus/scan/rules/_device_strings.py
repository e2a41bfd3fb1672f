"""Helpers shared by the device rules: recognising CUDA device strings and integer ids, and their fixes."""

from __future__ import annotations

import ast
import re

from isthmus.scan.context import PyContext
from isthmus.scan.rules.base import devtype

CUDA_STR = re.compile(r"cuda(?::(\d+))?")
INT_NAME = re.compile(r"(?i)^([a-z]+_)?(local_?rank|rank|gpu|gpu_?id|gpu_?idx|device_?id|device_?idx|local_?device)$")
DEVICE_KWARGS = frozenset({"device", "device_type", "map_location", "output_device", "device_id"})
DEVICE_FUNCS = frozenset(
    {
        "torch.device",
        "torch.set_default_device",
        "torch.Generator",
        "torch.autocast",
        "torch.amp.autocast",
        "torch.amp.GradScaler",
        "torch.get_device_module",
        "torch.distributed.device_mesh.init_device_mesh",
        "torch.distributed.init_device_mesh",
        "torch.Stream",
        "torch.Event",
    }
)


def cuda_literal(node: ast.AST | None) -> bool:
    """A constant "cuda"/"cuda:N", an f-string that starts with "cuda:" and formats the index, or f"cuda"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return CUDA_STR.fullmatch(node.value) is not None
    if isinstance(node, ast.JoinedStr) and len(node.values) == 1:  # f"cuda": an f-string without fields
        only = node.values[0]
        return (
            isinstance(only, ast.Constant)
            and isinstance(only.value, str)
            and CUDA_STR.fullmatch(only.value) is not None
        )
    if isinstance(node, ast.JoinedStr) and len(node.values) >= 2:
        first = node.values[0]
        return (
            isinstance(first, ast.Constant)
            and first.value == "cuda:"
            and isinstance(node.values[1], ast.FormattedValue)
            and len(node.values) == 2
        )
    return False


def int_like(node: ast.AST | None, ctx: PyContext) -> bool:
    """An integer device id: a literal, `int(...)`, or a variable named like one (`local_rank`, `gpu_id`)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return INT_NAME.match(node.id) is not None
    if isinstance(node, ast.Attribute):
        return INT_NAME.match(node.attr) is not None
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int"


def device_string_fix(node: ast.expr, ctx: PyContext) -> str:
    """Replacement text: the same string on CUDA, the current accelerator's type elsewhere."""
    if isinstance(node, ast.Constant):
        m = CUDA_STR.fullmatch(str(node.value))
        if m is None or m.group(1) is None:
            return devtype(ctx)
        return f'f"{{{devtype(ctx, quote=chr(39))}}}:{m.group(1)}"'
    src = ctx.text(node)
    quote_at = min(i for i in (src.find('"'), src.find("'")) if i >= 0)
    inner = "'" if src[quote_at] == '"' else '"'
    i = src.index("cuda", quote_at)
    return src[:i] + "{" + devtype(ctx, quote=inner) + "}" + src[i + 4 :]


def int_device_fix(node: ast.expr, ctx: PyContext) -> str:
    return f"{ctx.torch_name}.device({devtype(ctx)}, {ctx.text(node)})"
