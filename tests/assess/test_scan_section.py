"""The assess section on the example project."""

from __future__ import annotations

from pathlib import Path

from isthmus.assess.model import AssessContext
from isthmus.assess.sections.scan import section
from isthmus.project import Project
from isthmus.report import render_blocks


def test_section_on_tinygpt(tinygpt_dir: Path, tmp_path: Path) -> None:
    before = (tinygpt_dir / "train.py").read_bytes()
    ctx = AssessContext(
        project=Project.load(tinygpt_dir), targets=("cuda", "ascend-910b"), work_dir=tmp_path, quick=True
    )
    result = section(ctx)
    assert result.status == "fail"
    assert result.data["summary"]["by_severity"]["error"] == len(result.data["errors"]) > 0
    assert any(
        p["path"] == "train.py" and "torch.accelerator.synchronize" in p["diff"] for p in result.data["fix_preview"]
    )
    assert "<script" not in render_blocks(result.blocks) and "train.py" in render_blocks(result.blocks)
    assert (tinygpt_dir / "train.py").read_bytes() == before  # preview only
