"""What this machine can run: each probe returns lines for the report and never raises.

A half-installed stack (torch_npu without CANN, a CUDA build without a driver) is exactly what this command exists
to diagnose, so every probe catches its own failure and turns it into a line with status "error". torch loads
installed backend extensions (torch_npu) through entry points when it is imported, so `import torch` itself fails on
a CPU host that has torch_npu but no CANN: torch is first imported in a subprocess, and the in-process probes that
import torch run only when that worked. The installed versions are then checked against the compatibility data
(`isthmus.compat`), with the nearest compatible set when they do not fit.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from isthmus.extras import install_command, installed

Status = Literal["ok", "absent", "warn", "error"]


@dataclass(frozen=True)
class Check:
    """One line of the doctor report."""

    group: str  # "python", "torch", "cuda", "npu", "xpu", "mps", "env", "compat", "extras", "capabilities", "targets"
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


# (distribution name, what it enables, the extra that installs it; None: a core dependency)
EXTRAS: tuple[tuple[str, str, str | None], ...] = (
    ("torch", "accel, run, ops, emulate, parity", "torch"),
    ("highspy", "plan (fleet optimiser)", None),
    ("safetensors", "parity records", "torch"),
    ("transformers", "ops/emulate on Hugging Face config.json models", "hf"),
    ("torch-npu", "Ascend NPU backend", "npu"),
    ("ray", "plan --sweep --ray", "ray"),
    ("nvidia-ml-py", "monitor on NVIDIA GPUs", "monitor"),
    ("prometheus-client", "monitor serve", "monitor"),
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


# Run in a fresh interpreter: torch (with its backend autoloading as configured) and, if installed, torch_npu.
_TORCH_PROBE = """
import importlib.util, json
out = {}
try:
    import torch
    out.update(torch=torch.__version__, cuda=torch.version.cuda, hip=getattr(torch.version, "hip", None))
    if importlib.util.find_spec("torch_npu") is not None:
        try:
            import torch_npu
            out["npu_devices"] = torch.npu.device_count() if torch.npu.is_available() else 0
        except Exception as e:
            out["npu_error"] = type(e).__name__ + ": " + str(e)
except Exception as e:
    out["error"] = type(e).__name__ + ": " + str(e)
print(json.dumps(out))
"""
_BACKEND_FAILURE = "Failed to load the backend extension"


@dataclass(frozen=True)
class TorchState:
    """What a fresh `import torch` did: its version and build, or the error (and the same without autoloading)."""

    info: dict[str, Any]  # torch, cuda, hip, npu_devices, npu_error
    error: str | None = None  # `import torch` failed with backend autoloading on
    without_autoload: dict[str, Any] = field(default_factory=dict)  # the retry with TORCH_DEVICE_BACKEND_AUTOLOAD=0


def _run_probe(env: Mapping[str, str]) -> dict[str, Any]:
    try:
        out = subprocess.run(
            [sys.executable, "-c", _TORCH_PROBE],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env=dict(env),
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    lines = out.stdout.strip().splitlines()
    try:
        data: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        data = {}
    if not data:  # the interpreter died before printing (a crash in a native library)
        tail = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[-1]
        data = {"error": tail}
    return data


@functools.lru_cache(maxsize=1)
def torch_state() -> TorchState:
    """Import torch as the user's code would: in a subprocess when a backend extension (torch_npu) is registered for
    autoloading, since that import can fail or crash; retry without autoloading if it fails."""
    if importlib.util.find_spec("torch") is None:
        return TorchState({}, "torch is not installed")
    if not importlib.metadata.entry_points(group="torch.backends"):
        # no backend extension for torch to autoload: importing it here cannot fail that way (and costs one import)
        try:
            import torch
        except Exception as e:  # a broken install is a finding
            return TorchState({}, f"{type(e).__name__}: {e}")
        return TorchState({"torch": torch.__version__, "cuda": torch.version.cuda})
    info = _run_probe(os.environ)
    if "error" not in info:
        return TorchState(info)
    retry = _run_probe({**os.environ, "TORCH_DEVICE_BACKEND_AUTOLOAD": "0"})
    return TorchState({}, str(info["error"]), retry if "error" not in retry else {})


def explain_torch_failure(error: str, versions: Mapping[str, str]) -> str:
    """One paragraph on why `import torch` fails, for the torch_npu-without-CANN case and the rest."""
    npu = versions.get("torch_npu")
    if npu and (_BACKEND_FAILURE in error or "libascend" in error or "libhccl" in error or ".so" in error):
        from isthmus.compat import nearest_ascend
        from isthmus.compat.matrix import release

        near = nearest_ascend(dict(versions))
        torch = versions.get("torch")
        if torch and release(torch) != release(npu):  # a binary built against another torch fails to load too
            return (
                f"torch_npu {npu} is built for torch {release(npu)}, but torch {torch} is installed, and torch loads "
                f"torch_npu on `import torch` ({error}). Install torch=={release(npu)}, or torch_npu "
                f"{near['torch_npu']} for a listed torch (then CANN {near['cann']}); on a CPU-only host uninstall "
                f"torch-npu, or set TORCH_DEVICE_BACKEND_AUTOLOAD=0 so that `import torch` skips it."
            )
        return (
            f"torch_npu {npu} is installed, and torch loads it on `import torch`, but it cannot load: the CANN "
            f"libraries are missing or not on the library path ({error}). On an Ascend host install CANN "
            f"{near['cann']} (paired with torch_npu {near['torch_npu']}) and `source "
            f"/usr/local/Ascend/ascend-toolkit/set_env.sh`; on a CPU-only host uninstall torch-npu, or set "
            f"TORCH_DEVICE_BACKEND_AUTOLOAD=0 so that `import torch` skips it."
        )
    return f"`import torch` fails: {error}"


def probe_torch() -> list[Check]:
    if not installed("torch"):  # a core install: scan, rules, hw, compliance, estimate and plan work without it
        hint = install_command("torch")
        return [Check("torch", "torch", "absent", f"not installed: run, ops, emulate and parity need it ({hint})")]
    state = torch_state()
    if state.error is None:
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
    detail = explain_torch_failure(state.error, installed_versions())
    checks = [Check("torch", "import torch", "error", detail, {"error": state.error})]
    if state.without_autoload:
        v = state.without_autoload.get("torch")
        checks.append(
            Check(
                "torch", "torch", "warn", f"{v}: imports with TORCH_DEVICE_BACKEND_AUTOLOAD=0", state.without_autoload
            )
        )
    return checks


def _needs_torch(probe: Callable[[], list[Check]], group: str) -> Callable[[], list[Check]]:
    """Run an in-process torch probe only when `import torch` works (else it would fail the same way)."""

    def run() -> list[Check]:
        if torch_state().error is not None:
            why = "torch is not installed" if not installed("torch") else "`import torch` fails (see torch)"
            return [Check(group, group, "absent", f"not probed: {why}")]
        return probe()

    return run


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


def _cann_version(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    for var in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"):
        home = env.get(var)
        if not home:
            continue
        for name in ("version.cfg", "ascend_toolkit_install.info", "version.info"):
            f = Path(home) / name
            if f.is_file():
                for line in f.read_text(errors="replace").splitlines():
                    if "version" in line.lower() and "=" in line:
                        return line.split("=", 1)[1].strip()
    return None


def _ascend_driver(path: Path = Path("/usr/local/Ascend/driver/version.info")) -> str | None:
    """The Ascend HDK driver version from its install record (`Version=24.1.rc2`)."""
    try:
        for line in path.read_text(errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "version" and value.strip():
                return value.strip()
    except OSError:
        return None
    return None


def probe_npu() -> list[Check]:
    env = {k: v for k, v in os.environ.items() if k.startswith("ASCEND_")}
    checks: list[Check] = []
    if importlib.util.find_spec("torch_npu") is None:
        checks.append(
            Check("npu", "torch_npu", "absent", f"not installed ({install_command('npu')} on an Ascend host)")
        )
    else:
        state = torch_state()
        version = _version("torch-npu")
        if state.error is not None:
            checks.append(Check("npu", "torch_npu", "error", f"{version}: cannot load (see torch: import torch)"))
        elif "npu_error" in state.info:
            detail = explain_torch_failure(str(state.info["npu_error"]), installed_versions())
            checks.append(Check("npu", "torch_npu", "error", detail))
        else:
            n = int(state.info.get("npu_devices") or 0)
            checks.append(
                Check("npu", "torch_npu", "ok" if n else "warn", f"{version}, {n} NPU(s) visible", {"devices": n})
            )
    cann = _cann_version()
    checks.append(Check("npu", "CANN", "ok" if cann else "absent", cann or "not found (source set_env.sh from CANN)"))
    driver = _ascend_driver()
    if driver:
        checks.append(Check("npu", "Ascend driver", "ok", driver))
    if env:
        checks.append(Check("npu", "ASCEND_* environment", "ok", ", ".join(sorted(env)), env))
    return checks


# ------------------------------------------------------------------------------------------------ environment

_SET_ENV = "/usr/local/Ascend/ascend-toolkit/set_env.sh"
_DEVICE_LIST = {
    "ASCEND_RT_VISIBLE_DEVICES": r"\d+(,\d+)*",
    "CUDA_VISIBLE_DEVICES": r"(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)(,(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+))*",
}


def env_checks(
    environ: Mapping[str, str],
    npu_installed: bool,
    is_dir: Callable[[str], bool] = os.path.isdir,
    is_file: Callable[[str], bool] = os.path.isfile,
) -> list[Check]:
    """CANN environment variables, set_env.sh and visible-device lists (pure given `environ` and the file tests)."""
    import re

    out: list[Check] = []
    ascend = npu_installed or any(k.startswith("ASCEND_") for k in environ)
    if ascend:
        homes = {v: environ[v] for v in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME") if environ.get(v)}
        set_env = _SET_ENV if is_file(_SET_ENV) else None
        hint = f"source {set_env}" if set_env else "install CANN and source its set_env.sh"
        if not homes:
            out.append(Check("env", "ASCEND_HOME_PATH", "warn", f"not set: {hint}", {"set_env": set_env}))
        for var, home in homes.items():
            if not is_dir(home):
                out.append(Check("env", var, "error", f"{home} does not exist: {hint}"))
                continue
            out.append(Check("env", var, "ok", home))
            libs = [p for p in environ.get("LD_LIBRARY_PATH", "").split(":") if p]
            if not any(p.startswith(home.rstrip("/")) for p in libs):
                out.append(Check("env", "LD_LIBRARY_PATH", "warn", f"has no library directory of {home}: {hint}"))
            break
    for var, pattern in _DEVICE_LIST.items():
        value = environ.get(var)
        if value is None:
            continue
        value = value.strip()
        if value in ("", "-1", "none", "NoDevFiles"):
            out.append(Check("env", var, "warn", f"{var}={value!r} hides every device"))
        elif not re.fullmatch(pattern, value.replace(" ", "")):
            out.append(Check("env", var, "error", f"{var}={value!r} is not a comma-separated list of device ids"))
        else:
            out.append(Check("env", var, "ok", value))
    return out


def probe_env() -> list[Check]:
    return env_checks(os.environ, importlib.util.find_spec("torch_npu") is not None)


# ------------------------------------------------------------------------------------------------ compatibility

# stack component -> distribution name of an installed add-on whose version it is
_ADDONS = {
    "torch_npu": "torch-npu",
    "vllm": "vllm",
    "vllm-ascend": "vllm-ascend",
    "triton-ascend": "triton-ascend",
    "flash-attn": "flash-attn",
    "xformers": "xformers",
    "bitsandbytes": "bitsandbytes",
    "mindspeed": "mindspeed",
}


def installed_versions() -> dict[str, str]:
    """The installed stack as the compatibility check reads it (no torch import: metadata and files only)."""
    stack = {"python": platform.python_version()}
    for comp, dist in (("torch", "torch"), *_ADDONS.items()):
        v = _version(dist)
        if v:
            stack[comp] = v
    info = torch_state().info or torch_state().without_autoload
    if info.get("cuda"):
        stack["cuda"] = str(info["cuda"])
    for comp, value in (("cann", _cann_version()), ("ascend_driver", _ascend_driver()), ("nvidia_driver", None)):
        if value:
            stack[comp] = value
    if "cuda" in stack:
        try:
            driver = _nvidia_driver()
        except (OSError, subprocess.SubprocessError):
            driver = None
        if driver:
            stack["nvidia_driver"] = driver
        capability = _compute_capability()
        if capability:
            stack["compute_capability"] = capability
    return stack


def _compute_capability() -> str | None:
    """'9.0' for the first visible GPU, when torch is already imported here and sees one (never imports torch)."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            major, minor = torch.cuda.get_device_capability(0)
            return f"{major}.{minor}"
    except Exception:  # a broken driver is reported by the cuda probe
        return None
    return None


def compat_checks(stack: Mapping[str, str]) -> list[Check]:
    """One line per problem of `stack` against the compatibility data, and the nearest compatible set (pure)."""
    from isthmus.compat import check_stack

    result = check_stack(stack)
    status: dict[str, Status] = {"error": "error", "warning": "warn", "info": "warn"}
    out = [
        Check("compat", " / ".join(p.components), status[p.severity], f"{p.message}: {p.fix}", p.to_json())
        for p in result.problems
    ]
    if result.nearest:
        near = {k: v for k, v in result.nearest.items() if k not in ("kind", "source")}
        text = ", ".join(f"{k} {v}" for k, v in near.items())
        out.append(Check("compat", "nearest compatible set", "warn", f"{text} ({result.nearest['kind']})", dict(near)))
    if not out:
        named = ", ".join(f"{k} {v}" for k, v in stack.items())
        out.append(Check("compat", "stack", "ok", f"no known conflict: {named}"))
    out.append(Check("compat", "data", "ok", f"compatibility data as of {result.data_date}"))
    return out


def probe_compat() -> list[Check]:
    return compat_checks(installed_versions())


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
    for dist, what, extra in EXTRAS:
        v = _version(dist)
        via = f" (extra: {extra})" if extra else ""
        out.append(
            Check("extras", dist, "ok" if v else "absent", f"{v or 'not installed'}: {what}{via}", {"version": v})
        )
    return out


PROBES: tuple[tuple[str, Callable[[], list[Check]]], ...] = (
    ("python", probe_python),
    ("torch", probe_torch),
    ("cuda", _needs_torch(probe_cuda, "cuda")),
    ("npu", probe_npu),
    ("xpu", _needs_torch(probe_xpu_mps, "xpu")),
    ("env", probe_env),
    ("compat", probe_compat),
    ("extras", probe_extras),
)


# capability -> distributions it needs
CAPABILITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scan", ()),
    ("accel / run", ("torch",)),
    ("ops / emulate", ("torch",)),
    ("ops on Hugging Face configs", ("torch", "transformers")),
    ("parity", ("torch", "safetensors")),
    ("plan", ("highspy", "pyyaml")),
    ("plan sweeps on Ray", ("ray",)),
    ("monitor (NVIDIA) and monitor serve", ("nvidia-ml-py", "prometheus-client")),
)


_EXTRA = {dist: extra for dist, _, extra in EXTRAS if extra}


def _install_hint(missing: list[str]) -> str:
    """How to install missing distributions: the extras that bring them, then any core one by name."""
    extras = sorted({_EXTRA[d] for d in missing if d in _EXTRA})
    core = [d for d in missing if d not in _EXTRA]
    hints = [install_command(",".join(extras))] if extras else []
    return "; ".join(hints + ([f"pip install {' '.join(core)}"] if core else []))


def probe_capabilities() -> list[Check]:
    out = []
    for cap, needs in CAPABILITIES:
        missing = [d for d in needs if _version(d) is None]
        detail = "ready" if not missing else f"missing {', '.join(missing)}: {_install_hint(missing)}"
        out.append(Check("capabilities", cap, "ok" if not missing else "absent", detail, {"missing": missing}))
    return out


def target_checks(checks: list[Check]) -> list[Check]:
    """Which registry targets (isthmus.targets) this machine runs on a real device, read from the device probes;
    the others run through the emulator on the CPU."""
    from isthmus.targets import all_targets

    devices = {"cpu"}
    if any(c.group == "cuda" and c.name.startswith("cuda:") and c.status == "ok" for c in checks):
        devices.add("cuda")
    if any(c.group == "npu" and c.name == "torch_npu" and c.data.get("devices") for c in checks):
        devices.add("npu")
    out = []
    for t in all_targets():
        roadmap = " (roadmap part)" if t.status == "roadmap" else ""
        if t.backend in devices:
            out.append(Check("targets", t.name, "ok", f"runs here on the {t.backend} backend{roadmap}"))
        else:
            detail = f"no {t.backend} device here: `isthmus emulate --target {t.name}` runs it on the CPU{roadmap}"
            out.append(Check("targets", t.name, "absent", detail))
    return out


def run_doctor() -> DoctorReport:
    """Run every probe; a probe that raises becomes an "error" line naming the exception."""
    torch_state.cache_clear()  # the stack may have changed since the last run in this process
    checks: list[Check] = []
    for group, probe in (*PROBES, ("capabilities", probe_capabilities)):
        try:
            checks.extend(probe())
        except Exception as e:  # a broken stack is a finding, not a crash
            checks.append(Check(group, group, "error", f"probe failed: {type(e).__name__}: {e}"))
    checks.extend(target_checks(checks))
    return DoctorReport(tuple(checks))
