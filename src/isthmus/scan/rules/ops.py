"""IST9xx: operators the target cannot run, called by name (`torch._int_mm`, `torch.ops.aten.X`).

There is no op list here: the answer comes from `isthmus.ops` (the same registry tables as `isthmus ops`). When
`isthmus.ops` is not installed the rules report nothing.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from isthmus.scan.context import PyContext
from isthmus.scan.rules.base import NodeRule
from isthmus.targets import scan_profiles


@lru_cache(maxsize=8)
def _profile(name: str) -> Any:
    try:
        from isthmus.ops import get_target
    except ImportError:
        return None
    return get_target(name)


@lru_cache(maxsize=4096)
def _support(target: str, op: str, exact: bool) -> tuple[str, str, str | None] | None:
    """(status, note, suggestion) of aten op `op` on `target`; None for names that are not aten ops."""
    profile = _profile(target)
    if profile is None:
        return None
    if not exact:  # torch._name: only real aten operators count (torch._C, torch._assert_async... are checked)
        table = getattr(profile, "torch_table", None)
        if table is None or not table.overloads(op.split(".", 1)[0]):
            return None
    s = profile.support(f"aten::{op}")
    return s.status, s.note, s.suggestion


def _op_name(qualname: str) -> tuple[str, bool] | None:
    if qualname.startswith("torch.ops.aten."):
        rest = qualname[len("torch.ops.aten.") :]
        return (rest, True) if rest else None
    parts = qualname.split(".")
    if len(parts) == 2 and parts[1].startswith("_") and not parts[1].startswith("__"):
        return parts[1], False
    return None


class _OpRule(NodeRule):
    statuses: tuple[str, ...] = ()
    category = "ops"
    tokens = (b"torch._", b"ops.aten", b"th._")
    node_types = (ast.Attribute,)

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if isinstance(parent, ast.Attribute):  # only the outermost attribute of a chain
            return
        qn = ctx.qualname(node)
        if qn is None:
            return
        name = _op_name(qn)
        if name is None:
            return
        for target in scan_profiles(ctx.target):  # type: ignore[arg-type]
            answer = _support(target, *name)
            if answer and answer[0] in self.statuses:
                status, note, suggestion = answer
                extra = f"; {suggestion}" if suggestion else ""
                ctx.report(self, node, f"aten::{name[0]} on {target}: {status} ({note}){extra}")
                return


class UnsupportedOp(_OpRule):
    """An operator called by name that the target cannot run at all (per the `isthmus ops` registry tables).

    Bad:  `torch.ops.aten.some_cuda_only_op(x)` with no kernel on the target
    Good: a portable composition of supported operators, chosen per backend
    """

    code = "IST901"
    name = "unsupported-op"
    severity = "error"
    message = "the target has no kernel for this operator"
    statuses = ("unsupported",)
    VALID = ("import torch\ny = torch.ops.aten.add(x, 1)",)
    INVALID = ()


class FallbackOp(_OpRule):
    """An operator called by name that runs on the target only through a CPU fallback (slow: host copies).

    Bad:  `y = torch._int_mm(a, b)` (no NPU kernel: falls back to the CPU)
    Good: a float16/bfloat16 matmul, or the target's quantised matmul behind a device check
    """

    code = "IST902"
    name = "fallback-op"
    severity = "warning"
    message = "runs through a CPU fallback on the target"
    statuses = ("fallback",)
    VALID = ("import torch\ny = torch.matmul(a, b)", "import torch\nt = torch._C")
    INVALID = (
        "import torch\ny = torch._int_mm(a, b)",
        "import torch\ny = torch.ops.aten._weight_int4pack_mm(a, b, 32, s)",
    )
