"""Cross-file rules: imports resolved against the scanned tree (own packages, sub-packages, suppression)."""

from __future__ import annotations

from pathlib import Path

from isthmus.scan import ScanOptions, scan
from isthmus.scan.linker import absolute, import_refs
from isthmus.scan.model import ImportRef


def _tree(root: Path, files: dict[str, str]) -> dict[str, list[str]]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = scan([str(root)], ScanOptions(root=str(root)))
    out: dict[str, list[str]] = {}
    for f in result.findings:
        out.setdefault(f.path, []).append(f"{f.line}:{f.code}")
    return out


def test_a_repositorys_own_package_is_not_a_cuda_only_package(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        {
            "mamba_ssm/__init__.py": "",
            "mamba_ssm/models/__init__.py": "",
            "mamba_ssm/models/config.py": "X = 1\n",
            "train.py": "from mamba_ssm.models.config import X\nimport causal_conv1d\n",
        },
    )
    assert found["train.py"] == ["2:IST518"]


def test_a_same_named_sub_package_does_not_hide_the_real_package(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        {
            "src/diffusers/__init__.py": "",
            "src/diffusers/quantizers/__init__.py": "",
            "src/diffusers/quantizers/bitsandbytes/__init__.py": "",
            "examples/train.py": "import bitsandbytes as bnb\n",
        },
    )
    assert found["examples/train.py"] == ["1:IST503"]


def test_built_names_are_found_in_other_files_and_suppression_holds(tmp_path: Path) -> None:
    found = _tree(
        tmp_path,
        {
            "setup.py": "from torch.utils.cpp_extension import CUDAExtension\n"
            "exts = [CUDAExtension('fast_ops', ['k.cu'])]\n",
            "pkg/__init__.py": "",
            "pkg/a.py": "import fast_ops\n",
            "pkg/b.py": "import fast_ops  # isthmus: ignore[IST517]\n",
            "pkg/c.py": "from fused_norm_cuda import fwd\n",
            "pkg/d.py": "import helper_cuda\n",
            "helper_cuda.py": "X = 1\n",  # a Python module named like an extension: not one
        },
    )
    assert found["pkg/a.py"] == ["1:IST517"]
    assert "pkg/b.py" not in found
    assert found["pkg/c.py"] == ["1:IST517"]
    assert "pkg/d.py" not in found


def test_import_statements_are_read_with_their_names_and_lines() -> None:
    refs = import_refs(b"import a.b as c, d\nfrom .x import (\n    y,\n    z as w,\n)\nx = 'no import here'\n")
    assert refs == (
        ImportRef("a.b", (), 1, 0),
        ImportRef("d", (), 1, 0),
        ImportRef(".x", ("y", "z"), 2, 0),
    )
    assert absolute(ImportRef("..ops", (), 1, 0), "pkg/sub/mod.py") == "pkg.ops"
    assert absolute(ImportRef(".", ("k",), 1, 0), "pkg/__init__.py") == "pkg"
