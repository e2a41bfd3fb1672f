"""`isthmus scan --fix` on the example project: no errors left, idempotent, and training gives the same loss."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

LOSS = re.compile(r"loss (\d+\.\d+)")


def _start(cmd: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _losses(proc: subprocess.Popen[str]) -> list[str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    return LOSS.findall(out)


def test_fix_leaves_no_errors_and_is_idempotent(tinygpt_copy: Path, run_cli) -> None:
    code, out, _ = run_cli("scan", str(tinygpt_copy))
    assert code == 1 and " error: " in out
    before = (tinygpt_copy / "train.py").read_text()
    code, out, _ = run_cli("scan", str(tinygpt_copy), "--fix")
    assert code == 0, out
    assert " error: " not in out
    after = (tinygpt_copy / "train.py").read_text()
    assert after != before
    assert "# pinned host memory lets the copy overlap with compute" in after  # comments survive
    assert "torch.accelerator.synchronize()" in after and "torch.cuda.synchronize" not in after
    code, out2, _ = run_cli("scan", str(tinygpt_copy), "--fix")
    assert (tinygpt_copy / "train.py").read_text() == after  # a second --fix changes nothing
    assert code == 0 and out2 == out


def test_diff_shows_without_writing(tinygpt_copy: Path, run_cli) -> None:
    before = (tinygpt_copy / "train.py").read_bytes()
    code, out, _ = run_cli("scan", str(tinygpt_copy), "--diff")
    assert code == 0
    assert "-        torch.cuda.synchronize()" in out and "+        torch.accelerator.synchronize()" in out
    assert (tinygpt_copy / "train.py").read_bytes() == before


@pytest.mark.slow
def test_fixed_example_trains_on_cpu_with_the_same_loss(tinygpt_copy: Path, tinygpt_dir: Path, run_cli) -> None:
    pytest.importorskip("isthmus.accel.runner")
    # baseline: the unmodified CUDA-style script under `isthmus run --target cpu` (the accel redirection)
    original = _start(
        [sys.executable, "-m", "isthmus", "run", "--target", "cpu", "train.py", "--steps", "3"], tinygpt_dir
    )
    code, _, _ = run_cli("scan", str(tinygpt_copy), "--fix")
    assert code == 0
    # the fixed script under the same runner, which gives torch.accelerator/torch.Event their CPU meaning
    fixed = _start(
        [sys.executable, "-m", "isthmus", "run", "--target", "cpu", "train.py", "--steps", "3"], tinygpt_copy
    )
    baseline, after = _losses(original), _losses(fixed)
    assert len(baseline) == 3
    assert after == baseline
