"""The target registry (data/targets.yaml): consistent with the catalogue and the backends, read by every capability,
and extensible with data alone."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from isthmus import targets
from isthmus.errors import InputError


def test_every_target_refers_to_things_that_exist() -> None:
    from isthmus.accel.discovery import BUILTINS
    from isthmus.ops.registry import npu_versions
    from isthmus.plan.catalog import load_catalog

    catalog = load_catalog()
    assert targets.names()[:2] == ("cuda", "cuda-sm80")
    for t in targets.all_targets():
        assert t.backend in BUILTINS, t.name
        assert set(t.chips) <= set(catalog.chips), t.name
        assert set(t.systems) <= set(catalog.systems), t.name
        assert t.torch_npu is None or t.torch_npu in npu_versions(), t.name
        assert (t.registry == "torch_npu") == (t.backend == "npu"), t.name
        assert t.side == {"nvidia": "cuda", "huawei": "ascend", "host": None}[t.vendor], t.name
        for chip in t.chips:  # a roadmap target stands for catalogue parts that are not shipping yet
            future = catalog.chips[chip].status in ("announced", "roadmap")
            assert future == (t.status == "roadmap"), (t.name, chip)


def test_aliases_and_errors() -> None:
    assert targets.get("NPU").name == "ascend-910b"
    assert targets.get(" 950PR ").name == "ascend-950pr"
    assert targets.canonical(["npu", "ascend-910b", "hopper"]) == ("ascend-910b", "cuda-sm90")
    with pytest.raises(InputError, match="ascend-910b") as e:
        targets.get("ascend-91b")
    assert e.value.hint is not None and "did you mean" in e.value.hint
    with pytest.raises(InputError, match="bogus"):
        targets.canonical(["cuda", "bogus"])
    aliases = [a for t in targets.all_targets() for a in (t.name, *t.aliases)]
    assert len(aliases) == len(set(aliases)), "an alias names two targets"


@pytest.mark.parametrize(
    ("name", "side", "family"),
    [("cuda-sm90", "cuda", "cuda"), ("npu", "ascend", "npu"), ("cuda:1", "cuda", "cuda"), ("cpu", None, "cuda")],
)
def test_side_and_scan_family(name: str, side: str | None, family: str) -> None:
    assert targets.side_of(name) == side
    assert targets.scan_family([name]) == ("npu" if family == "npu" else "any")


def test_unknown_names_have_no_side() -> None:
    assert targets.side_of("tpu") is None
    assert targets.scan_family(["cuda", "tpu"]) == "any"


def test_the_roadmap_950pr_is_a_target_end_to_end() -> None:
    """Ascend 950PR: the 910C's operator registry, its own dtype table (FP8 announced), its catalogue chip."""
    import torch

    from isthmus.ops import get_target

    pr, c = get_target("ascend-950pr"), get_target("ascend-910c")
    assert pr.device_type == c.device_type == "npu"
    assert pr.npu_table is not None and c.npu_table is not None and pr.npu_table.version == c.npu_table.version
    for op in ("aten::addmm", "aten::_int_mm", "aten::cholesky", "aten::view_as_complex", "aten::sort"):
        assert pr.support(op).status == c.support(op).status, op
    fp8 = pr.dtype_support(torch.float8_e4m3fn)
    assert (fp8.status, c.dtype_support(torch.float8_e4m3fn).status) == ("native", "error")
    assert "unverified" in fp8.note
    assert pr.dtype_support(torch.float64).status == "downcast"
    assert targets.get("ascend-950pr").status == "roadmap"
    assert targets.chips_of("ascend-950pr") == ("ascend-950pr",)
    assert targets.side_of("ascend-950pr") == "ascend"


def test_a_new_target_needs_only_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding an entry to the file is enough for ops, numerics, the report side, scan and the plan sections."""
    import torch

    from isthmus.ops import get_target
    from isthmus.ops.numerics import policy_for

    text = resources.files("isthmus").joinpath("data", "targets.yaml").read_text(encoding="utf-8")
    entry = """  ascend-960:
    description: Huawei Ascend 960 (roadmap part)
    aliases: ["960"]
    vendor: huawei
    stack: CANN
    side: ascend
    backend: npu
    registry: torch_npu
    dtypes: ascend-950
    numerics: npu
    chips: [ascend-960]
    systems: []
    scan: npu
    status: roadmap
    source: test entry
"""
    extended = targets.parse(text.replace("\n  cpu:\n", "\n" + entry + "  cpu:\n", 1))
    monkeypatch.setattr(targets, "_load", lambda: extended)
    targets._aliases.cache_clear()
    try:
        assert "ascend-960" in targets.names()
        profile = get_target("960")
        assert profile.name == "ascend-960" and profile.device_type == "npu"
        assert profile.support("aten::addmm").status == "native"
        assert profile.dtype_support(torch.float8_e5m2).status == "native"
        assert policy_for(profile.device_type).conv_mantissa_bits == 11
        assert targets.side_of("ascend-960") == "ascend"
        assert targets.scan_family(["ascend-960"]) == "npu"
        assert targets.chips_of("ascend-960") == ("ascend-960",)
    finally:
        targets._aliases.cache_clear()


def test_a_broken_file_is_refused() -> None:
    text = resources.files("isthmus").joinpath("data", "targets.yaml").read_text(encoding="utf-8")
    with pytest.raises(RuntimeError, match="unknown dtype table"):
        targets.parse(text.replace("dtypes: ascend-950\n", "dtypes: ascend-999\n", 1))
    with pytest.raises(RuntimeError, match="invalid"):
        targets.parse(text.replace("    side: cuda\n", "    side: nvidia\n", 1))


def test_plugin_backends_are_devices_for_parity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend discovered through entry points is a device `parity record --device` accepts."""
    from isthmus.accel import known_names
    from isthmus.accel.discovery import plugin_probes
    from isthmus.parity.device import resolve_device

    if "dummy" not in plugin_probes():
        pytest.skip("the test plugin (tests/plugins/dummy_accel) is not installed")
    monkeypatch.setenv("ISTHMUS_DUMMY_ACCEL", "1")
    assert "dummy" in known_names()
    assert resolve_device("dummy").type == "cpu"  # the dummy backend drives the host CPU
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("dummyy")


def test_doctor_says_which_targets_run_here() -> None:
    from isthmus.doctor import Check, target_checks

    cuda_host = [Check("cuda", "cuda:0", "ok", "NVIDIA H200"), Check("npu", "torch_npu", "absent", "not installed")]
    by_name = {c.name: c for c in target_checks(cuda_host)}
    assert set(by_name) == set(targets.names())
    assert by_name["cuda-sm90"].status == "ok" and by_name["cpu"].status == "ok"
    assert (
        by_name["ascend-910b"].status == "absent"
        and "isthmus emulate --target ascend-910b" in by_name["ascend-910b"].detail
    )
    assert "roadmap" in by_name["ascend-950pr"].detail
    npu_host = [Check("npu", "torch_npu", "ok", "2.5.1, 8 NPU(s) visible", {"devices": 8})]
    assert {c.name for c in target_checks(npu_host) if c.status == "ok"} == {
        t.name for t in targets.all_targets() if t.backend in ("npu", "cpu")
    }


def test_default_targets_come_from_the_registry(tmp_path: Path) -> None:
    from isthmus.project import Project

    assert targets.defaults() == ("cuda", "ascend-910b")
    assert {targets.side_of(t) for t in targets.defaults()} == {"cuda", "ascend"}
    (tmp_path / "train.py").write_text("print(1)\n", encoding="utf-8")
    assert Project.load(tmp_path).config.targets == targets.defaults()
