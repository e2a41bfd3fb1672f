"""IST8xx (CUDA sources): `.cu`/`.cuh` files and C++ that includes CUDA headers: each needs an Ascend C port.

The engine attaches the Python call sites (the lines that name the file, e.g. `load(sources=[...])` or
`CUDAExtension(...)`) to each finding as related locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from isthmus.scan.model import Finding
from isthmus.scan.rules.base import Case, FileRule, finding

_KERNEL = re.compile(r"__global__\s+(?:[\w:<>,\s\*&]+?\s+)?(\w+)\s*\(")
_CUDA_INCLUDE = re.compile(
    r"#\s*include\s*[<\"](cuda[\w./]*|ATen/cuda/[\w./]+|c10/cuda/[\w./]+|cub/[\w./]+|"
    r"thrust/[\w./]+|cublas[\w./]*|cudnn[\w./]*|nccl\.h)[>\"]"
)


class CudaSourceFile(FileRule):
    """A CUDA source file: its kernels need an Ascend C (OpPlugin) port before the code that builds them runs
    on the target. The finding names the kernels it defines and the Python lines that build or load it.

    Bad:  `csrc/fused_rmsnorm.cu` built with `load(sources=[...])`, no fallback
    Good: a PyTorch reference path, plus an Ascend C kernel registered for the target
    """

    code = "IST806"
    name = "cuda-source-file"
    category = "kernels"
    severity = "warning"
    message = "CUDA source: needs an Ascend C port"
    kinds = ("cuda",)
    VALID = (Case("// plain C++\nint add(int a, int b) { return a + b; }\n", path="ops.cpp"),)
    INVALID = (
        Case("__global__ void rms_kernel(float* x) {}\n", path="k.cu"),
        Case("#include <cuda_runtime.h>\nvoid launch();\n", path="bind.cpp"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        kernels = list(dict.fromkeys(_KERNEL.findall(text))) if "__global__" in text else []
        includes = list(dict.fromkeys(_CUDA_INCLUDE.findall(text))) if "include" in text else []
        if not path.endswith((".cu", ".cuh")) and not includes:
            return
        line = 1
        m = re.search(r"__global__", text) or _CUDA_INCLUDE.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
        what = (
            f"defines kernel(s) {', '.join(kernels[:8])}"
            if kernels
            else (f"includes {', '.join(includes[:4])}" if includes else "CUDA code")
        )
        yield finding(self, path, line, f"CUDA source ({what}): needs an Ascend C port")
