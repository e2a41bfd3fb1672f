"""IST1xx: device selection and placement (portability.md §6.1)."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.model import Edit
from isthmus.scan.rules._device_strings import (
    CUDA_STR,
    DEVICE_FUNCS,
    DEVICE_KWARGS,
    cuda_literal,
    device_string_fix,
    int_device_fix,
    int_like,
)
from isthmus.scan.rules.base import Case, NameRule, NodeRule, devtype, is_str, kwarg

_DEV = 'getattr(torch.accelerator.current_accelerator(), "type", "cpu")'
_DEVLIKE = re.compile(r"(?i)dev(ice)?|\.type\b|^str\(|backend|accelerator")


class CudaMethod(NodeRule):
    """`.cuda()` moves a tensor or module to a CUDA device, which the target does not have.

    Bad:  `x = x.cuda(non_blocking=True)`
    Good: `x = x.to(device, non_blocking=True)` with `device` chosen once (`torch.accelerator.current_accelerator()`)

    The fix rewrites to `.to(<current accelerator type>)`, which is exactly `.to("cuda")` on a CUDA host.
    """

    code = "IST101"
    name = "cuda-method"
    category = "device"
    severity = "error"
    message = "`.cuda()` needs CUDA: move with `.to(device)` using the current accelerator"
    tokens = (b".cuda(",)
    node_types = (ast.Call,)
    VALID = ("x = x.to(device)", "torch.cuda.is_available  # not a call of .cuda()", "s = 'x.cuda()'")
    INVALID = (
        Case("import torch\nx = x.cuda()", f"import torch\nx = x.to({_DEV})"),
        Case(
            "import torch\nm.cuda(non_blocking=True)  # keep\n",
            f"import torch\nm.to({_DEV}, non_blocking=True)  # keep\n",
        ),
        Case("import torch\ny = x.cuda(1)", f"import torch\ny = x.to(torch.device({_DEV}, 1))"),
        Case("x = x.cuda()", f"import torch\nx = x.to({_DEV})"),
        Case(
            "import torch\nm = m.cuda(device)",
            f"import torch\nm = m.to(torch.device({_DEV}, device) if isinstance(device, int) else device)",
        ),
        "m = m.cuda(devices[0])",
        Case(
            "import torch\ny = (\n    torch.ones(2)\n    .float()\n    .cuda()\n)",
            f"import torch\ny = (\n    torch.ones(2)\n    .float()\n    .to({_DEV})\n)",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "cuda") or ctx.qualname(func) is not None:
            return
        kws = [ctx.text(k) for k in node.keywords]
        attr = _attr_span(func)
        fix = None
        args: str | None = None
        if not node.args and all(k.arg in ("non_blocking", "memory_format") for k in node.keywords):
            args = ", ".join([devtype(ctx), *kws])
        elif len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
            args = _cuda_arg_fix(node.args[0], ctx)
        if args is not None:  # replace `cuda(...)` only: the receiver and the line breaks before it stay
            start = ctx.offset(attr.lineno, attr.col_offset)  # type: ignore[attr-defined]
            fix = ctx.fix((Edit(start, ctx.span(node)[1], f"to({args})"),), "use .to(<device>)")
        ctx.report(self, node if node.lineno == func.end_lineno else attr, fix=fix)


def _attr_span(func: ast.Attribute) -> ast.AST:
    """Where `.attr` stands in a call that spans lines (the attribute name ends where the Attribute node ends)."""
    end_line, end_col = func.end_lineno or func.lineno, func.end_col_offset or 0
    span = ast.Name(id=func.attr)
    span.lineno, span.end_lineno = end_line, end_line
    span.col_offset, span.end_col_offset = max(0, end_col - len(func.attr)), end_col
    return span


def _cuda_arg_fix(arg: ast.expr, ctx: PyContext) -> str | None:
    """What `.cuda(arg)` becomes inside `.to(...)`: an index becomes a device of the accelerator's type; a
    name that may already hold a `torch.device` (or a string) keeps its value; anything else is left alone.

    `.cuda(i)` with an int means `cuda:i` and `.cuda(d)` with a device means `d`, so the conditional
    reproduces both on CUDA and picks the accelerator's type for an index elsewhere."""
    if int_like(arg, ctx):
        return int_device_fix(arg, ctx)
    if isinstance(arg, (ast.Name, ast.Attribute)):
        text = ctx.text(arg)
        return f"{int_device_fix(arg, ctx)} if isinstance({text}, int) else {text}"
    return None


class CudaDeviceString(NodeRule):
    """A device string "cuda", "cuda:0" or f"cuda:{rank}" names a device type the target does not have.

    Strings are flagged where they are used as devices: `device=`/`map_location=`/`device_type=` arguments,
    `.to("cuda")`, `torch.device("cuda")`, and assignments to variables used as devices (or named like one),
    so constants are followed through simple assignments and f-strings. Other strings are left alone.

    Bad:  `torch.zeros(3, device="cuda")`, `dev = f"cuda:{rank}"`
    Good: `torch.zeros(3, device=dev)` with `dev = torch.accelerator.current_accelerator()`

    The fix swaps in the current accelerator's type, which is the string "cuda" on CUDA hosts.
    """

    code = "IST102"
    name = "cuda-device-string"
    category = "device"
    severity = "error"
    message = "device string names CUDA: use the current accelerator (torch.accelerator.current_accelerator())"
    tokens = (b"cuda",)
    node_types = (ast.Call, ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef)
    VALID = (
        "torch.zeros(3, device=device)",
        "def f(kind: str = 'cuda'):\n    pass\n",
        "name = 'cuda'  # an unrelated string",
        "print('cuda')",
        '"""Moves to cuda."""',
        "x.to(dev)",
        "dev = 'cpu'\nx.to(dev)",
    )
    INVALID = (
        Case("import torch\nt = torch.zeros(3, device='cuda')", f"import torch\nt = torch.zeros(3, device={_DEV})"),
        Case(
            "import torch as th\nx = x.to('cuda:1')",
            """import torch as th\nx = x.to(f"{getattr(th.accelerator.current_accelerator(), 'type', 'cpu')}:1")""",
        ),
        Case(
            "import torch\nckpt = torch.load(p, map_location=f'cuda:{rank}')",
            "import torch\nckpt = torch.load(p, map_location=f'"
            """{getattr(torch.accelerator.current_accelerator(), "type", "cpu")}:{rank}')""",
        ),
        Case(
            "import torch\ndevice = 'cuda' if torch.cuda.is_available() else 'cpu'",
            f"import torch\ndevice = {_DEV} if torch.accelerator.is_available() else 'cpu'",
        ),
        Case(
            "import torch\nDEV = 'cuda'\nx = torch.ones(2).to(DEV)",
            f"import torch\nDEV = {_DEV}\nx = torch.ones(2).to(DEV)",
        ),
        Case(
            "import torch\nwith torch.device('cuda'):\n    pass\n",
            f"import torch\nwith torch.device({_DEV}):\n    pass\n",
        ),
        Case(
            "import torch\ndevice_type = 'cuda' if 'cuda' in device else 'cpu'",
            "import torch\ndevice_type = torch.device(device).type",
        ),
        "device_type = 'cuda' if 'cuda' in device else 'mps'",
        Case("import torch\nx = x.to(f'cuda')", f"import torch\nx = x.to(f'{{{_DEV}}}')"),
        Case(
            "import torch\ndef init(device: str = 'cuda', rank=0):\n    pass\n",
            f"import torch\ndef init(device: str = {_DEV}, rank=0):\n    pass\n",
        ),
        Case(
            "import torch\nsetup(device=getattr(args, 'device', 'cuda'))",
            f"import torch\nsetup(device=getattr(args, 'device', {_DEV}))",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if isinstance(node, ast.Call):
            self._call(node, ctx)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._defaults(node, ctx)
            return
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
        literals = [value] if cuda_literal(value) else []
        if isinstance(value, ast.IfExp):
            literals = [v for v in (value.body, value.orelse) if cuda_literal(v)]
            for lit in literals:
                ctx.branch_of[id(lit)] = value
        for lit in literals:
            for t in targets:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                if name is not None:
                    ctx.cuda_assignments.append((name, lit, node))  # type: ignore[arg-type]

    def _defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: PyContext) -> None:
        """`def run(device: str = "cuda")`: a parameter named like a device whose default names CUDA."""
        a = node.args
        positional = [*a.posonlyargs, *a.args]
        pairs = list(zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True))
        pairs += [(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
        for arg, default in pairs:
            if cuda_literal(default) and _DEVLIKE.search(arg.arg):
                self._flag(default, ctx)

    def _call(self, node: ast.Call, ctx: PyContext) -> None:
        candidates: list[ast.expr] = [k.value for k in node.keywords if k.arg in DEVICE_KWARGS]
        candidates += [d for v in candidates if (d := _getattr_default(v)) is not None]
        func = node.func
        is_to = isinstance(func, ast.Attribute) and func.attr in ("to", "to_empty") and ctx.qualname(func) is None
        if (is_to or ctx.qualname(func) in DEVICE_FUNCS) and node.args:
            candidates.append(node.args[0])
        for value in candidates:
            if cuda_literal(value):
                self._flag(value, ctx)
            elif isinstance(value, ast.Name):
                ctx.device_context_names.add(value.id)
            elif isinstance(value, ast.Attribute):
                ctx.device_context_names.add(value.attr)

    def _flag(self, value: ast.expr, ctx: PyContext) -> None:
        ifexp = ctx.branch_of.get(id(value))
        fix = None
        if ifexp is None or not _tests_cuda(ifexp.test):
            fix = ctx.replace(value, device_string_fix(value, ctx), "use the current accelerator's device type")
        else:  # `"cuda" if "cuda" in dev else "cpu"`: swapping the literal alone still gives "cpu" off CUDA
            of = _device_type_of(ifexp)
            if of is not None:
                fix = ctx.replace(ifexp, f"{ctx.torch_name}.device({ctx.text(of)}).type", "take the device's type")
        ctx.report(self, value, fix=fix)

    def finish(self, ctx: PyContext) -> None:
        for name, literal, _ in ctx.cuda_assignments:
            if name in ctx.device_context_names or _DEVLIKE.search(name):
                self._flag(literal, ctx)


def _getattr_default(value: ast.expr) -> ast.expr | None:
    """The default of `getattr(obj, "name", default)` (a device option read with a fallback)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "getattr":
        return value.args[2] if len(value.args) == 3 else None
    return None


def _tests_cuda(test: ast.expr) -> bool:
    """The condition looks at a CUDA device string (`"cuda" in dev`, `dev == "cuda"`, `dev.startswith("cuda")`)."""
    return any(cuda_literal(n) for n in ast.walk(test))


def _device_type_of(ifexp: ast.IfExp) -> ast.expr | None:
    """`X` in `"cuda" if "cuda" in X else "cpu"` (also `X == "cuda"`, `X.startswith("cuda")`): the expression
    whose device type the conditional computes; None for any other shape."""
    body, orelse, test = ifexp.body, ifexp.orelse, ifexp.test
    if not (is_str(body) and body.value == "cuda" and is_str(orelse) and orelse.value == "cpu"):  # type: ignore[attr-defined]
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.In) and is_str(left) and left.value == "cuda":  # type: ignore[attr-defined]
            return right
        if isinstance(op, ast.Eq):
            if is_str(right) and right.value == "cuda":  # type: ignore[attr-defined]
                return left
            if is_str(left) and left.value == "cuda":  # type: ignore[attr-defined]
                return right
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and len(test.args) == 1
        and is_str(test.args[0])
        and test.args[0].value == "cuda"  # type: ignore[attr-defined]
    ):
        return test.func.value
    return None


class IntDeviceId(NodeRule):
    """A bare integer device id means a CUDA device: `.to(0)`, `.to(local_rank)`, `torch.device(0)`, `device=0`.

    `Tensor.to(<int>)` fails with torch_npu (Ascend/pytorch#16).

    Bad:  `x = x.to(local_rank)`
    Good: `x = x.to(torch.device(dev.type, local_rank))`
    """

    code = "IST103"
    name = "int-device-id"
    category = "device"
    severity = "error"
    message = "integer device id means CUDA: pass torch.device(<accelerator type>, index)"
    tokens = (b"to(", b"device(", b"device=")
    node_types = (ast.Call,)
    VALID = ("x = x.to(torch.float16)", "x.to(dev)", "torch.zeros(3, device=dev)", "y = x.to(other)")
    INVALID = (
        Case("import torch\nx = x.to(0)", f"import torch\nx = x.to(torch.device({_DEV}, 0))"),
        Case("import torch\nm.to(local_rank)", f"import torch\nm.to(torch.device({_DEV}, local_rank))"),
        Case("import torch\nd = torch.device(1)", f"import torch\nd = torch.device(torch.device({_DEV}, 1))"),
        Case(
            "import torch\nt = torch.ones(2, device=0)",
            f"import torch\nt = torch.ones(2, device=torch.device({_DEV}, 0))",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        cands: list[ast.expr] = []
        is_to = isinstance(func, ast.Attribute) and func.attr == "to" and ctx.qualname(func) is None
        if (is_to or ctx.qualname(func) == "torch.device") and len(node.args) == 1:
            cands.append(node.args[0])
        dev = kwarg(node, "device")
        qn = ctx.qualname(func) or ""
        if dev is not None and (qn.startswith("torch.") or is_to):
            cands.append(dev.value)
        for c in cands:
            if int_like(c, ctx):
                ctx.report(self, c, fix=ctx.replace(c, int_device_fix(c, ctx), "use torch.device(type, i)"))


class IsCuda(NodeRule):
    """`t.is_cuda` is False for tensors on the target, so the code silently takes the other branch.

    Bad:  `if x.is_cuda: ...`
    Good: `if x.device.type != "cpu": ...` (or compare with the accelerator's type)
    """

    code = "IST104"
    name = "is-cuda"
    category = "device"
    severity = "warning"
    message = "`.is_cuda` is False on the target: test `x.device.type != 'cpu'` or the accelerator's type"
    tokens = (b"is_cuda",)
    node_types = (ast.Attribute,)
    VALID = ("if x.device.type != 'cpu':\n    pass", "is_cuda = False", "'x.is_cuda'")
    INVALID = ("if x.is_cuda:\n    pass", "flag = next(m.parameters()).is_cuda")

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Attribute)
        if node.attr == "is_cuda" and isinstance(node.ctx, ast.Load):
            ctx.report(self, node)


class DeviceTypeCompare(NodeRule):
    """Comparing a device (or its type) with "cuda" is False on the target: the code takes the CPU branch.

    Bad:  `if device == "cuda": ...`, `"cuda" in str(t.device)`
    Good: `if device.type != "cpu": ...` or compare with the accelerator's type
    """

    code = "IST105"
    name = "device-type-compare"
    category = "device"
    severity = "warning"
    message = "comparison with 'cuda' is False on the target: compare with the accelerator's type or 'cpu'"
    tokens = (b"cuda",)
    node_types = (ast.Compare,)
    VALID = ("if device.type != 'cpu':\n    pass", "if name == 'cudnn':\n    pass", "if kind == 'cuda':\n    pass")
    INVALID = (
        "if device == 'cuda':\n    pass",
        "ok = 'cuda' in str(t.device)",
        "b = x.device.type != 'cuda'",
        "assert device_type in {'cuda', 'cpu'}",
        "if self.accelerator == 'cuda':\n    pass",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Compare)
        sides = (node.left, *node.comparators)
        if any(_has_cuda(s) for s in sides) and any(not _has_cuda(s) and _DEVLIKE.search(ctx.text(s)) for s in sides):
            ctx.report(self, node)


def _has_cuda(node: ast.expr) -> bool:
    """A CUDA device string, or a tuple/list/set literal holding one (`device_type in {"cuda", "cpu"}`)."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(cuda_literal(e) for e in node.elts)
    return cuda_literal(node)


class CudaIsAvailable(NameRule):
    """`torch.cuda.is_available()` is False on the target, so the program silently runs on the CPU.

    Bad:  `device = "cuda" if torch.cuda.is_available() else "cpu"`
    Good: `torch.accelerator.is_available()` (true on CUDA, Ascend, XPU...)
    """

    code = "IST106"
    name = "cuda-is-available"
    category = "device"
    severity = "warning"
    message = "False on the target (silently runs on CPU): use torch.accelerator.is_available()"
    tokens = (b"is_available",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.is_available": "{torch}.accelerator.is_available"}
    VALID = ("import torch\nok = torch.accelerator.is_available()", "ok = is_available()")
    INVALID = (
        Case(
            "import torch as th\nif th.cuda.is_available():\n    pass\n",
            "import torch as th\nif th.accelerator.is_available():\n    pass\n",
        ),
        Case(
            "from torch import cuda\nok = cuda.is_available()",
            "from torch import cuda\nimport torch\nok = torch.accelerator.is_available()",
        ),
        Case(
            "import torch\nbackend = 'nccl' if torch.cuda.is_available() else 'gloo'",
            "import torch\nbackend = torch.distributed.get_default_backend_for_device("
            f"{_DEV}) if torch.accelerator.is_available() else 'gloo'",
        ),
        Case(
            "import torch\nif torch.cuda.is_available():\n    x = x.cuda()\n",
            f"import torch\nif torch.accelerator.is_available():\n    x = x.to({_DEV})\n",
        ),
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        """The plain swap, unless the call chooses between CUDA-only values: then those change with it (in one
        fix), or, under an `if` whose body names CUDA, the swap needs --unsafe-fixes (it sends the target down
        that body)."""
        new = f"{ctx.torch_name}.accelerator.is_available"
        edits = [Edit(*ctx.span(node), new)]
        branch = ctx.enclosing_branch(parent) if isinstance(parent, ast.Call) else None
        safe = True
        if isinstance(branch, ast.IfExp):
            for value in (branch.body, branch.orelse):
                text = _branch_value_fix(value, ctx)
                if text is not None:
                    edits.append(Edit(*ctx.span(value), text))
        elif isinstance(branch, ast.If):
            safe = not any(_names_cuda(n) for st in branch.body for n in ast.walk(st))
        fix = ctx.fix(sorted(edits, key=lambda e: e.start), "use torch.accelerator.is_available", safe)
        ctx.report(self, node, self.message_for(qualname), fix)


def _branch_value_fix(value: ast.expr, ctx: PyContext) -> str | None:
    """The device-generic replacement for a CUDA-only branch value ("cuda", "nccl"); None for other values."""
    if cuda_literal(value):
        return device_string_fix(value, ctx)
    if is_str(value) and value.value == "nccl":  # type: ignore[attr-defined]
        return f"{ctx.torch_name}.distributed.get_default_backend_for_device({devtype(ctx)})"
    return None


def _names_cuda(node: ast.AST) -> bool:
    """A CUDA device string, the "nccl" backend, or a `.cuda()` call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value == "nccl" or CUDA_STR.fullmatch(node.value) is not None
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cuda"


class CudaDeviceCount(NameRule):
    """`torch.cuda.device_count()` is 0 on the target.

    Bad:  `n = torch.cuda.device_count()`
    Good: `n = torch.accelerator.device_count()`
    """

    code = "IST107"
    name = "cuda-device-count"
    category = "device"
    severity = "warning"
    message = "0 on the target: use torch.accelerator.device_count()"
    tokens = (b"device_count",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.device_count": "{torch}.accelerator.device_count"}
    VALID = ("import torch\nn = torch.accelerator.device_count()",)
    INVALID = (
        Case("import torch\nn = torch.cuda.device_count()", "import torch\nn = torch.accelerator.device_count()"),
    )


class CudaDeviceSelect(NameRule):
    """Selecting or describing the current CUDA device fails without CUDA.

    Bad:  `torch.cuda.set_device(local_rank)`, `torch.cuda.current_device()`, `torch.cuda.get_device_name()`
    Good: `torch.accelerator.set_device_index(local_rank)`, `torch.accelerator.current_device_index()`,
          `torch.get_device_module().get_device_name()`
    """

    code = "IST108"
    name = "cuda-device-select"
    category = "device"
    severity = "error"
    message = "fails without CUDA: use torch.accelerator.* / torch.get_device_module()"
    tokens = (b"cuda",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.set_device": "{torch}.accelerator.set_device_index",
        "torch.cuda.current_device": "{torch}.accelerator.current_device_index",
        "torch.cuda.get_device_name": "!{torch}.get_device_module().get_device_name",
        "torch.cuda.get_device_properties": "!{torch}.get_device_module().get_device_properties",
        "torch.cuda.device": None,
        "torch.cuda.device_of": None,
    }
    VALID = ("import torch\ntorch.accelerator.set_device_index(0)",)
    INVALID = (
        Case(
            "import torch\ntorch.cuda.set_device(local_rank)",
            "import torch\ntorch.accelerator.set_device_index(local_rank)",
        ),
        Case(
            "from torch.cuda import current_device\ni = current_device()",
            "from torch.cuda import current_device\nimport torch\ni = torch.accelerator.current_device_index()",
        ),
        "import torch\nwith torch.cuda.device(1):\n    pass\n",
    )


class CudaCapability(NameRule):
    """`get_device_capability()` answers in CUDA sm versions; on Ascend it returns None (unpacking fails).

    Bad:  `major, minor = torch.cuda.get_device_capability()`; `if cap >= (8, 0): use_bf16()`
    Good: ask for the feature: `torch.get_device_module().is_bf16_supported()`, try-import the kernel
    """

    code = "IST109"
    name = "cuda-capability"
    category = "device"
    severity = "error"
    message = "CUDA sm version (None on Ascend): query the feature you need instead"
    tokens = (b"capability",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.get_device_capability": None}
    VALID = ("import torch\nok = torch.get_device_module().is_bf16_supported()",)
    INVALID = ("import torch\nmajor, minor = torch.cuda.get_device_capability()",)


class CudaVersionQuery(NameRule):
    """CUDA/cuDNN version queries are None or CUDA-only on the target.

    Bad:  `if torch.version.cuda: ...`, `torch.backends.cudnn.version()`, `torch.cuda.get_arch_list()`
    Good: feature checks, or `torch.accelerator.current_accelerator()` to learn the backend
    """

    code = "IST110"
    name = "cuda-version-query"
    category = "device"
    severity = "warning"
    message = "CUDA-only version query (None on the target): check the accelerator or the feature instead"
    tokens = (b"cuda", b"cudnn", b"arch_list")
    names: ClassVar[dict[str, str | None]] = {
        "torch.version.cuda": None,
        "torch.backends.cudnn.version": None,
        "torch.cuda.get_arch_list": None,
    }
    VALID = ("import torch\nv = torch.__version__",)
    INVALID = ("import torch\nif torch.version.cuda:\n    pass\n", "import torch\nv = torch.backends.cudnn.version()")


class DataParallel(NameRule):
    """`torch.nn.DataParallel` is not supported on Ascend (Huawei migration guide); it is also slower than DDP.

    Bad:  `model = torch.nn.DataParallel(model)`
    Good: `DistributedDataParallel` with one process per device (torchrun)
    """

    code = "IST111"
    name = "data-parallel"
    category = "device"
    severity = "error"
    message = "unsupported on Ascend: use DistributedDataParallel (one process per device)"
    tokens = (b"DataParallel", b"data_parallel")
    names: ClassVar[dict[str, str | None]] = {
        "torch.nn.DataParallel": None,
        "torch.nn.parallel.DataParallel": None,
        "torch.nn.parallel.data_parallel": None,
    }
    VALID = ("from torch.nn.parallel import DistributedDataParallel as DDP\nm = DDP(m)",)
    INVALID = ("import torch.nn as nn\nm = nn.DataParallel(m)",)


class LegacyCudaTensorType(NameRule):
    """Legacy CUDA tensor types (`torch.cuda.FloatTensor`...) do not exist on the target; transfer_to_npu even
    maps `DoubleTensor` to `FloatTensor`, silently dropping precision.

    Bad:  `x = torch.cuda.FloatTensor(4)`, `x.type(torch.cuda.HalfTensor)`
    Good: `torch.empty(4, dtype=torch.float32, device=dev)`, `x.to(torch.float16)`
    """

    code = "IST112"
    name = "legacy-cuda-tensor-type"
    category = "device"
    severity = "error"
    message = "legacy CUDA tensor type: use torch.tensor/empty(..., dtype=..., device=dev)"
    tokens = tuple(
        f"{t}Tensor".encode()
        for t in ("Float", "Half", "Double", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
    )
    names: ClassVar[dict[str, str | None]] = {
        f"torch.cuda.{t}Tensor": None
        for t in ("Float", "Half", "Double", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool")
    }
    VALID = ("import torch\nx = torch.empty(4, dtype=torch.float32, device=dev)",)
    INVALID = ("import torch\nx = torch.cuda.FloatTensor(4)", "import torch\ny = x.type(torch.cuda.HalfTensor)")


class TorchCudaOther(NameRule):
    """Any other `torch.cuda.*` API: CUDA-only; the target's device module may offer the same name.

    Bad:  `torch.cuda.ipc_collect()`
    Good: `torch.get_device_module().ipc_collect()` after checking the target has it, or `torch.accelerator.*`
    """

    code = "IST113"
    name = "torch-cuda-other"
    category = "device"
    severity = "warning"
    message = "CUDA-only module: use torch.accelerator.* or torch.get_device_module() where the target has it"
    tokens = (b"cuda",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda": None}
    VALID = ("import torch\ntorch.accelerator.synchronize()", "cuda = 1\nprint(cuda.x)")
    INVALID = ("import torch\ntorch.cuda.ipc_collect()", "from torch import cuda\ncuda.init()")


class AcceleratorOption(NodeRule):
    """`accelerator="cuda"` or `"gpu"` (Lightning's `Fabric`, `Trainer`) pins the run to NVIDIA GPUs.

    Lightning's "gpu" means CUDA (or MPS); the target needs its own accelerator plugin.

    Bad:  `fabric = L.Fabric(accelerator="cuda", devices=4)`
    Good: `L.Fabric(accelerator="auto", ...)` with the target's accelerator registered
    """

    code = "IST114"
    name = "accelerator-option"
    category = "device"
    severity = "error"
    message = "pins the run to CUDA: use accelerator='auto' (with the target's accelerator plugin)"
    tokens = (b"accelerator=",)
    node_types = (ast.Call,)
    VALID = ("import lightning as L\nf = L.Fabric(accelerator='auto')", "t = Trainer(accelerator=args.accelerator)")
    INVALID = (
        "import lightning as L\nfabric = L.Fabric(accelerator='cuda', devices=2)",
        "t = Trainer(accelerator='gpu')",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        acc = kwarg(node, "accelerator")
        if acc is not None and is_str(acc.value) and acc.value.value in ("cuda", "gpu"):  # type: ignore[attr-defined]
            ctx.report(self, acc.value)


class LightningCudaAccelerator(NameRule):
    """Lightning's `CUDAAccelerator` (device counts, parsing, setup) only knows CUDA devices.

    Bad:  `n = CUDAAccelerator.auto_device_count()`
    Good: `torch.accelerator.device_count()`, or the accelerator Lightning chose (`fabric.accelerator`)
    """

    code = "IST115"
    name = "lightning-cuda-accelerator"
    category = "device"
    severity = "error"
    message = "Lightning's CUDA accelerator: ask torch.accelerator or the chosen accelerator instead"
    tokens = (b"CUDAAccelerator",)
    names: ClassVar[dict[str, str | None]] = {
        f"{pkg}.accelerators.{n}": None
        for pkg in ("lightning.fabric", "lightning.pytorch", "lightning_fabric", "pytorch_lightning")
        for n in ("CUDAAccelerator", "cuda.CUDAAccelerator")
    }
    VALID = ("import torch\nn = torch.accelerator.device_count()",)
    INVALID = ("from lightning.fabric.accelerators import CUDAAccelerator\nn = CUDAAccelerator.auto_device_count()",)
