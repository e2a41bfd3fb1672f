"""IST8xx (launch files): CUDA/NCCL environment variables and nvidia-smi in shell scripts and YAML configs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from isthmus.scan.model import Finding
from isthmus.scan.rules._env import advice
from isthmus.scan.rules.base import Case, FileRule, finding

_CUDA = re.compile(r"\b((?:TORCH_)?CUDA_[A-Z0-9_]+|PYTORCH_CUDA_ALLOC_CONF|NVIDIA_VISIBLE_DEVICES)\b")
_NCCL = re.compile(r"\b((?:TORCH_)?NCCL_[A-Z0-9_]+)\b")


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    for i, raw in enumerate(text.splitlines(), 1):
        stripped = raw.lstrip()
        if stripped and not stripped.startswith("#"):
            yield i, raw


def _env_findings(rule: FileRule, path: str, text: str, pattern: re.Pattern[str]) -> Iterator[Finding]:
    """One finding per distinct variable matching `pattern` on each code line, with the target's equivalent."""
    for i, line in _code_lines(text):
        for var in dict.fromkeys(m.group(1) for m in pattern.finditer(line)):
            col = line.index(var) + 1
            yield finding(rule, path, i, advice(var), col, col + len(var))


class LaunchCudaEnv(FileRule):
    """Launch scripts and configs that set or read CUDA variables: ignored on the target, so device selection,
    allocator settings or debugging flags silently stop applying.

    Bad:  `export CUDA_VISIBLE_DEVICES=0,1,2,3`
    Good: `export ASCEND_RT_VISIBLE_DEVICES=0,1,2,3` on Ascend (PYTORCH_NPU_ALLOC_CONF, ASCEND_LAUNCH_BLOCKING)
    """

    code = "IST803"
    name = "launch-cuda-env"
    category = "deps"
    severity = "warning"
    message = "CUDA variable is ignored on the target"
    kinds = ("launch",)
    VALID = (Case("export ASCEND_RT_VISIBLE_DEVICES=0,1\n# CUDA_VISIBLE_DEVICES=0\n", path="launch.sh"),)
    INVALID = (
        Case("export CUDA_VISIBLE_DEVICES=0,1\n", path="launch.sh"),
        Case("env:\n  PYTORCH_CUDA_ALLOC_CONF: expandable_segments:True\n", path="job.yaml"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        yield from _env_findings(self, path, text, _CUDA)


class LaunchNcclEnv(FileRule):
    """Launch scripts and configs that set NCCL variables: ignored by HCCL on the target.

    Bad:  `export NCCL_SOCKET_IFNAME=eth0`
    Good: `export HCCL_SOCKET_IFNAME=eth0` (HCCL_CONNECT_TIMEOUT, HCCL_EXEC_TIMEOUT, HCCL_BUFFSIZE...)
    """

    code = "IST804"
    name = "launch-nccl-env"
    category = "deps"
    severity = "warning"
    message = "NCCL variable is ignored on the target"
    kinds = ("launch",)
    VALID = (Case("export HCCL_SOCKET_IFNAME=eth0\n", path="run.sh"),)
    INVALID = (Case("export NCCL_DEBUG=WARN\nexport NCCL_SOCKET_IFNAME=eth0\n", path="run.sh"),)

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        yield from _env_findings(self, path, text, _NCCL)


class LaunchNvidiaSmi(FileRule):
    """Launch scripts that call `nvidia-smi` (to count GPUs, check memory) fail on the target.

    Bad:  `NGPU=$(nvidia-smi -L | wc -l)`
    Good: `npu-smi info` on Ascend, or count devices through torch:
          `python -c "import torch; print(torch.accelerator.device_count())"`
    """

    code = "IST805"
    name = "launch-nvidia-smi"
    category = "deps"
    severity = "warning"
    message = "nvidia-smi is NVIDIA-only: count devices through torch.accelerator (or npu-smi on Ascend)"
    kinds = ("launch",)
    VALID = (Case("NGPU=$(python -c 'import torch; print(torch.accelerator.device_count())')\n", path="a.sh"),)
    INVALID = (Case("NGPU=$(nvidia-smi -L | wc -l)\n", path="a.sh"),)

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        for i, line in _code_lines(text):
            if "nvidia-smi" in line:
                col = line.index("nvidia-smi") + 1
                yield finding(self, path, i, self.message, col, col + len("nvidia-smi"))


_BUILD = re.compile(r"(?<![\w.-])(nvcc|USE_CUDNN=1|USE_CUDA=1|USE_NCCL=1|-arch=sm_\d+|--gpu-architecture)(?!\w)")


class LaunchCudaBuild(FileRule):
    """Launch scripts that build for CUDA (`nvcc`, `make USE_CUDNN=1`, `-arch=sm_80`): the build fails, or
    builds nothing usable, without the CUDA toolkit. Shell scripts and Dockerfiles are read (YAML files are
    configuration and data). `TORCH_CUDA_ARCH_LIST` is reported by IST803.

    Bad:  `make -j USE_CUDNN=1`, `nvcc -arch=sm_80 kernel.cu`
    Good: a CPU (or target) build in the Ascend script: `make -j USE_CUDNN=0`, no CUDA architectures
    """

    code = "IST807"
    name = "launch-cuda-build"
    category = "deps"
    severity = "warning"
    message = "builds for CUDA: the target needs its own build (no nvcc, no cuDNN)"
    kinds = ("launch",)
    VALID = (
        Case("make -j USE_CUDNN=0\n# nvcc -V\n", path="build.sh"),
        Case("- {package: flash-attn, note: 'checks the nvcc that builds it'}\n", path="data.yaml"),
    )
    INVALID = (
        Case("make train_gpt2cu USE_CUDNN=1\n", path="run.sh"),
        Case("nvcc -O3 -arch=sm_80 k.cu -o k\n", path="install.sh"),
        Case("nvcc -V\n", path="check.sh"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        if path.lower().endswith((".yaml", ".yml", ".env")):  # configs and data: words, not commands
            return
        for i, line in _code_lines(text):
            m = _BUILD.search(line)
            if m:
                yield finding(self, path, i, f"{m.group(1)}: {self.message}", m.start() + 1, m.end() + 1)
