"""TPP / PD arithmetic pinned against published figures, and the 3A090 class of each rule vintage."""

from __future__ import annotations

import datetime as dt

import pytest

from isthmus.plan import tpp
from isthmus.plan.catalog import load_catalog

V2022, V2023, V2025 = tpp.VINTAGES[0], tpp.VINTAGES[1], tpp.VINTAGES[-1]


# (chip key, TPP, PD) as published: A100 4,992 / 6.04 and H100/H800 15,832 / 19.45 in trade-press worked examples
# of the Oct-2023 rule; H20 2,368 (SemiAnalysis via FT) / 2.9; Ascend 910B2 353.9 TFLOPS x 16 over the 665.61 mm2
# die measured from die shots; Ascend 910 256 TFLOPS x 16 (Huawei launch figure) over 456.25 mm2.
@pytest.mark.parametrize(
    ("key", "tpp_value", "pd_value"),
    [
        ("a100", 4992, 6.04),
        ("h100-sxm", 15832, 19.45),
        ("h800", 15832, 19.45),
        ("h20", 2368, 2.91),
        ("ascend-910b2", 5662.4, 8.51),
        ("ascend-910a", 4096, 8.98),
    ],
)
def test_tpp_and_pd_match_published_figures(key: str, tpp_value: float, pd_value: float) -> None:
    c = tpp.classify_chip(load_catalog().chip(key), vintage=V2025)
    assert c.tpp == pytest.approx(tpp_value, abs=0.5)
    assert c.pd == pytest.approx(pd_value, abs=0.01)


def test_bis_worked_example_4800() -> None:
    # 88 FR 73458: "600 tera integer operations ... at 8 bits or 300 tera FLOPS ... at 16 bits" meet TPP 4800
    assert tpp.total_processing_performance({"int8": 600}).product == 4800  # type: ignore[union-attr]
    assert tpp.total_processing_performance({"fp16": 300}).product == 4800  # type: ignore[union-attr]


def test_best_precision_wins_and_sparsity_is_not_in_the_data() -> None:
    best = tpp.total_processing_performance({"fp16": 100, "fp8": 300, "fp64": 10})
    assert best is not None and best.precision == "fp8" and best.product == 2400


@pytest.mark.parametrize(
    ("rates", "area", "datacenter", "expected", "paragraph"),
    [
        ({"fp8": 362}, 608.5, True, "3A090.b", "3A090.b.1"),  # L40: TPP 2,896, PD 4.76
        ({"fp8": 242.5}, 294.5, True, "3A090.a", "3A090.a.2"),  # L4: TPP 1,940, PD 6.59
        ({"fp8": 239}, 608.5, True, "not 3A090", "below the .a and .b thresholds"),  # L20: PD 3.14
        ({"fp8": 193}, 294.5, True, "not 3A090", "TPP below 1,600"),  # L2: TPP 1,544
        ({"fp8": 660.6}, 608.5, False, "3A090.a", "3A090.a.1"),  # RTX 4090: TPP 5,285 even for consumer parts
        ({"fp8": 588.4}, 608.5, False, "not 3A090", "Note 2 (non-data-centre part below TPP 4,800)"),  # 4090D
        ({"fp8": 250}, None, True, "unknown", "needs die area (PD)"),
    ],
)
def test_oct_2023_thresholds(
    rates: dict[str, float], area: float | None, datacenter: bool, expected: str, paragraph: str
) -> None:
    c = tpp.classify(rates, die_area_mm2=area, datacenter=datacenter, vintage=V2023)
    assert (c.eccn, c.paragraph) == (expected, paragraph)


@pytest.mark.parametrize(
    ("key", "eccn_2022", "eccn_2023"),
    [
        ("a100", "3A090.a", "3A090.a"),
        ("a800", "not 3A090", "3A090.a"),  # 400 GB/s NVLink passed the Oct-2022 I/O prong, not the 2023 test
        ("h800", "not 3A090", "3A090.a"),
        ("h20", "not 3A090", "not 3A090"),
        ("ascend-910a", "not 3A090", "3A090.a"),  # TPP 4,096 < 4,800, but PD 8.98 >= 5.92 (a.2)
    ],
)
def test_vintages_differ_where_the_rules_did(key: str, eccn_2022: str, eccn_2023: str) -> None:
    chip = load_catalog().chip(key)
    assert tpp.classify_chip(chip, vintage=V2022).eccn == eccn_2022
    assert tpp.classify_chip(chip, vintage=V2023).eccn == eccn_2023


def test_h200_gate_of_jan_2026() -> None:
    cat = load_catalog()
    assert tpp.classify_chip(cat.chip("H200")).h200_gate is True  # 15,832 and 4,800 GB/s
    assert tpp.classify_chip(cat.chip("B200")).h200_gate is False  # TPP 36,000 and 8,000 GB/s


def test_arithmetic_is_shown() -> None:
    c = tpp.classify_chip(load_catalog().chip("A100"), vintage=V2025)
    text = "\n".join(c.steps)
    assert "312 x 16 = 4,992" in text and "4,992 / 826 mm2 = 6.04" in text and "3A090.a.1" in text


def test_vintage_dates() -> None:
    assert tpp.vintage_on(dt.date(2022, 10, 6)) is None
    assert tpp.vintage_on(dt.date(2022, 10, 7)) is V2022
    assert tpp.vintage_on(dt.date(2023, 11, 16)) is V2022
    assert tpp.vintage_on(dt.date(2023, 11, 17)) is V2023
