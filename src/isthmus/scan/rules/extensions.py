"""IST517-IST520: compiled CUDA extensions, CUDA-only kernel packages, in-repo Triton kernels, nvcc at run time.

IST517 and IST519 relate files to each other: the engine records every import and the extension modules each
file builds, and `isthmus.scan.linker` reports the imports once the whole tree is scanned (so a name built in
`setup.py` is found where `model.py` imports it). Their cases below run through the same path on one file.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.linker import EXT_NAME
from isthmus.scan.rules._packages import import_names, import_reason
from isthmus.scan.rules.base import Case, NameRule, NodeRule, is_str


class CudaExtensionImport(NodeRule):
    """A module built from CUDA sources, imported by name: a name the repository builds (`CUDAExtension(name=)`,
    `cpp_extension.load(name=)`), or a top-level `*_cuda` module with no Python source in the tree
    (`import selective_scan_cuda`, `importlib.import_module("fused_layer_norm_cuda")`). The import fails where
    the extension was not built, and it cannot be built without nvcc. Uses of the module in the importing file
    (`selective_scan_cuda.fwd(...)`) are reported too.

    Bad:  `import selective_scan_cuda` ... `selective_scan_cuda.fwd(u, delta, A, B, C)`
    Good: a PyTorch reference path chosen when the extension is absent, plus an Ascend C kernel for the target
    """

    code = "IST517"
    name = "cuda-extension-import"
    category = "kernels"
    severity = "warning"
    message = "a compiled CUDA extension: needs an Ascend C port or a PyTorch fallback"
    tokens = (b"_cuda", b"import_module")
    node_types = (ast.Call, ast.Attribute, ast.Import)
    VALID = (
        "import torch.cuda",
        "import importlib\nm = importlib.import_module('json')",
        "from .kernels import fused_cuda_free",
    )
    INVALID = (
        "import selective_scan_cuda",
        "import importlib\nm = importlib.import_module('fused_layer_norm_cuda')",
        "import scaled_masked_softmax_cuda\ny = scaled_masked_softmax_cuda.forward(x, mask, 1.0)",
        Case(
            "import amp_C\nfrom amp_C import multi_tensor_scale\n",
            path="apex/optimizers/fused_sgd.py",
            others=(
                (
                    "setup.py",
                    "from torch.utils.cpp_extension import CUDAExtension\n"
                    "ext = CUDAExtension(name='amp_C', sources=['csrc/amp_C.cu'])\n",
                ),
            ),
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if isinstance(node, ast.Import):  # the import itself is reported by the linker; remember its name
            for a in node.names:
                if EXT_NAME.match(a.name) or a.name in ctx.built:
                    ctx.ext_aliases.add(a.asname or a.name)
            return
        if isinstance(node, ast.Attribute):
            value = node.value
            if isinstance(value, ast.Name) and value.id in ctx.ext_aliases and type(parent) is not ast.Attribute:
                ctx.report(self, node, f"{ctx.text(node)}: {self.message}")
            return
        assert isinstance(node, ast.Call)
        if ctx.qualname(node.func) == "importlib.import_module" and node.args and is_str(node.args[0]):
            name: str = node.args[0].value  # type: ignore[attr-defined]
            if EXT_NAME.match(name) or name in ctx.built:
                ctx.report(self, node, f"imports {name}: {self.message}")


class CudaOnlyPackage(NameRule):
    """Kernel packages that only run on NVIDIA GPUs (causal-conv1d, mamba-ssm, quack-kernels,
    transformer-engine, Liger's Triton kernels...). One table (`scan/rules/_packages.py`) feeds this rule and
    the dependency rule IST801, each entry with its source. An import under `except ImportError` is a warning.

    Bad:  `from causal_conv1d import causal_conv1d_fn`
    Good: a PyTorch reference path (`F.conv1d` with left padding) chosen when the package is absent
    """

    code = "IST518"
    name = "cuda-only-package"
    category = "kernels"
    severity = "error"
    message = "CUDA-only kernel package: keep a PyTorch fallback for the target"
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST518"))
    tokens = tuple(n.encode() for n in import_names("IST518"))
    VALID = ("import torch.nn.functional as F", "import quackery")
    INVALID = (
        "from causal_conv1d import causal_conv1d_fn",
        "import quack",
        "import transformer_engine.pytorch as te",
        "try:\n    import mamba_ssm\nexcept ImportError:\n    mamba_ssm = None\n",
    )

    def message_for(self, qualname: str) -> str:
        return f"{qualname}: {import_reason(qualname) or self.message}"

    def import_message(self, module: str) -> str:
        return f"CUDA-only kernel package: {import_reason(module) or 'keep a PyTorch fallback'}"


class TritonKernelModule(NodeRule):
    """An import of a module of this repository that defines Triton kernels (`@triton.jit`, `@triton.autotune`):
    the caller runs GPU kernels without saying so (`from pkg.ops.triton.layer_norm import RMSNorm`). On the
    target those kernels need triton-ascend with NPU-tuned configs. Reported by the engine once the whole tree
    is scanned; a file scanned alone has no other modules to resolve.

    Bad:  `from mamba_ssm.ops.triton.layernorm_gated import RMSNorm` (the module uses `triton`/`tl`)
    Good: a PyTorch reference module chosen when Triton is unavailable for the device
    """

    code = "IST519"
    name = "triton-kernel-module"
    category = "kernels"
    severity = "warning"
    message = "imports an in-repo Triton kernel module: keep a PyTorch fallback"
    VALID = (
        Case("from pkg.norms import rms_norm\n", others=(("pkg/norms.py", "import torch\n"),)),
        Case("import triton\nfrom pkg.k2 import f\n", path="pkg/k1.py", others=(("pkg/k2.py", "import triton\n"),)),
        Case("from pkg.util import has_triton\n", others=(("pkg/util.py", "def has_triton():\n    import triton\n"),)),
    )
    INVALID = (
        Case(
            "from pkg.ops.triton.layer_norm import RMSNorm\nfrom .ops.triton import layer_norm\n",
            path="pkg/model.py",
            others=(
                (
                    "pkg/ops/triton/layer_norm.py",
                    "import triton\nimport triton.language as tl\n@triton.jit\ndef k(x):\n    pass\n",
                ),
            ),
        ),
    )


class NvccCall(NodeRule):
    """Running `nvcc` from Python (version probes in setup.py, build steps) fails where there is no CUDA
    toolkit.

    Bad:  `subprocess.check_output([cuda_dir + "/bin/nvcc", "-V"])`
    Good: decide from the installed torch (`torch.version`, `torch.accelerator`) or skip the CUDA build
          when `CUDA_HOME` is unset
    """

    code = "IST520"
    name = "nvcc-call"
    category = "kernels"
    severity = "warning"
    message = "runs nvcc (absent without the CUDA toolkit): skip the CUDA build on other backends"
    tokens = (b"nvcc",)
    node_types = (ast.Call,)
    VALID = ("import subprocess\nsubprocess.run(['gcc', '--version'])", "flags = {'nvcc': ['-O3']}")
    INVALID = (
        "import subprocess\nout = subprocess.check_output([cuda_dir + '/bin/nvcc', '-V'], text=True)",
        "import os\nos.system('nvcc --version')",
        "import subprocess\nsubprocess.run(f'{home}/bin/nvcc -V', shell=True)",
        "import subprocess\nnvcc_bin = 'nvcc' if d is None else d + '/bin/nvcc'\n"
        "out = subprocess.check_output([nvcc_bin, '-V'])",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        qn = ctx.qualname(node.func) or ""
        if not node.args or not (qn.startswith("subprocess.") or qn in ("os.system", "os.popen")):
            return
        first = node.args[0]
        if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
            first = first.elts[0]
        if isinstance(first, ast.Name):  # `nvcc_bin = "nvcc" if ... else home + "/bin/nvcc"`, then the call
            first = _assigned(ctx, first.id) or first
        if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "nvcc" in n.value for n in ast.walk(first)):
            ctx.report(self, node)


def _assigned(ctx: PyContext, name: str) -> ast.expr | None:
    """The value last assigned to `name` anywhere in the file (scope-insensitive, like the import resolution)."""
    found = None
    for n in ast.walk(ctx.tree):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
            found = n.value
    return found
