"""The assess section "run" on the example project and on projects without a training script."""

from __future__ import annotations

from pathlib import Path

from isthmus.assess.model import AssessContext
from isthmus.assess.sections.run import section
from isthmus.project import Project
from isthmus.report import render_blocks


def test_section_runs_the_example_train_script(tinygpt_dir: Path, tmp_path: Path) -> None:
    ctx = AssessContext(Project.load(tinygpt_dir), ("cuda", "ascend-910b"), tmp_path, quick=True)
    result = section(ctx)
    assert result.status == "pass", result.summary
    whats = {r["what"] for r in result.data["redirected"]}
    assert {"Tensor.cuda()", "torch.cuda.amp.autocast", "torch.cuda.Event"} <= whats
    assert "torch.cuda.Event" in render_blocks(result.blocks) and (tmp_path / "run.json").is_file()


def test_section_skips_without_train_script_and_fails_on_a_crash(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.py").write_text("x = 1\n")
    ctx = AssessContext(Project.load(tmp_path / "p"), ("cuda",), tmp_path / "w")
    assert section(ctx).status == "skipped"
    (tmp_path / "p" / "isthmus.toml").write_text('[assess]\ntrain_script = "a.py"\n')
    (tmp_path / "p" / "a.py").write_text("import torch\ntorch.ones(1).cuda()\nraise SystemExit(4)\n")
    (tmp_path / "w").mkdir()
    result = section(AssessContext(Project.load(tmp_path / "p"), ("cuda",), tmp_path / "w"))
    assert result.status == "fail" and "exited 4" in result.summary
    assert result.data["redirected"][0]["what"] == "Tensor.cuda()"
