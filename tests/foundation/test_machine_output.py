"""Machine output is machine output: every `--format json` (and SARIF) prints one JSON document on stdout and
nothing else (no solver banners, no progress, no library chatter), also when the command exits 1 with findings.
Each command runs as a subprocess, as a pipeline would run it. Ctrl-C ends a command with a process pool at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EX = REPO / "examples"
MODEL = f"{EX / 'tinygpt/model.py'}:tiny"

COMMANDS: dict[str, tuple[str, ...]] = {
    "plan": ("plan", str(EX / "fleet.yaml")),
    "plan-scenario": ("plan", str(EX / "fleet.yaml"), "--scenario", str(EX / "scenario-us-gp10-2027.yaml")),
    "plan-sweep": ("plan", "--sweep", str(EX / "sweep.yaml"), "--workers", "2"),
    "scan": ("scan", str(EX / "tinygpt")),
    "rules": ("rules",),
    "hw-list": ("hw", "list"),
    "hw-show": ("hw", "show", "910C"),
    "hw-compare": ("hw", "compare", "H100", "910C"),
    "compliance-check": ("compliance", "check", "--chip", "H20", "--to", "CN", "--date", "2026-03-01"),
    "compliance-matrix": ("compliance", "matrix", "--date", "2026-03-01"),
    "compliance-classify": ("compliance", "classify", "H20"),
    "estimate-train": ("estimate", "train", "llama3-8b", "dgx-h100", "8"),
    "estimate-serve": (
        "estimate",
        "serve",
        "llama3-8b",
        "dgx-h100",
        "8",
        "--prompt-len",
        "512",
        "--output-len",
        "128",
    ),
    "ops": ("ops", MODEL, "--target", "cuda", "--target", "ascend-910b"),
    "emulate": ("emulate", MODEL, "--target", "ascend-910b"),
    "doctor": ("doctor",),
    "assess": ("assess", str(EX / "tinygpt"), "--quick", "--only", "scan", "--only", "fleet"),
}


def _run(args: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isthmus", *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize("name", list(COMMANDS))
def test_json_output_is_json_only(name: str, tmp_path: Path) -> None:
    args = COMMANDS[name]
    if name == "assess":
        args = (*args, "--out", str(tmp_path / "report"))
    proc = _run((*args, "--format", "json"), tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    doc = json.loads(proc.stdout)  # the whole of stdout, not a line of it
    assert isinstance(doc, (dict, list)) and doc


def test_sarif_output_is_json_only(tmp_path: Path) -> None:
    proc = _run(("scan", str(EX / "tinygpt"), "--format", "sarif"), tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert json.loads(proc.stdout)["version"] == "2.1.0"


def test_ctrl_c_ends_a_sweep_at_once(tmp_path: Path) -> None:
    """SIGINT (what Ctrl-C sends) while sweep workers run: exit 130 without waiting for the queued plans."""
    factors = ", ".join(f"{1 + i / 100:g}" for i in range(20))
    sweep = tmp_path / "sweep.yaml"  # 400 plans: minutes of work, so the interrupt lands while workers run
    sweep.write_text(f"fleet: {EX / 'fleet.yaml'}\nprices:\n  b200-buy: [{factors}]\n  cloudmatrix-buy: [{factors}]\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "isthmus", "plan", "--sweep", str(sweep), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,  # our own process group, as a terminal would make it
        # and SIGINT at its default: xdist workers ignore it, and an ignored signal stays ignored across exec
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4.0)  # imports done, workers started
    if proc.poll() is not None:
        pytest.skip("the sweep finished before the interrupt could be sent")
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    # generous for a loaded 2-core CI machine; a pool that waits for its queue takes the whole sweep (> 10 s)
    assert elapsed < 5.0, f"took {elapsed:.1f} s to stop"
