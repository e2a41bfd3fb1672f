"""The one list of CUDA-only packages: read by the import rules (IST5xx) and the dependency rules (IST801).

Each entry names the distribution (as written in requirements), the modules it installs (as imported), why it
does not work on the target, and where that comes from. `rule`: the code of a dedicated import rule with its own
advice (the generic IST518 covers the rest), so every package is reported by exactly one import rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Package:
    dist: str  # normalised distribution name
    imports: tuple[str, ...]  # top-level (or dotted) module names it installs
    reason: str  # why it does not work on the target, and what to use
    source: str  # where the fact comes from
    rule: str = "IST518"  # the import rule that reports it


PACKAGES: tuple[Package, ...] = (
    Package(
        "flash-attn",
        ("flash_attn", "flash_attn_2_cuda"),
        "no Ascend build (transformers#36618): use SDPA or torch_npu.npu_fusion_attention",
        "https://github.com/huggingface/transformers/issues/36618",
        "IST501",
    ),
    Package(
        "xformers",
        ("xformers",),
        "no Ascend operators (xformers#1237): use SDPA",
        "https://github.com/facebookresearch/xformers/issues/1237",
        "IST502",
    ),
    Package(
        "bitsandbytes",
        ("bitsandbytes",),
        "CUDA-first: Ascend support covers nf4 only (bnb#1422); gate quantisation on the backend",
        "https://github.com/bitsandbytes-foundation/bitsandbytes/issues/1422",
        "IST503",
    ),
    Package(
        "triton",
        ("triton",),
        "the CUDA/ROCm build: Ascend needs triton-ascend, with NPU-tuned kernels",
        "https://gitee.com/ascend/triton-ascend",
        "IST504",
    ),
    Package(
        "cupy",
        ("cupy",),
        "CUDA runtime library: use torch on the device",
        "https://docs.cupy.dev/en/stable/install.html",
        "IST506",
    ),
    Package(
        "pycuda",
        ("pycuda",),
        "CUDA runtime bindings: use torch on the device",
        "https://pypi.org/project/pycuda/",
        "IST506",
    ),
    Package(
        "cuda-python",
        ("cuda",),
        "CUDA runtime bindings: use torch on the device",
        "https://pypi.org/project/cuda-python/",
        "IST506",
    ),
    Package(
        "pynvml",
        ("pynvml",),
        "needs NVIDIA's NVML: query through torch.accelerator",
        "https://pypi.org/project/pynvml/",
        "IST406",
    ),
    Package(
        "nvidia-ml-py",
        ("pynvml",),
        "needs NVIDIA's NVML: query through torch.accelerator",
        "https://pypi.org/project/nvidia-ml-py/",
        "IST406",
    ),
    Package(
        "gputil",
        ("GPUtil",),
        "needs nvidia-smi: query through torch.accelerator",
        "https://pypi.org/project/GPUtil/",
        "IST406",
    ),
    Package(
        "cudf-cu12", ("cudf",), "RAPIDS GPU dataframes: use pandas or torch", "https://docs.rapids.ai/install", "IST506"
    ),
    Package("py3nvml", ("py3nvml",), "needs NVIDIA's NVML", "https://pypi.org/project/py3nvml/", "IST406"),
    Package("nvidia-smi", ("nvidia_smi",), "needs nvidia-smi", "https://pypi.org/project/nvidia-smi/", "IST406"),
    Package("gpustat", ("gpustat",), "needs NVIDIA's NVML", "https://pypi.org/project/gpustat/", "IST406"),
    Package("nvitop", ("nvitop",), "needs NVIDIA's NVML", "https://pypi.org/project/nvitop/", "IST406"),
    Package(
        "apex",
        ("apex",),
        "CUDA extensions (amp_C, fused optimisers, fused layer norm): use torch.amp, torch.optim and torch.nn",
        "https://github.com/NVIDIA/apex (setup.py builds only CUDAExtension modules)",
        "IST311",
    ),
    Package(
        "mamba-ssm",
        ("mamba_ssm", "selective_scan_cuda"),
        "CUDA and Triton kernels (selective_scan_cuda): use a PyTorch reference path",
        "https://github.com/state-spaces/mamba (setup.py: CUDAExtension selective_scan_cuda)",
    ),
    Package(
        "causal-conv1d",
        ("causal_conv1d", "causal_conv1d_cuda"),
        "CUDA kernels (causal_conv1d_cuda): use a PyTorch reference path (F.conv1d with left padding)",
        "https://github.com/Dao-AILab/causal-conv1d (setup.py: CUDAExtension causal_conv1d_cuda)",
    ),
    Package(
        "quack-kernels",
        ("quack",),
        "CuTe-DSL kernels for NVIDIA Hopper/Blackwell GPUs: use a PyTorch reference path",
        "https://github.com/Dao-AILab/quack",
    ),
    Package(
        "transformer-engine",
        ("transformer_engine",),
        "NVIDIA-only (FP8 kernels): use torch modules (Ascend: MindSpeed's equivalents)",
        "https://github.com/NVIDIA/TransformerEngine",
    ),
    Package(
        "tensorrt",
        ("tensorrt", "torch_tensorrt"),
        "NVIDIA-only inference runtime",
        "https://pypi.org/project/tensorrt/",
    ),
    Package(
        "onnxruntime-gpu",
        (),
        "the CUDA build of onnxruntime: use onnxruntime (CPU) or the CANN execution provider build",
        "https://onnxruntime.ai/docs/execution-providers/CANN-ExecutionProvider.html",
    ),
    Package(
        "vllm",
        (),
        "the CUDA build: Ascend uses vllm-ascend",
        "https://github.com/vllm-project/vllm-ascend",
    ),
    Package(
        "deepspeed-kernels",
        ("deepspeed_kernels",),
        "prebuilt CUDA kernels for DeepSpeed-FastGen",
        "https://github.com/microsoft/DeepSpeed-Kernels",
    ),
    Package(
        "liger-kernel",
        ("liger_kernel",),
        "Triton kernels tuned for GPUs: needs triton-ascend (keep the torch path)",
        "https://github.com/linkedin/Liger-Kernel",
    ),
)
PREFIXES: dict[str, str] = {
    "cupy-cuda": "CUDA runtime library: use torch on the device",
    "nvidia-": "an NVIDIA CUDA library wheel: not used on Ascend",
}


def normalise(name: str) -> str:
    """PEP 503 name normalisation (`Flash_Attn` -> `flash-attn`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=1)
def _by_dist() -> dict[str, Package]:
    return {p.dist: p for p in PACKAGES}


def dist_reason(name: str) -> str | None:
    """Why the distribution `name` does not work on the target (None: it is not known to be CUDA-only)."""
    n = normalise(name)
    pkg = _by_dist().get(n)
    if pkg is not None:
        return pkg.reason
    return next((why for p, why in PREFIXES.items() if n.startswith(p)), None)


def import_names(rule: str) -> tuple[str, ...]:
    """The module names reported by the import rule `rule`, in table order without repeats."""
    return tuple(dict.fromkeys(m for p in PACKAGES if p.rule == rule for m in p.imports))


def import_reason(module: str) -> str | None:
    """The reason for the package that installs `module` (or a parent of it)."""
    for p in PACKAGES:
        if any(module == m or module.startswith(m + ".") for m in p.imports):
            return p.reason
    return None
