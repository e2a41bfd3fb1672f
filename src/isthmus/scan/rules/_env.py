"""Environment variables with CUDA/NCCL names and their Ascend equivalents (shared by Python and launch rules).

Equivalents: torch_npu strings and Huawei's HCCL docs, as collected in portability.md §6.2 (M8); names without a
direct equivalent map to None.
"""

from __future__ import annotations

import ast
import re

from isthmus.scan.context import PyContext

EQUIVALENT: dict[str, str | None] = {
    "CUDA_VISIBLE_DEVICES": "ASCEND_RT_VISIBLE_DEVICES",
    "CUDA_LAUNCH_BLOCKING": "ASCEND_LAUNCH_BLOCKING",
    "PYTORCH_CUDA_ALLOC_CONF": "PYTORCH_NPU_ALLOC_CONF",
    "CUDA_DEVICE_MAX_CONNECTIONS": None,
    "CUDA_HOME": "ASCEND_HOME_PATH",
    "TORCH_CUDA_ARCH_LIST": None,
    "NCCL_DEBUG": "HCCL log level (ASCEND_GLOBAL_LOG_LEVEL)",
    "NCCL_SOCKET_IFNAME": "HCCL_SOCKET_IFNAME",
    "NCCL_IB_DISABLE": "HCCL_INTRA_ROCE_ENABLE / HCCL_INTRA_PCIE_ENABLE",
    "NCCL_ASYNC_ERROR_HANDLING": "TORCH_HCCL_ASYNC_ERROR_HANDLING",
    "TORCH_NCCL_ASYNC_ERROR_HANDLING": "TORCH_HCCL_ASYNC_ERROR_HANDLING",
    "TORCH_NCCL_BLOCKING_WAIT": "TORCH_HCCL_BLOCKING_WAIT",
    "NCCL_BLOCKING_WAIT": "TORCH_HCCL_BLOCKING_WAIT",
    "NCCL_ALGO": "HCCL_ALGO",
    "NCCL_TIMEOUT": "HCCL_EXEC_TIMEOUT",
    "NCCL_BUFFSIZE": "HCCL_BUFFSIZE",
}
CUDA_VAR = re.compile(r"(?:(?:TORCH_)?CUDA_[A-Z0-9_]+|PYTORCH_CUDA_ALLOC_CONF|NVIDIA_VISIBLE_DEVICES)")
NCCL_VAR = re.compile(r"(?:TORCH_)?NCCL_[A-Z0-9_]+")
_ENV_FUNCS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop", "os.putenv", "os.unsetenv"}
)


def advice(var: str) -> str:
    eq = EQUIVALENT.get(var)
    if eq:
        return f"{var} is ignored on Ascend: set {eq}"
    if var.startswith(("NCCL_", "TORCH_NCCL_")):
        return f"{var} is ignored on Ascend: use the HCCL_* equivalent (or drop it)"
    return f"{var} is ignored on Ascend: drop it or set the accelerator's equivalent"


def _env_table(node: ast.Dict, parent: ast.AST | None, ctx: PyContext) -> bool:
    """A dict literal of environment variables: assigned to a name that says so (`env_defaults = {...}`),
    passed as `env=`, or given to `os.environ.update` (a table that only names variables is not flagged)."""
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        return any("env" in ctx.text(t).lower() for t in targets)
    if isinstance(parent, ast.keyword):
        return parent.arg == "env"
    return isinstance(parent, ast.Call) and ctx.qualname(parent.func) == "os.environ.update"


def env_var_nodes(
    node: ast.AST, ctx: PyContext, pattern: re.Pattern[str], parent: ast.AST | None = None
) -> list[tuple[ast.expr, str]]:
    """String keys of `os.environ[...]`, `os.getenv(...)`, `os.environ.get/setdefault(...)` and of dict literals
    (tables of variables to export) matching `pattern`."""
    if isinstance(node, ast.Dict):  # {"NCCL_DEBUG": "INFO", ...}: a table of variables to export
        if not _env_table(node, parent, ctx):
            return []
        return [
            (k, k.value)
            for k in node.keys
            if isinstance(k, ast.Constant) and isinstance(k.value, str) and pattern.fullmatch(k.value)
        ]
    key: ast.expr | None = None
    if isinstance(node, ast.Subscript) and ctx.qualname(node.value) == "os.environ":
        key = node.slice
    elif isinstance(node, ast.Call) and node.args and ctx.qualname(node.func) in _ENV_FUNCS:
        key = node.args[0]
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and pattern.fullmatch(key.value):
        return [(key, key.value)]
    return []
