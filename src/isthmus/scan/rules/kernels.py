"""IST5xx: kernels, compilers, graphs and profiling (portability.md §6.5)."""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules._packages import import_names
from isthmus.scan.rules.base import NameRule, NodeRule, is_str, kwarg


class FlashAttn(NameRule):
    """`flash_attn` cannot be installed on Ascend (transformers#36618). An import guarded by
    `except ImportError` is reported as a warning: the fallback path runs on the target.

    Bad:  `from flash_attn import flash_attn_func` (unguarded)
    Good: `F.scaled_dot_product_attention(q, k, v, is_causal=True)`, or `torch_npu.npu_fusion_attention` with an
          explicit causal mask and `sparse_mode`
    """

    code = "IST501"
    name = "flash-attn"
    category = "kernels"
    severity = "error"
    message = "CUDA-only package (no Ascend build): use F.scaled_dot_product_attention"
    tokens = (b"flash_attn",)
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST501"))
    VALID = ("import torch.nn.functional as F",)
    INVALID = (
        "from flash_attn import flash_attn_func",
        "try:\n    import flash_attn\nexcept ImportError:\n    flash_attn = None\n",
    )


class Xformers(NameRule):
    """xformers has no Ascend operators (xformers#1237).

    Bad:  `import xformers.ops as xops; xops.memory_efficient_attention(q, k, v)`
    Good: `F.scaled_dot_product_attention(q, k, v)`
    """

    code = "IST502"
    name = "xformers"
    category = "kernels"
    severity = "error"
    message = "no Ascend operators: use F.scaled_dot_product_attention"
    tokens = (b"xformers",)
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST502"))
    VALID = ("import torch",)
    INVALID = ("import xformers.ops as xops",)


class Bitsandbytes(NameRule):
    """bitsandbytes was CUDA-only; Ascend support covers nf4 only, via a PyTorch implementation (bnb#1422).

    Bad:  `import bitsandbytes as bnb; bnb.optim.Adam8bit(...)`
    Good: gate on the backend; Ascend quantisation (w8a8 via torch_npu) or plain optimisers
    """

    code = "IST503"
    name = "bitsandbytes"
    category = "kernels"
    severity = "warning"
    message = "CUDA-first package (Ascend: nf4 only, 8-bit paths unverified): gate it on the backend"
    tokens = (b"bitsandbytes",)
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST503"))
    VALID = ("import torch.optim",)
    INVALID = ("import bitsandbytes as bnb",)


class Triton(NameRule):
    """Triton kernels need triton-ascend on the target, whose grid, dtype and alignment limits differ
    (vllm#45133); GPU tile configs can overflow the unified buffer (verl#7950).

    Bad:  `@triton.jit` kernels with GPU autotune configs and no fallback
    Good: a PyTorch reference path, chosen when the platform has no Triton support
    """

    code = "IST504"
    name = "triton"
    category = "kernels"
    severity = "warning"
    message = "needs triton-ascend with NPU-tuned configs: keep a PyTorch fallback"
    tokens = (b"triton",)
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys(import_names("IST504"))
    VALID = ("import torch",)
    INVALID = ("import triton\nimport triton.language as tl",)


class CudaExtension(NodeRule):
    """Custom CUDA kernels (`CUDAExtension`, `load(sources=[*.cu])`, `load_inline(cuda_sources=...)`, a `load`
    whose sources are computed, any call passing `extra_cuda_cflags`) need an Ascend C port. They are the port's
    work list, so they are reported as warnings; the `.cu` files themselves are listed by IST806 with these call
    sites, and the module names built here are remembered so their imports elsewhere are reported (IST517).

    Bad:  `load(name="fused", sources=["fused.cu"])`, `load(name=name, sources=srcs, extra_cuda_cflags=flags)`
    Good: a PyTorch reference implementation, with the Ascend C (OpPlugin) kernel registered for the target
    """

    code = "IST505"
    name = "cuda-extension"
    category = "kernels"
    severity = "warning"
    message = "builds a CUDA kernel: needs an Ascend C port (keep a PyTorch fallback)"
    tokens = (b"CUDAExtension", b"cuda_sources", b".cu", b"cpp_extension", b"extra_cuda_cflags", b"load(")
    node_types = (ast.Call, ast.Assign)
    VALID = (
        "from torch.utils.cpp_extension import load\next = load(name='m', sources=['m.cpp'])",
        "import json\nd = json.load(fh)",
    )
    INVALID = (
        "from torch.utils.cpp_extension import CUDAExtension\ne = CUDAExtension('k', ['k.cu'])",
        "from torch.utils.cpp_extension import load\next = load(name='k', sources=[str(HERE / 'k.cu')])",
        "from torch.utils import cpp_extension\nm = cpp_extension.load_inline('m', cpp_sources=a, cuda_sources=b)",
        "from torch.utils import cpp_extension\nm = cpp_extension.load(name=n, sources=srcs, verbose=True)",
        "m = build(name, sources, extra_cuda_cflags=['-O3'])",
        "from torch.utils.cpp_extension import CppExtension, CUDAExtension\nextension = CUDAExtension",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if isinstance(node, ast.Assign):  # `extension = CUDAExtension`: the build class chosen, called later
            if ctx.qualname(node.value) == "torch.utils.cpp_extension.CUDAExtension":
                ctx.report(self, node)
            return
        assert isinstance(node, ast.Call)
        qn = ctx.qualname(node.func) or ""
        if (
            qn == "torch.utils.cpp_extension.CUDAExtension"
            or (qn == "torch.utils.cpp_extension.load_inline" and kwarg(node, "cuda_sources") is not None)
            or (qn == "torch.utils.cpp_extension.load" and not _plain_cpp_sources(node))
            or kwarg(node, "extra_cuda_cflags") is not None
        ):
            ctx.report(self, node)
            name = kwarg(node, "name")
            value = name.value if name is not None else node.args[0] if node.args else None
            if is_str(value):
                ctx.built.append(value.value)  # type: ignore[union-attr]


def _plain_cpp_sources(node: ast.Call) -> bool:
    """`load(...)` whose sources are all literal C++ files (anything computed might be CUDA)."""
    src = kwarg(node, "sources")
    value = src.value if src is not None else node.args[1] if len(node.args) > 1 else None
    if not isinstance(value, (ast.List, ast.Tuple)):
        return False
    return all(is_str(e) and not e.value.endswith((".cu", ".cuh")) for e in value.elts)  # type: ignore[attr-defined]


class CudaPythonLibs(NameRule):
    """CUDA runtime libraries for Python (`cupy`, `pycuda`, `numba.cuda`, `cuda-python`) have no Ascend build.

    Bad:  `import cupy as cp`
    Good: torch tensors on the device (`torch.utils.dlpack` only between torch backends)
    """

    code = "IST506"
    name = "cuda-python-libs"
    category = "kernels"
    severity = "error"
    message = "CUDA runtime library: use torch operations on the device"
    tokens = (b"cupy", b"pycuda", b"numba", b"cuda", b"cudf")
    imports = True
    names: ClassVar[dict[str, str | None]] = dict.fromkeys((*import_names("IST506"), "numba.cuda"))
    VALID = ("import numba", "import numpy")
    INVALID = ("import cupy as cp", "from numba import cuda")


class DeepspeedOps(NameRule):
    """Most `deepspeed.ops` kernels have no NPU builder (only FusedAdam, CPU optimisers, AIO, pinning).

    Bad:  `from deepspeed.ops.adam import FusedAdam`... `deepspeed.ops.transformer`
    Good: `get_accelerator().create_op_builder(...)` with a fallback
    """

    code = "IST507"
    name = "deepspeed-ops"
    category = "kernels"
    severity = "warning"
    message = "DeepSpeed CUDA op: most have no NPU builder; go through get_accelerator() with a fallback"
    tokens = (b"deepspeed",)
    imports = True
    names: ClassVar[dict[str, str | None]] = {"deepspeed.ops": None}
    VALID = ("import deepspeed",)
    INVALID = ("from deepspeed.ops.transformer import DeepSpeedTransformerLayer",)


class CudaGraphs(NameRule):
    """CUDA graphs are CUDA-only; the target has its own graph API with its own constraints.

    Bad:  `g = torch.cuda.CUDAGraph(); with torch.cuda.graph(g): ...`
    Good: a platform helper (`create_graph/capture/replay`), or `torch.compile` without "reduce-overhead"
    """

    code = "IST508"
    name = "cuda-graphs"
    category = "kernels"
    severity = "error"
    message = "CUDA graphs: capture through a platform helper (the target has its own graph API)"
    tokens = (b"Graph", b"graph")
    names: ClassVar[dict[str, str | None]] = {
        n: None
        for n in (
            "torch.cuda.CUDAGraph",
            "torch.cuda.graph",
            "torch.cuda.graphs",
            "torch.cuda.make_graphed_callables",
            "torch.cuda.graph_pool_handle",
        )
    }
    VALID = ("import torch\nm = torch.compile(m)",)
    INVALID = (
        "import torch\ng = torch.cuda.CUDAGraph()",
        "import torch\nf = torch.cuda.make_graphed_callables(f, (x,))",
    )


class CompileCudaGraphs(NodeRule):
    """`torch.compile(mode="reduce-overhead"/"max-autotune")` relies on CUDA graphs and Triton autotuning.

    Bad:  `model = torch.compile(model, mode="reduce-overhead")`
    Good: `torch.compile(model)` (default mode), or the target's compile backend
    """

    code = "IST509"
    name = "compile-cuda-graphs"
    category = "kernels"
    severity = "warning"
    message = "this mode uses CUDA graphs / Triton autotuning: use the default mode on the target"
    tokens = (b"reduce-overhead", b"max-autotune")
    node_types = (ast.Call,)
    VALID = ("import torch\nm = torch.compile(m)",)
    INVALID = ("import torch\nm = torch.compile(m, mode='reduce-overhead')",)

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        mode = kwarg(node, "mode")
        if (
            ctx.qualname(node.func) == "torch.compile"
            and mode is not None
            and is_str(mode.value)
            and (
                mode.value.value in ("reduce-overhead", "max-autotune")  # type: ignore[attr-defined]
            )
        ):
            ctx.report(self, mode.value)


class JitScript(NameRule):
    """`torch.jit.script` is turned into a no-op by torch_npu's transfer_to_npu (with a RuntimeWarning).

    Bad:  `f = torch.jit.script(f)`
    Good: `torch.compile(f)`, or eager code
    """

    code = "IST510"
    name = "jit-script"
    category = "kernels"
    severity = "warning"
    message = "disabled under torch_npu's transfer_to_npu: use torch.compile or eager code"
    tokens = (b"jit",)
    names: ClassVar[dict[str, str | None]] = {"torch.jit.script": None, "torch.jit.script_method": None}
    VALID = ("import torch\nf = torch.compile(f)",)
    INVALID = ("import torch\n@torch.jit.script\ndef f(x):\n    return x\n",)


class Nvtx(NameRule):
    """NVTX ranges and the CUDA profiler API are NVIDIA-only.

    Bad:  `torch.cuda.nvtx.range_push("fwd")`
    Good: `with torch.profiler.record_function("fwd"): ...`
    """

    code = "IST511"
    name = "nvtx"
    category = "kernels"
    severity = "error"
    message = "NVIDIA-only profiling: use torch.profiler.record_function"
    tokens = (b"nvtx", b"profiler")
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.nvtx": None,
        "torch.autograd.profiler.emit_nvtx": None,
        "torch.cuda.profiler": None,
    }
    VALID = ("import torch\nwith torch.profiler.record_function('fwd'):\n    pass\n",)
    INVALID = ("import torch\ntorch.cuda.nvtx.range_push('fwd')",)


class ProfilerCudaActivity(NameRule):
    """`ProfilerActivity.CUDA` records nothing on the target.

    Bad:  `profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])`
    Good: choose the activity from the backend (torch_npu's profiler on Ascend)
    """

    code = "IST512"
    name = "profiler-cuda-activity"
    category = "kernels"
    severity = "warning"
    message = "records nothing on the target: pick the profiler activity per backend"
    tokens = (b"ProfilerActivity",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.profiler.ProfilerActivity.CUDA": None,
        "torch.autograd.ProfilerActivity.CUDA": None,
    }
    VALID = ("from torch.profiler import ProfilerActivity\na = [ProfilerActivity.CPU]",)
    INVALID = ("from torch.profiler import ProfilerActivity\na = [ProfilerActivity.CUDA]",)


class CudaOnlyFeatures(NameRule):
    """CUDA-only features: jiterator, TunableOp, semi-structured sparsity, `cudart`, the cuFFT plan cache.

    Bad:  `f = torch.cuda.jiterator._create_jit_fn(code)`
    Good: plain torch operations
    """

    code = "IST513"
    name = "cuda-only-features"
    category = "kernels"
    severity = "error"
    message = "CUDA-only feature: use plain torch operations"
    tokens = (b"jiterator", b"tunable", b"semi_structured", b"cudart", b"cufft")
    names: ClassVar[dict[str, str | None]] = {
        n: None
        for n in (
            "torch.cuda.jiterator",
            "torch.cuda.tunable",
            "torch.sparse.to_sparse_semi_structured",
            "torch.cuda.cudart",
            "torch.backends.cuda.cufft_plan_cache",
        )
    }
    VALID = ("import torch\ny = torch.add(x, 1)",)
    INVALID = ("import torch\ntorch.cuda.tunable.enable(True)",)


class ChannelsLast(NameRule):
    """`channels_last` is not supported by automatic migration on Ascend (Huawei doc); NPU picks internal formats.

    Bad:  `x = x.to(memory_format=torch.channels_last)`
    Good: `.contiguous()`, letting the target choose its format
    """

    code = "IST514"
    name = "channels-last"
    category = "kernels"
    severity = "warning"
    message = "unsupported/slow on Ascend: keep the default contiguous format"
    tokens = (b"channels_last",)
    names: ClassVar[dict[str, str | None]] = {"torch.channels_last": None, "torch.channels_last_3d": None}
    VALID = ("import torch\nx = x.contiguous()",)
    INVALID = ("import torch\nx = x.to(memory_format=torch.channels_last)",)


class CtypesCudaLibrary(NodeRule):
    """Loading CUDA libraries with ctypes (`libcudart.so`, `libnvidia-ml.so`) fails without NVIDIA's stack.

    Bad:  `ctypes.CDLL("libcudart.so")`
    Good: use torch APIs for device queries
    """

    code = "IST515"
    name = "ctypes-cuda-library"
    category = "kernels"
    severity = "error"
    message = "loads an NVIDIA library: use torch device APIs"
    tokens = (b"libcud", b"libnv")
    node_types = (ast.Call,)
    VALID = ("import ctypes\nlib = ctypes.CDLL('libc.so.6')",)
    INVALID = (
        "import ctypes\nlib = ctypes.CDLL('libcudart.so')",
        "import ctypes\nl = ctypes.cdll.LoadLibrary('libnvidia-ml.so.1')",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        qn = ctx.qualname(node.func) or ""
        if (
            qn.startswith("ctypes.")
            and node.args
            and is_str(node.args[0])
            and (
                node.args[0].value.startswith(("libcud", "libnv"))  # type: ignore[attr-defined]
            )
        ):
            ctx.report(self, node)


class LoadOpLibrary(NameRule):
    """`torch.ops.load_library` loads a prebuilt custom-op library, usually compiled for CUDA.

    Bad:  `torch.ops.load_library("build/libmyops.so")` (built with nvcc)
    Good: build the library for each backend and load the one that matches the accelerator
    """

    code = "IST516"
    name = "load-op-library"
    category = "kernels"
    severity = "info"
    message = "custom-op library: make sure it is built for the target"
    tokens = (b"load_library",)
    names: ClassVar[dict[str, str | None]] = {"torch.ops.load_library": None}
    VALID = ("import torch\ny = torch.ops.aten.add(x, 1)",)
    INVALID = ("import torch\ntorch.ops.load_library('libops.so')",)
