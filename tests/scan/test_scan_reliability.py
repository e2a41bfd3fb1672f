"""Nothing damaged, nothing hangs: symlinks, undecodable and absurdly nested files, bad categories, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from isthmus.scan import ScanOptions, scan

SRC = Path(__file__).resolve().parents[2] / "src"
CUDA_SYNC = "import torch\ntorch.cuda.synchronize()\n"


def test_fix_through_a_symlink_fixes_the_target_once_and_keeps_the_link(tmp_path: Path, run_cli) -> None:
    (tmp_path / "real.py").write_text(CUDA_SYNC)
    (tmp_path / "link.py").symlink_to("real.py")
    code, _, err = run_cli("scan", str(tmp_path), "--fix")
    assert (tmp_path / "link.py").is_symlink() and os.readlink(tmp_path / "link.py") == "real.py"
    assert (tmp_path / "real.py").read_text() == "import torch\ntorch.accelerator.synchronize()\n"
    assert "fixed once" in err and code == 0


def test_fixing_a_symlink_named_on_the_command_line_writes_its_target(tmp_path: Path, run_cli) -> None:
    target = tmp_path / "lib" / "real.py"
    target.parent.mkdir()
    target.write_text(CUDA_SYNC)
    (tmp_path / "link.py").symlink_to(target)
    run_cli("scan", str(tmp_path / "link.py"), "--fix")
    assert (tmp_path / "link.py").is_symlink()
    assert "accelerator.synchronize" in target.read_text()


def test_a_non_utf8_file_is_reported_and_the_other_files_are_still_fixed(tmp_path: Path, run_cli) -> None:
    # cp1252 bytes: the parser's columns would not point at the file's bytes, so the file must stay as it is
    bad = b"# -*- coding: cp1252 -*-\nimport torch\nx = '\x93q\x94'; y = torch.zeros(1, device='cuda')\n"
    (tmp_path / "a.py").write_text(CUDA_SYNC)
    (tmp_path / "b.py").write_bytes(bad)
    (tmp_path / "c.py").write_text(CUDA_SYNC)
    code, out, err = run_cli("scan", str(tmp_path), "--diff")
    assert code == 0 and out.count("+++ b/") == 2 and "b.py: not fixed: not UTF-8" in err
    assert (tmp_path / "a.py").read_text() == CUDA_SYNC  # --diff alone writes nothing
    code, _, err = run_cli("scan", str(tmp_path), "--fix")
    assert code == 1  # b.py's finding remains
    assert (tmp_path / "b.py").read_bytes() == bad
    assert "accelerator" in (tmp_path / "a.py").read_text() and "accelerator" in (tmp_path / "c.py").read_text()
    assert "a.py, c.py" in err


@pytest.mark.parametrize("expr", ["-" * 100_000 + "1", "not " * 100_000 + "1", "a" + ".b" * 100_000])
def test_absurd_nesting_is_one_files_error_and_the_rest_is_reported(tmp_path: Path, expr: str) -> None:
    (tmp_path / "deep.py").write_text(f"import torch\nx = {expr}\ntorch.cuda.synchronize()\n")
    (tmp_path / "ok.py").write_text(CUDA_SYNC)
    result = scan([str(tmp_path)], ScanOptions(root=str(tmp_path), jobs=1))
    errors = {r.path: r.error for r in result.errors}
    assert "nesting too deep" in (errors["deep.py"] or "")
    assert [f.path for f in result.findings] == ["ok.py"]


def test_an_unknown_rule_category_is_a_usage_error(run_cli) -> None:
    code, out, err = run_cli("rules", "--category", "bogus")
    assert code == 2 and out == ""
    assert "bogus" in err and "device" in err and "kernels" in err
    assert run_cli("rules", "--category", "kernels")[0] == 0


@pytest.mark.slow
def test_ctrl_c_during_a_pooled_scan_exits_130_within_a_second(tmp_path: Path) -> None:
    body = "import torch\n" + "".join(f"def f{i}(x):\n    return x.cuda() + {i}\n" for i in range(4000))
    for i in range(160):
        (tmp_path / f"m{i}.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "isthmus", "scan", str(tmp_path), "--jobs", "2", "--fix"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        # as from a terminal: xdist workers ignore SIGINT, and an ignored signal stays ignored across exec
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4.0)  # well into the pool's work (the whole scan takes several times longer here)
    assert proc.poll() is None, "the scan finished before the interrupt: make the tree bigger"
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    waited = time.perf_counter() - sent
    assert code == 130
    assert waited < 1.5, f"took {waited:.2f} s to stop"
    assert all(".cuda()" in p.read_text() for p in tmp_path.glob("m*.py"))  # nothing fixed, nothing half-fixed
