"""Support logic on operators checked by hand in torch's native_functions.yaml and torch_npu's yaml files.

Facts (torch 2.13 native_functions.yaml; torch_npu 2.14.0 / 2.5.1.post1 npu_native_functions_by_codegen.yaml):
- `_int_mm`: dispatch CPU, CUDA, XPU; absent from torch_npu -> Ascend CPU fallback.
- `scaled_dot_product_attention`: CompositeImplicit in torch (CUDA picks flash/efficient/cuDNN); listed by torch_npu.
- `_fused_rms_norm`: CUDA/MPS/XPU kernels + CompositeImplicit; absent from torch_npu.
- `_scaled_dot_product_flash_attention_for_cpu`: CPU only.
- `transpose.int`: CompositeExplicit view.
- `_scaled_mm`: in torch_npu 2.14.0, not in 2.5.1.post1.
- `cholesky`: CPU/CUDA kernels; absent from torch_npu.
"""

from __future__ import annotations

import pytest

from isthmus.errors import InputError
from isthmus.ops import get_target, list_targets, npu_versions, op_key
from isthmus.ops.targets import targets_json, targets_lines


def test_every_listed_target_loads_with_provenance() -> None:
    assert set(list_targets()) >= {"cuda", "cuda-sm80", "cuda-sm90", "ascend-910a", "ascend-910b", "ascend-910c"}
    for name in list_targets():
        profile = get_target(name)
        assert profile.name == name
        assert "sha256" in profile.registry_source


def test_target_listing_names_every_target_and_the_shipped_registries() -> None:
    oldest = npu_versions()[-1]
    data = targets_json(oldest)
    assert list(data) == [*list_targets(), "torch_npu_versions"] and data["torch_npu_versions"] == npu_versions()
    assert oldest in data["ascend-910b"]["registry"] and data["cuda"]["device_type"] == "cuda"
    lines = targets_lines(oldest)
    assert len(lines) == len(list_targets()) + 1 and lines[-1].endswith(", ".join(npu_versions()))
    for name, line in zip(list_targets(), lines, strict=False):
        assert line.startswith(name) and line.endswith(data[name]["registry"])


@pytest.mark.parametrize(
    ("target", "op", "status"),
    [
        ("cuda", "aten::_int_mm.default", "native"),
        ("ascend-910b", "aten::_int_mm.default", "fallback"),
        ("cuda", "aten::add.Tensor", "native"),
        ("ascend-910b", "aten::add.Tensor", "native"),
        ("ascend-910b", "aten::scaled_dot_product_attention.default", "native"),
        ("cuda", "aten::scaled_dot_product_attention.default", "native"),
        ("cuda", "aten::_fused_rms_norm.default", "native"),
        ("ascend-910b", "aten::_fused_rms_norm.default", "decomposed"),
        ("cpu", "aten::_fused_rms_norm.default", "decomposed"),
        ("cuda", "aten::_scaled_dot_product_flash_attention_for_cpu.default", "native"),  # judged as SDPA
        ("ascend-910b", "aten::_scaled_dot_product_flash_attention_for_cpu.default", "native"),
        ("cpu", "aten::_scaled_dot_product_flash_attention_for_cpu.default", "native"),
        ("ascend-910b", "aten::cholesky.default", "fallback"),
        ("cuda", "aten::transpose.int", "native"),
    ],
)
def test_hand_checked_operators(target: str, op: str, status: str) -> None:
    assert get_target(target).support(op).status == status


def test_sdpa_on_cuda_names_the_fused_kernels() -> None:
    sup = get_target("cuda").support("aten::scaled_dot_product_attention.default")
    assert "aten::_scaled_dot_product_flash_attention.default" in sup.via


def test_fallback_names_the_cpu_and_suggests_a_replacement() -> None:
    sup = get_target("ascend-910b").support("aten::_int_mm.default")
    assert sup.via == ("cpu",) and sup.slow
    assert sup.suggestion and "npu_quant_matmul" in sup.suggestion


def test_decomposition_is_followed_to_a_part_that_falls_back() -> None:
    decomp = {"_safe_softmax": ("_softmax", "cholesky")}
    npu = get_target("ascend-910b").support("aten::_safe_softmax.default", decomp)
    assert npu.status == "fallback" and npu.via == ("aten::cholesky.default",)
    cuda = get_target("cuda").support("aten::_safe_softmax.default", decomp)
    assert cuda.status == "decomposed"
    assert cuda.via == ("aten::_softmax.default", "aten::cholesky.default")


def test_packet_takes_the_best_overload_and_spellings_agree() -> None:
    profile = get_target("ascend-910b")
    assert profile.support("aten::add").status == "native"
    assert profile.support("aten.add.Tensor") == profile.support("aten::add.Tensor")


@pytest.mark.parametrize(
    "spelling",
    ["npu::npu_rms_norm", "npu::npu_rms_norm.default", "npu.npu_rms_norm", "torch.ops.npu.npu_rms_norm.default"],
)
def test_npu_custom_operator_spellings_are_native_on_ascend(spelling: str) -> None:
    sup = get_target("ascend-910b").support(spelling)
    assert (sup.op, sup.status) == ("npu::npu_rms_norm", "native")


def test_op_key_keeps_any_namespace() -> None:
    assert op_key("npu::npu_rms_norm") == ("npu::npu_rms_norm", False)
    assert op_key("mylib::foo.out") == ("mylib::foo.out", False)
    assert op_key("torch.ops.mylib.foo.default") == ("mylib::foo", False)
    assert op_key("aten::add") == ("add", True) and op_key("add.default") == ("add", False)


@pytest.mark.parametrize("target", ["ascend-910b", "cuda", "cpu"])
@pytest.mark.parametrize("op", ["aten::nonexistent_op", "aten::add.Tensr", "mylib::foo"])
def test_unknown_operator_is_unsupported_not_a_fallback(target: str, op: str) -> None:
    sup = get_target(target).support(op)
    assert sup.status == "unsupported" and not sup.slow and "unknown to" in sup.note
    if target.startswith("ascend"):
        assert "both registries" in sup.note


def test_support_of_an_op_overload() -> None:
    import torch

    assert get_target("ascend-910b").support_of(torch.ops.aten._int_mm.default).status == "fallback"
    assert get_target("cuda").support_of(torch.ops.aten._int_mm.default).status == "native"


def test_torch_npu_version_selects_the_registry() -> None:
    assert {"2.14.0", "2.5.1.post1"} <= set(npu_versions())
    new = get_target("ascend-910b", "2.14.0")
    old = get_target("ascend-910b", "2.5.1.post1")
    assert "2.5.1.post1" in old.registry_source
    assert new.support("aten::_scaled_mm.default").status == "native"
    assert old.support("aten::_scaled_mm.default").status == "fallback"


def test_unknown_names_suggest_close_ones() -> None:
    with pytest.raises(InputError, match="ascend-910b"):
        get_target("ascend910b")
    with pytest.raises(InputError, match=r"2\.14\.0"):
        get_target("ascend-910b", "2.14")


@pytest.mark.parametrize(
    ("target", "dtype", "status", "to"),
    [
        ("ascend-910a", "bfloat16", "error", None),
        ("ascend-910b", "bfloat16", "native", None),
        ("ascend-910b", "float64", "downcast", "float32"),
        ("ascend-910c", "complex128", "error", None),
        ("cuda", "float64", "native", None),
        ("cuda-sm80", "float8_e4m3fn", "error", None),
        ("cuda-sm90", "float8_e4m3fn", "native", None),
    ],
)
def test_dtype_support(target: str, dtype: str, status: str, to: str | None) -> None:
    import torch

    sup = get_target(target).dtype_support(getattr(torch, dtype))
    assert (sup.dtype, sup.status, sup.to) == (dtype, status, to)
