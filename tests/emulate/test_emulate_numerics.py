"""Numerics emulation: mantissa rounding and autocast-dtype results of matmul-class operators."""

from __future__ import annotations

import struct

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from isthmus.ops.emulate import emulation
from isthmus.ops.numerics import round_mantissa


def _bits(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


@pytest.mark.parametrize(
    ("value", "bits", "expected"),
    [
        (1.0 + 2.0**-12, 10, 1.0),  # below half an ulp of a 10-bit mantissa: rounds down
        (1.0 + 2.0**-11, 10, 1.0),  # exactly half, even neighbour is 1.0: ties to even
        (1.0 + 3 * 2.0**-11, 10, 1.0 + 2.0**-9),  # half above an odd neighbour: rounds up to even
        (-(1.0 + 3 * 2.0**-11), 10, -(1.0 + 2.0**-9)),  # sign is kept
        (2.0 - 2.0**-23, 10, 2.0),  # carry into the exponent
    ],
)
def test_round_mantissa_known_values(value: float, bits: int, expected: float) -> None:
    assert round_mantissa(torch.tensor([value]), bits).item() == expected


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-(2.0**100), max_value=2.0**100, allow_nan=False, allow_subnormal=False, width=32))
def test_round_mantissa_matches_bfloat16_at_7_bits(value: float) -> None:
    t = torch.tensor([value], dtype=torch.float32)  # (bf16 keeps 7 explicit mantissa bits, same rounding)
    assert _bits(round_mantissa(t, 7).item()) == _bits(t.to(torch.bfloat16).float().item())


def test_matmul_results_rounded_to_fp16_under_numerics() -> None:
    torch.manual_seed(0)
    a, b = torch.randn(64, 128), torch.randn(128, 32)
    with emulation("ascend-910b", numerics=True, compute_dtype=torch.float16):
        y = a @ b
    expected = (a.half().float() @ b.half().float()).half().float()
    assert y.dtype == torch.float32
    assert torch.equal(y, expected)
    assert not torch.equal(y, a @ b)


def test_host_autocast_dtype_is_followed_and_elementwise_ops_untouched() -> None:
    torch.manual_seed(0)
    a, b = torch.randn(16, 16), torch.randn(16, 16)
    with emulation("ascend-910b", numerics=True), torch.autocast("cpu", dtype=torch.float16):
        y = a @ b
        z = a + b
    assert y.dtype == torch.float16
    assert torch.equal(y, (a.half().float() @ b.half().float()).half())
    assert torch.equal(z, a + b)


def test_fp32_matmul_untouched_without_autocast_on_ascend() -> None:
    # torch_npu.npu.matmul.allow_hf32 defaults to False: fp32 matmuls keep full precision
    a, b = torch.randn(8, 8), torch.randn(8, 8)
    with emulation("ascend-910b", numerics=True):
        y = a @ b
    assert torch.equal(y, a @ b)


def test_conv_inputs_rounded_hf32_style_on_ascend() -> None:
    torch.manual_seed(0)
    x, w = torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3)
    with emulation("ascend-910b", numerics=True):
        y = torch.nn.functional.conv2d(x, w)
    expected = torch.nn.functional.conv2d(round_mantissa(x, 11), round_mantissa(w, 11))
    assert torch.allclose(y, expected, atol=1e-6) and not torch.equal(y, torch.nn.functional.conv2d(x, w))
