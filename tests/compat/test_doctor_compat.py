"""`isthmus doctor` on stacks built from the compatibility data, its environment checks, and the
torch_npu-without-CANN failure reproduced with a stand-in torch_npu that torch autoloads through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isthmus.compat import load_matrix
from isthmus.compat.matrix import prefix_match, release
from isthmus.doctor import compat_checks, env_checks, explain_torch_failure

DATA = load_matrix()
ROW = next(r for r in DATA.ascend if r.kind == "official")
SRC = Path(__file__).resolve().parents[2] / "src"


def _stack(**over: str) -> dict[str, str]:
    return {"python": ROW.python[0], "torch": ROW.torch, "torch_npu": ROW.torch_npu, "cann": ROW.cann, **over}


def test_a_listed_stack_is_ok_and_shows_the_data_date() -> None:
    checks = compat_checks(_stack())
    assert [c.status for c in checks] == ["ok", "ok"]
    assert DATA.data_date.isoformat() in checks[-1].detail


def test_wrong_cann_is_an_error_with_the_nearest_set() -> None:
    paired = {r.cann for r in DATA.ascend if r.torch_npu == ROW.torch_npu}
    wrong = next(r.cann for r in DATA.ascend if not any(prefix_match(r.cann, c) for c in paired))
    checks = compat_checks(_stack(cann=wrong))
    errors = [c for c in checks if c.status == "error"]
    assert errors and wrong in errors[0].detail
    nearest = next(c for c in checks if c.name == "nearest compatible set")
    assert nearest.data["torch_npu"] and nearest.data["cann"] in {r.cann for r in DATA.ascend}


def test_cuda_driver_mismatch_is_an_error() -> None:
    floors = sorted(DATA.cuda_drivers, key=lambda r: int(r.min_driver.split(".")[0]))
    row = next(r for r in DATA.cuda_torch if any(c.split(".")[0] == floors[-1].cuda for c in r.cuda))
    cuda = next(c for c in row.cuda if c.split(".")[0] == floors[-1].cuda)
    checks = compat_checks({"torch": f"{row.torch}.0", "cuda": cuda, "nvidia_driver": floors[0].min_driver})
    assert any(c.status == "error" and floors[-1].min_driver in c.detail for c in checks)


def test_backend_failure_is_explained_with_the_paired_cann() -> None:
    error = "RuntimeError: Failed to load the backend extension: torch_npu. You can disable ..."
    text = explain_torch_failure(error, {"torch": ROW.torch, "torch_npu": ROW.torch_npu})
    paired = [r.cann for r in DATA.ascend if r.torch_npu == ROW.torch_npu]
    assert "CANN" in text and "TORCH_DEVICE_BACKEND_AUTOLOAD=0" in text and any(c in text for c in paired)
    assert explain_torch_failure("ImportError: x", {}) == "`import torch` fails: ImportError: x"
    other = next(r.torch for r in DATA.ascend if release(r.torch) != release(ROW.torch_npu))
    mismatch = explain_torch_failure(error, {"torch": other, "torch_npu": ROW.torch_npu})
    assert f"built for torch {release(ROW.torch_npu)}" in mismatch and f"torch {other} is installed" in mismatch


def test_env_checks(tmp_path: Path) -> None:
    home = str(tmp_path)
    ok = env_checks({"ASCEND_HOME_PATH": home, "LD_LIBRARY_PATH": f"{home}/lib64"}, npu_installed=True)
    assert [c.status for c in ok] == ["ok"]
    missing = env_checks({}, npu_installed=True, is_file=lambda p: False)
    assert missing[0].status == "warn" and "set_env.sh" in missing[0].detail
    gone = env_checks({"ASCEND_TOOLKIT_HOME": str(tmp_path / "nope")}, npu_installed=True)
    assert gone[0].status == "error"
    nolib = env_checks({"ASCEND_HOME_PATH": home, "LD_LIBRARY_PATH": "/usr/lib"}, npu_installed=True)
    assert [c.name for c in nolib if c.status == "warn"] == ["LD_LIBRARY_PATH"]
    devices = env_checks(
        {"ASCEND_RT_VISIBLE_DEVICES": "0,1", "CUDA_VISIBLE_DEVICES": "a;b"}, npu_installed=False, is_dir=lambda p: True
    )
    assert {c.name: c.status for c in devices} == {
        "ASCEND_HOME_PATH": "warn",
        "ASCEND_RT_VISIBLE_DEVICES": "ok",
        "CUDA_VISIBLE_DEVICES": "error",
    }
    assert env_checks({"CUDA_VISIBLE_DEVICES": ""}, npu_installed=False)[0].status == "warn"


@pytest.mark.slow
def test_doctor_explains_torch_npu_without_cann(tmp_path: Path) -> None:
    """A torch_npu whose native libraries are missing, registered as a torch backend the way the real one is."""
    version = ROW.torch_npu
    pkg, dist = tmp_path / "torch_npu", tmp_path / f"torch_npu-{version}.dist-info"
    pkg.mkdir()
    dist.mkdir()
    (pkg / "__init__.py").write_text('raise ImportError("libhccl.so: cannot open shared object file")\n')
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch-npu\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text("[torch.backends]\ntorch_npu = torch_npu:_autoload\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASCEND_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(SRC)])
    out = subprocess.run(
        [sys.executable, "-m", "isthmus", "doctor", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    checks = json.loads(out.stdout)["checks"]
    failure = next(c for c in checks if c["name"] == "import torch")
    assert failure["status"] == "error" and "TORCH_DEVICE_BACKEND_AUTOLOAD=0" in failure["detail"]
    assert "Failed to load the backend extension" in failure["data"]["error"]
    retry = next(c for c in checks if c["group"] == "torch" and c["name"] == "torch")
    assert retry["status"] == "warn" and "TORCH_DEVICE_BACKEND_AUTOLOAD=0" in retry["detail"]
    # the installed torch is not the one this torch_npu was built for: an error, with the torch it needs
    import torch

    if release(torch.__version__) != release(version):
        assert any(
            c["group"] == "compat" and c["status"] == "error" and release(version) in c["detail"] for c in checks
        )


def test_addon_floor_from_the_data_is_an_error() -> None:
    req = next(r for r in DATA.requirements if "compute_capability" in r.requires)
    floor = req.requires["compute_capability"].lstrip(">=")
    below = f"{int(floor.split('.')[0]) - 1}.5"
    stack = {req.package: "2.6.3", "torch": "2.4.1", "compute_capability": below}
    checks = compat_checks(stack)
    assert any(c.status == "error" and "compute_capability" in c.name for c in checks)
    assert compat_checks({**stack, "compute_capability": floor})[0].status == "ok"
