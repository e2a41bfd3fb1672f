"""IST4xx: distributed (portability.md §6.4)."""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules._device_strings import int_device_fix, int_like
from isthmus.scan.rules._env import NCCL_VAR, advice, env_var_nodes
from isthmus.scan.rules._packages import import_names
from isthmus.scan.rules.base import Case, NameRule, NodeRule, devtype, is_str, kwarg

_DEV = 'getattr(torch.accelerator.current_accelerator(), "type", "cpu")'
_PG_FUNCS = frozenset(
    {
        "torch.distributed.init_process_group",
        "torch.distributed.new_group",
        "torch.distributed.new_subgroups",
        "torch.distributed.distributed_c10d.init_process_group",
    }
)
_BACKEND_KWARGS = ("backend", "dist_backend")


class NcclBackend(NodeRule):
    """The "nccl" backend does not exist on the target (Ascend uses "hccl").

    Bad:  `dist.init_process_group(backend="nccl")`
    Good: `dist.init_process_group(backend=dist.get_default_backend_for_device(dev.type))` or `device_id=dev`

    Also flagged: an option whose default is "nccl" (`add_argument("--backend", default="nccl")`), and "nccl"
    assigned to a name that reaches `init_process_group(backend=...)` or is called `*backend*`
    (`backend = "nccl" if cuda else "gloo"`, a config field `dist_backend: str = "nccl"`).

    The fix asks torch for the device's default backend, which is "nccl" on CUDA hosts.
    """

    code = "IST401"
    name = "nccl-backend"
    category = "distributed"
    severity = "error"
    message = "no NCCL on the target: use torch.distributed.get_default_backend_for_device(<device type>)"
    tokens = (b"nccl", b"init_process_group")
    node_types = (ast.Call, ast.Assign, ast.AnnAssign)
    VALID = (
        "import torch.distributed as dist\ndist.init_process_group(backend='gloo')",
        "x = 'nccl'",
        "name = 'nccl' if a else 'gloo'\nprint(name)",
    )
    INVALID = (
        Case(
            "import torch\nimport torch.distributed as dist\ndist.init_process_group(backend='nccl')",
            "import torch\nimport torch.distributed as dist\n"
            f"dist.init_process_group(backend=torch.distributed.get_default_backend_for_device({_DEV}))",
        ),
        Case(
            "import torch\ntorch.distributed.init_process_group('nccl', rank=r)",
            "import torch\n"
            f"torch.distributed.init_process_group(torch.distributed.get_default_backend_for_device({_DEV}), rank=r)",
        ),
        "import torch.distributed as dist\ndist.init_process_group(backend='cpu:gloo,cuda:nccl')",
        "import deepspeed\ndeepspeed.init_distributed(dist_backend='nccl')",
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--backend', default='nccl')",
        Case(
            "import torch\nimport torch.distributed as dist\nb = 'nccl'\ndist.init_process_group(backend=b)",
            "import torch\nimport torch.distributed as dist\nb = torch.distributed.get_default_backend_for_device("
            f"{_DEV})\ndist.init_process_group(backend=b)",
        ),
        Case(
            "import torch\nbackend = 'nccl' if use_gpu else 'gloo'",
            f"import torch\nbackend = torch.distributed.get_default_backend_for_device({_DEV}) if use_gpu else 'gloo'",
        ),
        Case(
            "class Config:\n    dist_backend: str = 'nccl'\n",
            "import torch\nclass Config:\n    dist_backend: str = torch.distributed.get_default_backend_for_device("
            f"{_DEV})\n",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            self._assignment(node, ctx)
            return
        assert isinstance(node, ast.Call)
        qn = ctx.qualname(node.func)
        values = [k.value for k in node.keywords if k.arg in _BACKEND_KWARGS]
        if qn in _PG_FUNCS and node.args:
            values.append(node.args[0])
        for v in values:
            if is_str(v) and "nccl" in v.value:  # type: ignore[attr-defined]
                fix = None
                if v.value == "nccl" and qn in _PG_FUNCS:  # type: ignore[attr-defined]
                    fix = ctx.replace(v, _default_backend(ctx), "use the device's default backend")
                ctx.report(self, v, fix=fix)
            elif isinstance(v, ast.Name) and qn in _PG_FUNCS:
                ctx.backend_names.add(v.id)
        default = kwarg(node, "default")
        if default is not None and is_str(default.value) and default.value.value == "nccl":  # type: ignore[attr-defined]
            ctx.report(self, default.value, "an option whose default is 'nccl': " + self.message)

    def _assignment(self, node: ast.Assign | ast.AnnAssign, ctx: PyContext) -> None:
        value = node.value
        branches = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        literals = [v for v in branches if isinstance(v, ast.Constant) and v.value == "nccl"]
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
            if name is not None:
                ctx.nccl_assignments.extend((name, lit) for lit in literals)

    def finish(self, ctx: PyContext) -> None:
        for name, literal in ctx.nccl_assignments:
            if name in ctx.backend_names or name.lower().endswith("backend"):
                fix = ctx.replace(literal, _default_backend(ctx), "use the device's default backend")
                ctx.report(self, literal, f"{name} = 'nccl': " + self.message, fix)


def _default_backend(ctx: PyContext) -> str:
    """The device's default backend: "nccl" on CUDA hosts, "hccl" with torch_npu, "gloo" on CPU."""
    return f"{ctx.torch_name}.distributed.get_default_backend_for_device({devtype(ctx)})"


class BackendNameLogic(NodeRule):
    """Logic on the backend name breaks when the backend is "hccl" (Huawei's migration guide calls this out).

    Bad:  `if dist.get_backend() == "nccl": ...`, `assert backend in ("gloo", "nccl")`
    Good: compare with the platform's backend, or test for "not gloo"
    """

    code = "IST402"
    name = "backend-name-logic"
    category = "distributed"
    severity = "warning"
    message = "backend is 'hccl' on Ascend: compare with the platform's backend, not 'nccl'"
    tokens = (b"nccl",)
    node_types = (ast.Compare,)
    VALID = ("if backend == 'gloo':\n    pass", "if v.value == 'nccl':\n    pass")
    INVALID = ("if dist.get_backend() == 'nccl':\n    pass", "assert backend in ('gloo', 'nccl')")

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Compare)
        sides = (node.left, *node.comparators)
        if not any("backend" in ctx.text(s).lower() for s in sides):
            return
        for side in sides:
            elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
            if any(is_str(e) and e.value == "nccl" for e in elts):  # type: ignore[attr-defined]
                ctx.report(self, node)
                return


class NcclApis(NameRule):
    """NCCL-specific APIs (`is_nccl_available`, `torch.cuda.nccl`, `torch.cuda.comm`) fail on the target.

    Bad:  `if dist.is_nccl_available(): ...`; `torch.cuda.comm.broadcast(t, devices)`
    Good: `dist.is_backend_available(dist.get_default_backend_for_device(dev.type))`; `torch.distributed`
          collectives
    """

    code = "IST403"
    name = "nccl-apis"
    category = "distributed"
    severity = "error"
    message = "NCCL-only API: use torch.distributed collectives / is_backend_available()"
    tokens = (b"nccl", b"comm.")
    names: ClassVar[dict[str, str | None]] = {
        "torch.distributed.is_nccl_available": None,
        "torch.cuda.nccl": None,
        "torch.cuda.comm": None,
    }
    VALID = ("import torch.distributed as dist\nok = dist.is_available()",)
    INVALID = (
        "import torch.distributed as dist\nok = dist.is_nccl_available()",
        "import torch\ntorch.cuda.comm.broadcast(t, [0, 1])",
    )


class ProcessGroupNccl(NameRule):
    """`ProcessGroupNCCL` and its options, and `Backend.NCCL`, are CUDA-only.

    Bad:  `opts = dist.ProcessGroupNCCL.Options()`
    Good: backend-agnostic options; on Ascend the HCCL equivalents
    """

    code = "IST404"
    name = "process-group-nccl"
    category = "distributed"
    severity = "error"
    message = "NCCL process group: use backend-agnostic options"
    tokens = (b"NCCL",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.distributed.ProcessGroupNCCL": None,
        "torch.distributed.distributed_c10d.ProcessGroupNCCL": None,
        "torch.distributed.Backend.NCCL": None,
        "torch._C._distributed_c10d.ProcessGroupNCCL": None,
    }
    VALID = ("import torch.distributed as dist\nb = dist.Backend.GLOO",)
    INVALID = (
        "import torch.distributed as dist\no = dist.ProcessGroupNCCL.Options()",
        "import torch.distributed as dist\nb = dist.Backend.NCCL",
    )


class DdpIntDeviceIds(NodeRule):
    """Integer `device_ids`/`output_device` mean CUDA device indices.

    Bad:  `DDP(model, device_ids=[local_rank])`
    Good: `DDP(model, device_ids=[torch.device(dev.type, local_rank)])` (or no device_ids for CPU/multi-device)
    """

    code = "IST405"
    name = "ddp-int-device-ids"
    category = "distributed"
    severity = "warning"
    message = "integer device ids mean CUDA devices: pass torch.device(<accelerator type>, index)"
    tokens = (b"device_ids", b"output_device")
    node_types = (ast.Call,)
    VALID = ("import torch\nm = DDP(m, device_ids=[dev])", "m = DDP(m)")
    INVALID = (
        Case(
            "import torch\nm = DDP(m, device_ids=[local_rank])",
            f"import torch\nm = DDP(m, device_ids=[torch.device({_DEV}, local_rank)])",
        ),
        Case(
            "import torch\nm = DDP(m, device_ids=[0], output_device=0)",
            f"import torch\nm = DDP(m, device_ids=[torch.device({_DEV}, 0)], output_device=torch.device({_DEV}, 0))",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        ids = kwarg(node, "device_ids")
        if ids is not None and isinstance(ids.value, (ast.List, ast.Tuple)):
            for e in ids.value.elts:
                if int_like(e, ctx):
                    ctx.report(self, e, fix=ctx.replace(e, int_device_fix(e, ctx), "use torch.device(type, i)"))
        out = kwarg(node, "output_device")
        if out is not None and int_like(out.value, ctx):
            ctx.report(self, out.value, fix=ctx.replace(out.value, int_device_fix(out.value, ctx), "use a device"))


class NvmlImport(NameRule):
    """NVML wrappers (`pynvml`, `nvidia_smi`, `GPUtil`...) need NVIDIA's driver library.

    Bad:  `import pynvml; pynvml.nvmlInit()`
    Good: `torch.accelerator.get_memory_info()`, or the target's tool (npu-smi) behind a backend check
    """

    code = "IST406"
    name = "nvml-import"
    category = "distributed"
    severity = "error"
    message = "needs NVIDIA's NVML: use torch.accelerator memory queries or a backend check"
    tokens = (b"nvml", b"nvidia_smi", b"GPUtil", b"gpustat", b"nvitop")
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST406"))
    VALID = ("import psutil",)
    INVALID = ("import pynvml", "from GPUtil import getGPUs")


class NvidiaSmiCall(NodeRule):
    """Running `nvidia-smi` from Python fails where there is no NVIDIA driver.

    Bad:  `subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv"])`
    Good: query through torch (`torch.accelerator.*`) or run the target's tool (npu-smi) behind a check
    """

    code = "IST407"
    name = "nvidia-smi-call"
    category = "distributed"
    severity = "error"
    message = "nvidia-smi is NVIDIA-only: query through torch or the target's tool"
    tokens = (b"nvidia-smi",)
    node_types = (ast.Call,)
    VALID = ("import subprocess\nsubprocess.run(['ls'])", "msg = 'see nvidia-smi'")
    INVALID = ("import subprocess\nsubprocess.run(['nvidia-smi', '-L'])", "import os\nos.system('nvidia-smi')")

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        qn = ctx.qualname(node.func) or ""
        if not node.args or not (qn.startswith("subprocess.") or qn in ("os.system", "os.popen")):
            return
        first = node.args[0]
        if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
            first = first.elts[0]
        if is_str(first) and first.value.startswith("nvidia-smi"):  # type: ignore[attr-defined]
            ctx.report(self, node)


class NcclEnvVar(NodeRule):
    """NCCL environment variables set or read from Python are ignored on the target (HCCL has its own).

    Bad:  `os.environ["NCCL_DEBUG"] = "INFO"`
    Good: the HCCL equivalent behind a backend check
    """

    code = "IST408"
    name = "nccl-env-var"
    category = "distributed"
    severity = "warning"
    message = "NCCL environment variable is ignored on the target"
    tokens = (b"NCCL_",)
    node_types = (ast.Subscript, ast.Call, ast.Dict)
    VALID = ("import os\nv = os.environ['HCCL_BUFFSIZE']", "EQUIVALENT = {'NCCL_DEBUG': 'ASCEND_GLOBAL_LOG_LEVEL'}")
    INVALID = (
        "import os\nos.environ['NCCL_DEBUG'] = 'INFO'",
        "import os\nv = os.environ.get('TORCH_NCCL_BLOCKING_WAIT')",
        "import os\nenv_defaults = {'TORCH_NCCL_TRACE_BUFFER_SIZE': '2000', 'OTHER': '1'}",
        "import os\nos.environ.update({'NCCL_DEBUG': 'INFO'})",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        for key, var in env_var_nodes(node, ctx, NCCL_VAR, parent):
            ctx.report(self, key, advice(var))
