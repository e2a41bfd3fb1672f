"""The compatibility check, with stacks built from the data rows themselves (no hard-coded answers)."""

from __future__ import annotations

import pytest

from isthmus.compat import check_stack, load_matrix, nearest_ascend, nearest_cuda
from isthmus.compat.matrix import cann_key, prefix_match, release, version
from isthmus.compat.schema import AscendRow

DATA = load_matrix()
OFFICIAL_NPU = [r for r in DATA.ascend if r.kind == "official"]


def _npu_stack(row: AscendRow) -> dict[str, str]:
    return {"torch": row.torch, "torch_npu": row.torch_npu, "cann": row.cann, "python": row.python[0]}


def test_every_row_names_a_source_with_url_and_date() -> None:
    rows = [*DATA.ascend, *DATA.ascend_drivers, *DATA.cuda_torch, *DATA.cuda_drivers, *DATA.requirements]
    assert rows
    for r in rows:
        src = DATA.sources[r.source]
        assert src.url.startswith("http") and src.date <= DATA.data_date
        assert r.kind in ("official", "observed", "unknown")


@pytest.mark.parametrize("row", DATA.ascend, ids=lambda r: f"{r.torch_npu}-{r.cann}")
def test_every_listed_ascend_set_is_compatible(row: AscendRow) -> None:
    result = check_stack(_npu_stack(row))
    assert result.compatible, result.problems
    assert not [p for p in result.problems if p.severity != "info"]


def test_torch_npu_on_another_torch_is_an_error_with_the_fix() -> None:
    row = OFFICIAL_NPU[0]
    other = next(r.torch for r in DATA.ascend if release(r.torch) != release(row.torch_npu))
    result = check_stack({**_npu_stack(row), "torch": other})
    assert not result.compatible
    [p] = [p for p in result.problems if p.components[0] == "torch"]
    assert p.severity == "error" and release(row.torch_npu) in p.fix and other in p.message
    assert result.nearest["torch_npu"] and result.nearest["cann"]


def test_torch_npu_on_an_unpaired_cann_is_an_error_and_nearest_is_listed() -> None:
    row = OFFICIAL_NPU[-1]
    paired = {r.cann for r in DATA.ascend if r.torch_npu == row.torch_npu}
    wrong = next(r.cann for r in DATA.ascend if not any(prefix_match(r.cann, c) for c in paired))
    result = check_stack({**_npu_stack(row), "cann": wrong})
    assert not result.compatible
    [p] = [p for p in result.problems if p.components[0] == "cann"]
    assert wrong in p.message and any(c in p.fix for c in paired)
    near = result.nearest
    listed = {(r.torch, r.torch_npu, r.cann) for r in DATA.ascend}
    assert (near["torch"], near["torch_npu"], near["cann"]) in listed
    assert check_stack({k: near[k] for k in ("torch", "torch_npu", "cann", "python")}).compatible


def test_nearest_ascend_keeps_the_torch_release_when_it_can() -> None:
    for row in OFFICIAL_NPU:
        near = nearest_ascend({"torch": row.torch})
        assert near["torch"] == row.torch
        same = [r for r in DATA.ascend if r.torch == row.torch]
        best = [r for r in same if r.kind == "official"] or same  # official rows first, then the newest CANN
        assert cann_key(near["cann"]) == max(cann_key(r.cann) for r in best)


def test_python_outside_the_rows_range_is_reported() -> None:
    row = OFFICIAL_NPU[0]
    too_new = f"3.{max(int(p.split('.')[1]) for r in DATA.ascend for p in r.python) + 1}"
    result = check_stack({**_npu_stack(row), "python": too_new})
    assert any(p.components[0] == "python" for p in result.problems)


def test_cuda_runtime_not_built_for_that_torch_is_an_error() -> None:
    row = DATA.cuda_torch[-1]
    built = set(row.cuda)
    other = next(c for r in DATA.cuda_torch for c in r.cuda if c not in built)
    result = check_stack({"torch": f"{row.torch}.0", "cuda": other})
    assert not result.compatible
    assert result.nearest["cuda"] in built


def test_cuda_driver_below_the_floor_is_an_error_and_nearest_runs_on_it() -> None:
    floors = sorted(DATA.cuda_drivers, key=lambda r: version(r.min_driver) or version("0"))
    low, high = floors[0], floors[-1]
    row = next(r for r in DATA.cuda_torch if any(c.split(".")[0] == high.cuda for c in r.cuda))
    cuda = next(c for c in row.cuda if c.split(".")[0] == high.cuda)
    driver = low.min_driver  # enough for the oldest major only
    result = check_stack({"torch": f"{row.torch}.0", "cuda": cuda, "nvidia_driver": driver})
    assert not result.compatible
    [p] = [p for p in result.problems if p.components[0] == "nvidia_driver"]
    assert high.min_driver in p.fix
    ok = check_stack({"torch": f"{row.torch}.0", "cuda": cuda, "nvidia_driver": high.min_driver})
    assert ok.compatible
    near = nearest_cuda({"torch": f"{row.torch}.0", "nvidia_driver": high.min_driver})
    assert near["cuda"] in row.cuda


def test_addon_requirements_are_checked_from_their_rows() -> None:
    req = next(r for r in DATA.requirements if r.package == "vllm-ascend" and r.kind == "official")
    stack = {"vllm-ascend": req.versions.lstrip("="), **{k: v.lstrip("=") for k, v in req.requires.items()}}
    stack["python"] = "3.11"
    assert check_stack(stack).compatible
    broken = {**stack, "torch_npu": "1.11.0"}
    assert any(p.components == ("torch_npu", "vllm-ascend") for p in check_stack(broken).problems)


def test_unknown_versions_are_info_not_errors() -> None:
    result = check_stack({"torch_npu": "99.0.0"})
    assert result.compatible and [p.severity for p in result.problems] == ["info"]
