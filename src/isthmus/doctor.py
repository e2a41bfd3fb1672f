"""What this machine can run: each probe returns lines for the report and never raises.

A half-installed stack (torch_npu without CANN, a CUDA build without a driver) is exactly what this command exists
to diagnose, so every probe catches its own failure and turns it into a line with status "error".
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "absent", "warn", "error"]


@dataclass(frozen=True)
class Check:
    """One line of the doctor report."""

    group: str  # "python", "torch", "cuda", "npu", "xpu", "mps", "extras", "capabilities"
    name: str
    status: Status
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    def to_json(self) -> dict[str, Any]:
        return {"checks": [asdict(c) for c in self.checks]}

    def by_group(self, group: str) -> list[Check]:
        return [c for c in self.checks if c.group == group]


# extras: (distribution name, what it enables)
EXTRAS: tuple[tuple[str, str], ...] = (
    ("torch", "accel, run, ops, emulate, parity"),
    ("libcst", "scan --fix"),
    ("highspy", "plan (fleet optimiser)"),
    ("safetensors", "parity records"),
    ("transformers", "ops/emulate on Hugging Face config.json models (extra: hf)"),
    ("torch-npu", "Ascend NPU backend (extra: npu)"),
    ("ray", "plan --sweep --ray (extra: ray)"),
    ("matplotlib", "PNG charts (extra: plot)"),
)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def probe_python() -> list[Check]:
    return [
        Check(
            "python",
            "python",
            "ok",
            f"{platform.python_implementation()} {platform.python_version()}",
            {"executable": sys.executable},
        ),
        Check("python", "platform", "ok", f"{platform.system()} {platform.release()} {platform.machine()}"),
    ]


def probe_torch() -> list[Check]:
    import torch

    cuda, hip = torch.version.cuda, getattr(torch.version, "hip", None)
    build = "ROCm " + str(hip) if hip else ("CUDA " + str(cuda) if cuda else "CPU-only")
    return [
        Check(
            "torch",
            "torch",
            "ok",
            f"{torch.__version__} ({build} build)",
            {"version": torch.__version__, "cuda": cuda, "hip": hip, "build": build},
        )
    ]


def _nvidia_driver() -> str | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    out = subprocess.run(
        [exe, "--query-gpu=driver_version", "--format=csv,noheader"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def probe_cuda() -> list[Check]:
    import torch

    if not (torch.version.cuda or getattr(torch.version, "hip", None)):
        return [Check("cuda", "cuda", "absent", "torch is a CPU-only build")]
    if not torch.cuda.is_available():
        return [
            Check(
                "cuda",
                "cuda",
                "warn",
                "torch has GPU support but no GPU is visible (driver? CUDA_VISIBLE_DEVICES?)",
            )
        ]
    checks = [Check("cuda", "driver", "ok", _nvidia_driver() or "unknown")]
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        gib = p.total_memory / 2**30
        checks.append(
            Check(
                "cuda",
                f"cuda:{i}",
                "ok",
                f"{p.name}, {gib:.1f} GiB, sm{p.major}{p.minor}",
                {"name": p.name, "memory_gib": round(gib, 2), "capability": f"{p.major}.{p.minor}"},
            )
        )
    return checks


def _cann_version() -> str | None:
    for var in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"):
        home = os.environ.get(var)
        if not home:
            continue
        for name in ("version.cfg", "ascend_toolkit_install.info", "version.info"):
            f = Path(home) / name
            if f.is_file():
                for line in f.read_text(errors="replace").splitlines():
                    if "version" in line.lower() and "=" in line:
                        return line.split("=", 1)[1].strip()
    return None


def probe_npu() -> list[Check]:
    env = {k: v for k, v in os.environ.items() if k.startswith("ASCEND_")}
    checks: list[Check] = []
    if importlib.util.find_spec("torch_npu") is None:
        checks.append(
            Check("npu", "torch_npu", "absent", "not installed (pip install 'isthmus[npu]' on an Ascend host)")
        )
    else:
        import torch
        import torch_npu  # noqa: F401

        npu = torch.npu  # type: ignore[attr-defined]  # added to torch by importing torch_npu
        n = npu.device_count() if npu.is_available() else 0
        checks.append(
            Check(
                "npu",
                "torch_npu",
                "ok" if n else "warn",
                f"{_version('torch-npu')}, {n} NPU(s) visible",
                {"devices": n},
            )
        )
    cann = _cann_version()
    checks.append(Check("npu", "CANN", "ok" if cann else "absent", cann or "not found (source set_env.sh from CANN)"))
    if env:
        checks.append(Check("npu", "ASCEND_* environment", "ok", ", ".join(sorted(env)), env))
    return checks


def probe_xpu_mps() -> list[Check]:
    import torch

    xpu = hasattr(torch, "xpu") and torch.xpu.is_available()
    mps = torch.backends.mps.is_available()
    return [
        Check(
            "xpu",
            "xpu",
            "ok" if xpu else "absent",
            f"{torch.xpu.device_count()} device(s)" if xpu else "none",
        ),
        Check("mps", "mps", "ok" if mps else "absent", "available" if mps else "none"),
    ]


def probe_extras() -> list[Check]:
    out = []
    for dist, what in EXTRAS:
        v = _version(dist)
        out.append(Check("extras", dist, "ok" if v else "absent", f"{v or 'not installed'}: {what}", {"version": v}))
    return out


PROBES: tuple[tuple[str, Callable[[], list[Check]]], ...] = (
    ("python", probe_python),
    ("torch", probe_torch),
    ("cuda", probe_cuda),
    ("npu", probe_npu),
    ("xpu", probe_xpu_mps),
    ("extras", probe_extras),
)


# capability -> distributions it needs
CAPABILITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scan", ("libcst",)),
    ("accel / run", ("torch",)),
    ("ops / emulate", ("torch",)),
    ("ops on Hugging Face configs", ("torch", "transformers")),
    ("parity", ("torch", "safetensors")),
    ("plan", ("highspy", "pyyaml")),
    ("plan sweeps on Ray", ("ray",)),
)


def probe_capabilities() -> list[Check]:
    out = []
    for cap, needs in CAPABILITIES:
        missing = [d for d in needs if _version(d) is None]
        detail = "ready" if not missing else f"missing {', '.join(missing)}: pip install {' '.join(missing)}"
        out.append(Check("capabilities", cap, "ok" if not missing else "absent", detail, {"missing": missing}))
    return out


def run_doctor() -> DoctorReport:
    """Run every probe; a probe that raises becomes an "error" line naming the exception."""
    checks: list[Check] = []
    for group, probe in (*PROBES, ("capabilities", probe_capabilities)):
        try:
            checks.extend(probe())
        except Exception as e:  # a broken stack is a finding, not a crash
            checks.append(Check(group, group, "error", f"probe failed: {type(e).__name__}: {e}"))
    return DoctorReport(tuple(checks))
