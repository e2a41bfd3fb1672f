"""The packaged catalogue: validated data, lookups, defaults among conflicting figures."""

from __future__ import annotations

import pytest

from isthmus.errors import InputError
from isthmus.plan.catalog import PRECISIONS, load_catalog

ISSUE_CHIPS = [
    "A100",
    "H100",
    "H100 PCIe",
    "H800",
    "H20",
    "H200",
    "B200",
    "RTX Pro 6000",
    "RTX Pro 6000D",
    "910A",
    "910B",
    "910B3",
    "910C",
    "950PR",
    "950DT",
    "Ascend 960",
    "Ascend 970",
]
ISSUE_SYSTEMS = [
    "HGX H100",
    "DGX H200",
    "GB200 NVL72",
    "Atlas 800T A2",
    "CloudMatrix 384",
    "Atlas 950 SuperPoD",
    "Atlas 960 SuperPoD",
]


@pytest.mark.parametrize("name", ISSUE_CHIPS)
def test_issue_chips_are_present_with_sourced_figures(name: str) -> None:
    cat = load_catalog()
    chip = cat.chip(name)
    assert chip.fields, name
    for field in chip.fields:
        figs = chip.figures(field)
        assert sum(f.default for f in figs) == 1 and figs[0].default
        for f in figs:
            assert f.source.id in cat.sources and f.kind in {
                "official",
                "analyst",
                "press",
                "roadmap",
                "derived",
                "community",
            }


@pytest.mark.parametrize("name", ISSUE_SYSTEMS)
def test_issue_systems_are_present(name: str) -> None:
    cat = load_catalog()
    s = cat.system(name)
    assert s.chip in cat.chips and s.chips >= s.scaleup_domain >= 1


def test_lookup_is_case_and_punctuation_insensitive() -> None:
    cat = load_catalog()
    assert cat.chip("ascend_910C") is cat.chip("Ascend 910C") is cat.chips["ascend-910c"]
    assert cat.system("cm384") is cat.systems["cloudmatrix-384"]


def test_unknown_names_suggest_the_nearest() -> None:
    cat = load_catalog()
    with pytest.raises(InputError, match="h100-sxm"):
        cat.chip("H10O")
    with pytest.raises(InputError, match="ascend-910"):
        cat.chip("Ascend 915")
    with pytest.raises(InputError, match="unknown system"):
        cat.system("DGX-Z900")


def test_contract_attributes() -> None:
    h100 = load_catalog().chip("H100")
    assert h100.vendor == "nvidia" and h100.memory_gib == 80 and h100.memory_bw_tbs == 3.35
    assert h100.peak_tflops("bf16") == 989.5 and h100.peak_tflops("fp8") == 1979
    assert h100.scaleup_bw_gbs == 450  # 900 GB/s bidirectional NVLink, one direction
    assert h100.figure("scaleup_bw_gbs").quoted.startswith("NVLink 900")
    assert all(isinstance(h100.peak_tflops(p), float | None) for p in PRECISIONS)
    with pytest.raises(InputError, match="precision"):
        h100.peak_tflops("fp12")


def test_conflicting_figures_are_kept_with_a_default() -> None:
    c = load_catalog().chip("910C")
    values = [f.value for f in c.figures("bf16_tflops")]
    assert values == [752, 780, 800] and c.peak_tflops("bf16") == 752
    assert c.figure("bf16_tflops").source.id == "CM-PAPER"


def test_systems_inherit_per_chip_links_and_keep_their_own() -> None:
    cat = load_catalog()
    assert cat.system("HGX H100").scaleout_bw_gbs == cat.chip("H100").scaleout_bw_gbs == 50
    assert cat.system("CloudMatrix 384").power_kw == 559
    assert cat.system("Atlas 800T A2").power_kw is None
