"""Comparison: identical records, a real cross-precision profile, and localisation of a perturbed layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from isthmus.errors import InputError
from isthmus.parity import (
    TOLERANCES,
    InputSpec,
    RecordOptions,
    compare,
    compare_arrays,
    load_record,
    record_model,
    save_record,
)


@pytest.fixture(scope="module")
def fp32_tiny(tiny_spec: str):
    return record_model(tiny_spec, InputSpec(), RecordOptions())


def test_record_against_itself_is_identical(tiny_spec: str, fp32_tiny, tmp_path: Path) -> None:
    again = record_model(tiny_spec, InputSpec(), RecordOptions())  # a second run, through a file round trip
    save_record(again, tmp_path / "again")
    result = compare(fp32_tiny, load_record(tmp_path / "again"))
    assert result.passed and result.first is None
    assert all(e.metrics is not None and e.metrics.exact and e.metrics.cosine == 1.0 for e in result.entries)


def test_fp32_vs_bf16_autocast_gives_a_sensible_error_profile(tiny_spec: str, fp32_tiny) -> None:
    bf16 = record_model(tiny_spec, InputSpec(), RecordOptions(autocast="bf16"))
    result = compare(fp32_tiny, bf16)
    by_key = {e.key: e for e in result.entries}
    # the embedding lookup is not a matmul: autocast leaves it in fp32 and exact
    assert by_key["forward/tok_emb"].metrics.exact
    linears = [e for e in result.entries if e.module_type == "Linear"]
    assert linears and all(e.dtype_b == "bfloat16" for e in linears)
    for e in linears:
        # bf16 has 8 mantissa bits: errors well above fp32 roundoff, well below gross failure
        assert 1e-4 < e.metrics.nrmse < TOLERANCES["bfloat16"].nrmse_max, e.key
        assert 0.999 < e.metrics.cosine < 1.0, e.key
        assert e.tolerance is not None and e.tolerance.dtype == "bfloat16"
    # fp32 outputs downstream of bf16 matmuls are judged by the bf16 row, not the fp32 row
    assert by_key["forward/blocks.0"].tolerance.dtype == "bfloat16"
    assert result.passed


def test_perturbed_weight_is_localised_to_exactly_that_layer(deep_file: Path) -> None:
    a = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions())
    b = record_model(f"{deep_file}:deep_weight_perturbed", InputSpec(), RecordOptions())
    with pytest.raises(InputError, match="different weights"):
        compare(a, b)
    result = compare(a, b, allow_mismatch=True)
    assert not result.passed and result.first is not None
    assert result.first.entry.key == "forward/26"  # Linear number 13 is module index 26 of the Sequential
    assert result.first.entry.module_type == "Linear"
    assert [m for m, _ in result.first.chain] == ["(model)", "26"]
    assert all(p.verdict == "pass" for p in result.first.preceding)
    before = [e for e in result.entries if e.order < result.first.entry.order]
    assert before and all(e.metrics.exact for e in before)  # everything upstream is bit-identical
    assert any("weights" in n for n in result.notes)


def test_perturbed_kernel_is_found_without_weight_mismatch(deep_file: Path) -> None:
    a = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions())
    b = record_model(f"{deep_file}:deep_kernel_perturbed", InputSpec(), RecordOptions())
    result = compare(a, b)  # same weights, same inputs: no refusal
    assert result.first is not None and result.first.entry.key == "forward/26"
    assert "nrmse" in result.first.entry.reason


def test_different_inputs_are_refused(deep_file: Path) -> None:
    a = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions())
    b = record_model(f"{deep_file}:deep", InputSpec(shape=(4, 32)), RecordOptions(seed=0))
    with pytest.raises(InputError, match="different inputs"):
        compare(a, b)


def test_integer_outputs_compare_exactly_and_tuples_are_split(deep_file: Path) -> None:
    a = record_model(f"{deep_file}:two_outputs", InputSpec(), RecordOptions())
    keys = [e.key for e in a.manifest.entries]
    assert "forward/(model):0" in keys and "forward/(model):1" in keys
    result = compare(a, a)
    ints = [e for e in result.entries if e.dtype_a == "int64"]
    assert ints and all(e.tolerance is not None and e.tolerance.exact for e in ints)


def test_metrics_on_known_values() -> None:
    a = np.array([1.0, 2.0, 4.0, 0.0])
    b = np.array([1.0, 2.002, 4.1, 0.0])
    m = compare_arrays(a, b)
    assert m.max_abs == pytest.approx(0.1)
    assert m.max_rel == pytest.approx(0.025)
    assert m.within_0_1 == pytest.approx(0.75)  # 1.0, 0.0 exact; 2.002 is 0.1 % off (not < 0.1 %)
    assert m.within_0_5 == pytest.approx(0.75)
    assert m.rmse == pytest.approx(np.sqrt((0.002**2 + 0.1**2) / 4))
    assert m.cosine == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    nan = compare_arrays(np.array([np.nan, 1.0]), np.array([1.0, 1.0]))
    assert nan.nonfinite_mismatch == 1
