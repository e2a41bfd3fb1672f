"""The assess section "compat": the exact stack a project needs, from its pins and the data."""

from __future__ import annotations

from pathlib import Path

from isthmus.assess.model import AssessContext
from isthmus.assess.sections.compat import section
from isthmus.compat import load_matrix
from isthmus.compat.pins import from_setup_py, stack_of
from isthmus.project import Project

DATA = load_matrix()
ROW = next(r for r in DATA.ascend if r.kind == "official")


def _ctx(root: Path, targets: tuple[str, ...] = ("cuda", "ascend-910b")) -> AssessContext:
    return AssessContext(Project.load(root), targets, root / "work", quick=True)


def test_a_pinned_listed_set_passes_and_is_stated(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"torch=={ROW.torch}\ntorch-npu=={ROW.torch_npu}\n")
    (tmp_path / "Dockerfile").write_text(f"FROM ascendai/cann:{ROW.cann.lower()}-910b-ubuntu22.04-py{ROW.python[0]}\n")
    result = section(_ctx(tmp_path, ("ascend-910b",)))
    assert result.status == "pass", result.summary
    assert result.summary.startswith("to run this project on Ascend you need exactly:")
    for value in (ROW.torch, ROW.torch_npu, ROW.cann):
        assert value in result.summary
    assert result.data["data_date"] == DATA.data_date.isoformat()


def test_conflicting_pins_fail_and_unpinned_cann_warns(tmp_path: Path) -> None:
    other = next(r for r in DATA.ascend if r.torch != ROW.torch)
    (tmp_path / "requirements.txt").write_text(f"torch=={other.torch}\ntorch-npu=={ROW.torch_npu}\n")
    result = section(_ctx(tmp_path))
    assert result.status == "fail" and "incompatible" in result.summary
    (tmp_path / "requirements.txt").write_text(f"torch=={ROW.torch}\ntorch-npu\n")
    result = section(_ctx(tmp_path))
    assert result.status == "warn" and {"cann", "torch_npu"} <= set(result.data["unpinned"])
    assert result.data["ascend"]["torch"] == ROW.torch  # the project's torch release is kept


def test_no_accelerator_target_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    assert section(_ctx(tmp_path, ("cpu",))).status == "skipped"


def test_setup_py_pins_are_read_without_running_it() -> None:
    text = (
        "from setuptools import setup\n"
        'setup(install_requires=["torch==2.1.0"], extras_require={"npu": ["torch_npu==2.1.0.post12"]})\n'
    )
    assert stack_of(from_setup_py(text)) == {"torch": "2.1.0", "torch_npu": "2.1.0.post12"}
    assert from_setup_py("setup(") == []
