"""Bad files become per-file errors and the scan goes on; the scanner never crashes (fuzzed with hypothesis)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isthmus.scan import ScanOptions, fix_source, scan, scan_source

REPO = Path(__file__).resolve().parents[2]


def test_bad_files_become_file_errors(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    (tmp_path / "syntax.py").write_text("import torch\ndef (:\n  torch.cuda.synchronize()\n")
    (tmp_path / "latin1.py").write_bytes(b"s = '\xe9cuda'\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01cuda\x02" * 100)
    (tmp_path / "requirements.txt").write_bytes(b"flash-attn\n\xff\xfe\n")
    (tmp_path / "huge.py").write_text("x = 'cuda'\n" * 200)
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "back").symlink_to(tmp_path)
    (tmp_path / "self.py").symlink_to(tmp_path / "self.py")  # a symlink loop on a file
    locked = tmp_path / "locked.py"
    locked.write_text("import torch\ntorch.cuda.synchronize()\n")
    locked.chmod(0)
    try:
        result = scan([str(tmp_path)], ScanOptions(root=str(tmp_path), max_bytes=1000))
    finally:
        locked.chmod(0o644)
    errors = {Path(r.path).name: r.error for r in result.errors}
    assert "syntax error" in errors["syntax.py"]
    assert "binary" in errors["binary.py"]
    assert "UTF-8" in errors["requirements.txt"]
    assert "too large" in errors["huge.py"]
    assert "loop" in errors["back"]
    assert "link" in errors["self.py"]
    if os.geteuid() != 0:  # root can read anything
        assert "cannot read" in errors["locked.py"]
    assert any(f.code == "IST206" and f.path == "good.py" for f in result.findings)
    assert errors["latin1.py"]  # not UTF-8 and no coding declaration


SOURCE_BITS = st.sampled_from(
    [
        "import torch",
        "import torch as th",
        "from torch import cuda",
        "from torch.cuda.amp import autocast",
        "x = x.cuda()",
        "th.cuda.synchronize()",
        "cuda.is_available()",
        "with autocast():\n    pass",
        "dev = 'cuda'",
        "y = x.to(dev)",
        "z = torch.zeros(3, device=f'cuda:{i}')",
        "if x.is_cuda:\n    pass",
        "dist.init_process_group('nccl')",
        "@torch.cuda.amp.custom_fwd\ndef f(c):\n    return c",
        "s = torch.cuda.Event(enable_timing=True)",
        "t = x.to(0)",
        "os.environ['NCCL_DEBUG'] = 'x'",
        "# isthmus: ignore",
        "'''cuda docstring'''",
        "def g(",
        ")",
        "\t",
        "  x = 1",
        "torch.cuda.Stream()",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SOURCE_BITS, max_size=12), st.text(max_size=40))
def test_fuzz_generated_source_never_crashes(bits: list[str], noise: str) -> None:
    source = "\n".join(bits) + "\n" + noise
    result = scan_source(source)
    if result.error is None:
        fixed = fix_source(source.encode(), "example.py", ScanOptions(), unsafe=True)
        if fixed.error is None and fixed.changed:
            compile(fixed.fixed, "fixed.py", "exec")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9))
def test_fuzz_mutated_repository_files_never_crash(seed: int) -> None:
    rng = random.Random(seed)
    files = sorted((REPO / "examples" / "tinygpt").glob("*.*")) + sorted(
        (REPO / "src" / "isthmus" / "scan").glob("*.py")
    )
    path = rng.choice(files)
    data = bytearray(path.read_bytes())
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(3)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[i : i + rng.randint(1, 20)]
        elif op == 1:
            data[i:i] = rng.choice([b"cuda", b"(", b"\xff", b"\n    ", b"'", b"torch.cuda.", b"\x00"])
        else:
            data[i:i] = data[rng.randrange(len(data) + 1) :][: rng.randint(0, 40)]
    result = scan_source(bytes(data), path.name)
    assert result.error is None or isinstance(result.error, str)
    if path.suffix == ".py" and result.error is None:
        fix_source(bytes(data), path.name, ScanOptions(), unsafe=True)


def test_no_findings_in_comments_docstrings_or_unrelated_strings() -> None:
    source = (
        '"""Runs on cuda: torch.cuda.synchronize() and x.cuda()."""\n'
        "import torch\n"
        "# torch.cuda.synchronize()\n"
        "msg = 'call torch.cuda.synchronize() and .cuda()'\n"
        "backend_label = 'nccl'\n"
        "y = x.to(device)\n"
        "with torch.amp.autocast(device_type=device.type):\n    pass\n"
    )
    assert scan_source(source).findings == ()


@pytest.mark.parametrize(
    "alias",
    [
        "import torch as th\nth.cuda.synchronize()",
        "from torch import cuda\ncuda.synchronize()",
        "import torch.cuda as tc\ntc.synchronize()",
    ],
)
def test_names_resolve_through_imports(alias: str) -> None:
    assert [f.code for f in scan_source(alias).findings] == ["IST206"]
