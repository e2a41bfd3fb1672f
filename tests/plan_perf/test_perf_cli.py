"""`isthmus estimate` on the command line, and the assess section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isthmus.assess.model import AssessContext
from isthmus.project import Project
from isthmus.report import render_blocks


def test_estimate_train_json(run_cli) -> None:
    code, out, _ = run_cli("estimate", "train", "llama3-8b", "dgx-h100", "8", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["feasible"] and data["metrics"]["tokens_per_s"] > 0
    assert data["detail"]["breakdown"]["bound"] == data["detail"]["bound"]
    lay = data["detail"]["layout"]
    assert lay["tp"] * lay["cp"] * lay["pp"] * lay["dp"] == 8
    assert data["stack"] == "cuda" and data["assumptions"] and data["error_band"]["low"] <= 0


def test_estimate_serve_text(run_cli) -> None:
    code, out, _ = run_cli(
        "estimate",
        "serve",
        "qwen3-32b",
        "atlas-800t-a2",
        "8",
        "--precision",
        "int8",
        "--prompt-len",
        "2048",
        "--output-len",
        "2048",
        "--tpot-ms",
        "50",
    )
    assert code == 0 and "tokens/s per device" in out and "bound" in out and "software stack" in out


def test_estimate_serve_every_option_reaches_the_answer(run_cli) -> None:
    args = ["estimate", "serve", "deepseek-r1", "atlas-800i-a3", "32", "--precision", "w4a8", "--prompt-len", "3500"]
    args += ["--output-len", "1500", "--phase", "both", "--prefill-devices", "8", "--layout", "tp=1,dp=24"]
    args += ["--prefill-layout", "tp=4,dp=2", "--spec-decode", "mtp:2:0.7", "--max-concurrency", "600"]
    args += ["--eplb", "1.2", "--prefix-hit", "0.3", "--stack", "sglang", "--tpot-ms", "60", "--format", "json"]
    code, out, _ = run_cli(*args)
    data = json.loads(out)
    q = data["question"]
    assert code == 0 and data["stack"] == "sglang-npu" and q["phase"] == "both" and q["eplb"] == 1.2
    assert data["detail"]["prefill_devices"] == 8 and data["detail"]["decode"]["layout"] == "TP1 x DP-attention24"
    assert data["detail"]["decode"]["tokens_per_step"] == pytest.approx(1 + 0.7 + 0.49)
    notes = " ".join(data["assumptions"])
    assert "w4a8" in notes and "routed experts" in notes and "prefix-cache hit 30%" in notes
    code, out, _ = run_cli(
        "estimate",
        "train",
        "llama3-8b",
        "dgx-h100",
        "16",
        "--seq-len",
        "32768",
        "--cp",
        "2",
        "--layout",
        "tp=8,dp=1",
        "--lora",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and data["detail"]["layout"]["cp"] == 2 and data["question"]["lora"]


def test_estimate_bad_option_values_exit_2(run_cli) -> None:
    base = ["estimate", "serve", "llama3-8b", "dgx-h100", "8", "--prompt-len", "10", "--output-len", "10"]
    for extra in (["--spec-decode", "mtp:1"], ["--layout", "pp=2"], ["--stack", "mindie"], ["--precision", "nvfp4"]):
        code, _, err = run_cli(*base, *extra)
        assert code == 2 and err.strip(), extra


def test_estimate_infeasible_exits_1(run_cli) -> None:
    code, out, _ = run_cli("estimate", "train", "llama3-405b", "dgx-h100", "8")
    assert code == 1 and "short by" in out


def test_estimate_bad_input_exits_2(run_cli) -> None:
    code, _, err = run_cli(
        "estimate", "serve", "llama3-8b", "no-such-box", "8", "--prompt-len", "10", "--output-len", "10"
    )
    assert code == 2 and "no-such-box" in err
    code, _, err = run_cli(
        "estimate",
        "serve",
        "llama3-8b",
        "cloudmatrix-384",
        "8",
        "--precision",
        "fp8",
        "--prompt-len",
        "10",
        "--output-len",
        "10",
    )
    assert code == 2 and "fp8" in err


@pytest.mark.slow
def test_estimate_models_and_backtest(run_cli) -> None:
    code, out, _ = run_cli("estimate", "models", "--format", "json")
    assert code == 0 and {"deepseek-v3", "llama3-405b", "gpt-oss-120b"} <= {m["key"] for m in json.loads(out)}
    code, out, _ = run_cli("estimate", "backtest", "--split", "held-out", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["records"] and all(r["split"] == "held-out" for r in data["records"])
    assert data["summary"]["held-out"]["all"]["n"] == sum(r["error"] is not None for r in data["records"])
    assert all(r["assumptions"] for r in data["records"] if r["error"] is not None)
    assert {m for r in data["records"] for m in r["missing"]} <= set(data["summary"]["missing_features"])


def test_assess_section(tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.assess.sections.estimate import section

    ctx = AssessContext(Project.load(tinygpt_dir), ("cuda", "ascend-910b"), tmp_path, quick=True)
    result = section(ctx)
    assert result.key == "estimate" and result.status in ("pass", "warn")
    # the project's own model (examples/tinygpt model.py:tiny), on each target's system (+ the priced 910C system)
    assert result.data["model"]["name"] == "tiny" and result.data["model"]["layers"] == 2
    assert {r["system"] for r in result.data["rows"]} == {"dgx-h100", "atlas-800t-a2", "cloudmatrix-384"}
    assert len(result.data["rows"]) == 6 and "<table>" in render_blocks(result.blocks)
    assert "Ascend/CUDA per chip" in result.summary and "llama" not in result.summary
