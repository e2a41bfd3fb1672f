"""scan IST810/IST811 on project files written from the compatibility data rows (no hard-coded answers)."""

from __future__ import annotations

from isthmus.compat import load_matrix
from isthmus.compat.matrix import prefix_match, release
from isthmus.scan import ScanOptions, scan_source

DATA = load_matrix()
OPTIONS = ScanOptions(select=("IST81",))


def _codes(text: str, path: str) -> list[tuple[str, str, int]]:
    result = scan_source(text, path, OPTIONS)
    assert result.error is None
    return [(f.code, f.severity, f.line) for f in result.findings]


def test_listed_ascend_sets_pass_as_requirements_and_dockerfiles() -> None:
    for row in DATA.ascend:
        if row.kind != "official":
            continue
        req = f"torch=={row.torch}\ntorch-npu=={row.torch_npu}\n"
        assert _codes(req, "requirements.txt") == [], row
        image = f"FROM ascendai/cann:{row.cann.lower()}-910b-ubuntu22.04-py{row.python[-1]}\n"
        assert _codes(image + f"RUN pip install torch=={row.torch} torch-npu=={row.torch_npu}\n", "Dockerfile") == []


def test_a_torch_npu_on_the_wrong_torch_or_cann_is_an_error_on_its_line() -> None:
    row = next(r for r in DATA.ascend if r.kind == "official")
    wrong_torch = next(r.torch for r in DATA.ascend if release(r.torch) != release(row.torch_npu))
    assert ("IST810", "error", 1) in _codes(f"torch=={wrong_torch}\ntorch-npu=={row.torch_npu}\n", "requirements.txt")
    paired = {r.cann for r in DATA.ascend if r.torch_npu == row.torch_npu}
    wrong = next(
        r.cann for r in DATA.ascend if r.kind == "official" and not any(prefix_match(r.cann, c) for c in paired)
    )
    text = (
        f"FROM quay.io/ascend/cann:{wrong.lower()}-910b-ubuntu22.04-py{row.python[0]}\n"
        f"RUN pip install torch-npu=={row.torch_npu}\n"
    )
    assert ("IST810", "error", 1) in _codes(text, "Dockerfile.npu")


def test_a_torch_wheel_for_a_cuda_it_is_not_built_for_is_an_error() -> None:
    row = DATA.cuda_torch[-1]
    other = next(c for r in DATA.cuda_torch for c in r.cuda if c not in row.cuda)
    pin = f"torch=={row.torch}.0+cu{other.replace('.', '')}\n"
    assert ("IST810", "error", 1) in _codes(pin, "requirements-cuda.txt")
    ok = f"torch=={row.torch}.0+cu{row.cuda[0].replace('.', '')}\n"
    assert _codes(ok, "requirements-cuda.txt") == []


def test_unpinned_torch_npu_warns() -> None:
    assert _codes("torch-npu\n", "requirements.txt") == [("IST811", "warning", 1)]
