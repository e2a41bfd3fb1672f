"""`isthmus estimate` on the command line, and the assess section."""

from __future__ import annotations

import json
from pathlib import Path

from isthmus.project import Project
from isthmus.report.model import AssessContext


def test_estimate_train_json(run_cli) -> None:
    code, out, _ = run_cli("estimate", "train", "llama3-8b", "dgx-h100", "8", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["feasible"] and data["tokens_per_s"] > 0
    assert data["breakdown"]["bound"] == data["bound"]
    assert data["layout"]["tp"] * data["layout"]["pp"] * data["layout"]["dp"] == 8


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
    assert code == 0 and "output tokens/s" in out and "bound" in out


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


def test_estimate_models_and_calibration(run_cli) -> None:
    code, out, _ = run_cli("estimate", "models", "--format", "json")
    assert code == 0 and {"deepseek-v3", "llama3-405b"} <= {m["key"] for m in json.loads(out)}
    code, out, _ = run_cli("estimate", "calibration", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and all(abs(r["error"]) <= 0.25 for r in rows)


def test_assess_section(tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.plan.estimate_section import section

    ctx = AssessContext(Project.load(tinygpt_dir), ("cuda", "ascend-910b"), tmp_path, quick=True)
    result = section(ctx)
    assert result.key == "estimate" and result.status in ("pass", "warn")
    # the project's own model (examples/tinygpt model.py:tiny), on each target's system (+ the priced 910C system)
    assert result.data["model"]["name"] == "tiny" and result.data["model"]["layers"] == 2
    assert {r["system"] for r in result.data["rows"]} == {"dgx-h100", "atlas-800t-a2", "cloudmatrix-384"}
    assert len(result.data["rows"]) == 6 and "<table>" in result.html
    assert "Ascend/CUDA per chip" in result.summary and "llama" not in result.summary
