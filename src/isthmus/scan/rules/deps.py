"""IST8xx (dependencies): CUDA-only packages and CUDA wheel indexes in requirements files and pyproject.toml.

Dependency pins are reported as warnings: they describe an environment, and the fix is an environment decision
(a CUDA-only extra or requirements file next to an Ascend one). Code that imports a CUDA-only package without a
fallback is reported as an error at the import (IST5xx).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from isthmus.scan.model import Finding
from isthmus.scan.rules.base import Case, FileRule, finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# normalised name -> why it does not work on Ascend and what to use
CUDA_ONLY: dict[str, str] = {
    "flash-attn": "no Ascend build (transformers#36618): use SDPA or torch_npu.npu_fusion_attention",
    "xformers": "no Ascend operators (xformers#1237): use SDPA",
    "apex": "CUDA extensions (amp_C, fused optimisers): use torch.amp and torch.optim",
    "pynvml": "needs NVIDIA's NVML: query through torch.accelerator",
    "nvidia-ml-py": "needs NVIDIA's NVML: query through torch.accelerator",
    "gputil": "needs nvidia-smi: query through torch.accelerator",
    "pycuda": "CUDA runtime bindings: use torch on the device",
    "cuda-python": "CUDA runtime bindings: use torch on the device",
    "triton": "the CUDA/ROCm build: Ascend needs triton-ascend, with NPU-tuned kernels",
    "mamba-ssm": "CUDA kernels: use a PyTorch reference path",
    "causal-conv1d": "CUDA kernels: use a PyTorch reference path",
    "transformer-engine": "NVIDIA-only (FP8 kernels)",
    "tensorrt": "NVIDIA-only inference runtime",
    "onnxruntime-gpu": "the CUDA build of onnxruntime",
    "vllm": "the CUDA build: Ascend uses vllm-ascend",
    "bitsandbytes": "CUDA-first: Ascend support covers nf4 only (bnb#1422); gate quantisation on the backend",
}
_PREFIXES = {
    "cupy-cuda": "CUDA runtime library: use torch on the device",
    "nvidia-": "an NVIDIA CUDA library wheel: not used on Ascend",
}
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_CUDA_INDEX = re.compile(r"(?:/cu\d{2,3}\b|/whl/nightly/cu|cuda)", re.I)
_LOCAL_CUDA = re.compile(r"\+cu\d{2,3}\b")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def cuda_only_reason(name: str) -> str | None:
    n = normalise(name)
    if n in CUDA_ONLY:
        return CUDA_ONLY[n]
    return next((why for p, why in _PREFIXES.items() if n.startswith(p)), None)


class CudaOnlyRequirement(FileRule):
    """A dependency that has no Ascend build (flash-attn, xformers, apex, cupy-cuda*, nvidia-*, pynvml,
    triton's CUDA build...): `pip install` fails or installs something unusable on the target.

    Bad:  `flash-attn==2.6.3` in requirements.txt
    Good: move it to a CUDA-only extra (`pip install .[cuda]`) or `requirements-cuda.txt`, with an Ascend
          counterpart (torch-npu) in its own file
    """

    code = "IST801"
    name = "cuda-only-requirement"
    category = "deps"
    severity = "warning"
    message = "CUDA-only dependency: move it to a CUDA-only extra or requirements file"
    kinds = ("requirements", "pyproject")
    VALID = (
        Case("numpy>=1.26\nsafetensors\n# flash-attn (disabled)\n", path="requirements.txt"),
        Case('[project]\ndependencies = ["numpy"]\n', path="pyproject.toml"),
    )
    INVALID = (
        Case("numpy\nflash-attn==2.6.3\n", path="requirements.txt"),
        Case("nvidia-ml-py==12.560.30\ncupy-cuda12x\n", path="requirements-dev.txt"),
        Case('[project]\ndependencies = ["xformers>=0.0.28"]\n', path="pyproject.toml"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        for line, name in _requirements(path, text):
            why = cuda_only_reason(name)
            if why:
                yield finding(self, path, line, f"{name}: {why}; move it to a CUDA-only extra/requirements file")


class CudaWheelIndex(FileRule):
    """CUDA wheel indexes and `+cuXXX` local versions pin the CUDA build of torch; torch_npu needs the CPU build.

    Bad:  `--extra-index-url https://download.pytorch.org/whl/cu121` and `torch==2.4.1+cu121`
    Good: an unpinned-build `torch==2.4.1` plus the matching `torch-npu` in the Ascend requirements
    """

    code = "IST802"
    name = "cuda-wheel-index"
    category = "deps"
    severity = "warning"
    message = "pins CUDA builds: keep CUDA indexes/+cuXXX versions in a CUDA-only requirements file"
    kinds = ("requirements", "pyproject")
    VALID = (Case("torch==2.4.1\n", path="requirements.txt"),)
    INVALID = (
        Case("--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.4.1+cu121\n", path="requirements.txt"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        if path.endswith(".toml"):
            for line, spec in _pyproject_specs(text):
                if _LOCAL_CUDA.search(spec):
                    yield finding(self, path, line, f"{spec}: CUDA build pinned ({self.message})")
            return
        for i, raw in enumerate(text.splitlines(), 1):
            req = raw.split(" #", 1)[0].strip()
            if req.startswith(("-i", "--index-url", "--extra-index-url", "-f", "--find-links")) and (
                _CUDA_INDEX.search(req)
            ):
                yield finding(self, path, i, f"CUDA wheel index `{req}`: {self.message}")
            elif _LOCAL_CUDA.search(req) and not req.startswith("#"):
                yield finding(self, path, i, f"`{req}` pins a CUDA build: {self.message}")


def _requirements(path: str, text: str) -> Iterator[tuple[int, str]]:
    if path.endswith(".toml"):
        for line, spec in _pyproject_specs(text):
            m = _REQ.match(spec)
            if m:
                yield line, m.group(1)
        return
    for i, raw in enumerate(text.splitlines(), 1):
        req = raw.split("#", 1)[0].strip()
        if not req or req.startswith("-"):
            continue
        m = _REQ.match(req)
        if m and "://" not in req:
            yield i, m.group(1)


def _pyproject_specs(text: str) -> Iterator[tuple[int, str]]:
    """(line, requirement string) for [project] dependencies, optional-dependencies and poetry dependencies."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    specs: list[str] = []
    project = data.get("project", {})
    if isinstance(project, dict):
        specs += [s for s in project.get("dependencies", []) if isinstance(s, str)]
        for group in (project.get("optional-dependencies") or {}).values():
            specs += [s for s in group if isinstance(s, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        specs += [str(k) for k in (poetry.get("dependencies") or {})]
    lines = text.splitlines()
    for spec in specs:
        line = next((i for i, t in enumerate(lines, 1) if spec in t), 1)
        yield line, spec
