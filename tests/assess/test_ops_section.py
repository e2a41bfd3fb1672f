"""The assess section "ops" on the example project and on a project without a model."""

from __future__ import annotations

from pathlib import Path

from isthmus.assess.model import AssessContext
from isthmus.assess.sections.ops import section
from isthmus.project import Project
from isthmus.report import render_blocks


def test_section_on_tinygpt(tinygpt_dir: Path, tmp_path: Path) -> None:
    project = Project.load(tinygpt_dir)
    result = section(AssessContext(project, ("cuda", "ascend-910b"), tmp_path, quick=True))
    assert result.status == "pass"
    assert set(result.data["targets"]) == {"cuda", "ascend-910b"}
    assert "ascend-910b" in result.summary and "% native" in result.summary
    assert "torch-npu 2.14.0" in render_blocks(result.blocks)


def test_section_reports_a_planted_fallback(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import torch\n\nclass Q(torch.nn.Module):\n    def forward(self, x):\n"
        "        return torch._int_mm(x, x)\n\nclass M(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.q = Q()\n\n    def forward(self, x):\n        return self.q(x)\n\n"
        "def build():\n    return M(), (torch.ones(32, 32, dtype=torch.int8),)\n"
    )
    (tmp_path / "isthmus.toml").write_text('[assess]\nmodel = "m.py:build"\n')
    result = section(AssessContext(Project.load(tmp_path), ("cuda", "ascend-910b"), tmp_path, quick=True))
    assert result.status == "warn"
    assert "aten::_int_mm.default" in render_blocks(result.blocks) and "<td>q</td>" in render_blocks(result.blocks)


def test_section_skips_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print(1)\n")
    result = section(AssessContext(Project.load(tmp_path), ("cuda",), tmp_path, quick=True))
    assert result.status == "skipped"
