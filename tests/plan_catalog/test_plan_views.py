"""The shapes `isthmus hw` and `isthmus compliance` print, built by the library (no click involved)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from isthmus.errors import InputError
from isthmus.plan import catalog_views, compliance_views, tpp
from isthmus.plan.catalog import load_catalog
from isthmus.plan.countries import COUNTRIES
from isthmus.plan.policy import check

ON = dt.date(2026, 3, 1)


def _plain(obj: object) -> object:
    """JSON round trip without a fallback encoder: fails unless `obj` is plain data."""
    return json.loads(json.dumps(obj))


# ------------------------------------------------------------------------------------------------ compliance


def test_default_axes_are_catalogue_chips_and_country_codes() -> None:
    chips, regions = compliance_views.default_axes()
    cat = load_catalog()
    assert chips and all(cat.chip(c).key == c for c in chips)
    assert regions and all(r in COUNTRIES for r in regions)
    assert len(set(chips)) == len(chips) and len(set(regions)) == len(regions)


def test_default_matrix_uses_the_default_axes_and_agrees_with_check() -> None:
    m = compliance_views.verdict_matrix(None, None, on=ON)
    chips, regions = compliance_views.default_axes()
    cells = m.cells()
    assert [row[0] for row in cells] == list(chips) and m.regions == regions
    for row, verdicts in zip(cells, m.grid, strict=True):
        for cell, v in zip(row[1:], verdicts, strict=True):
            assert cell == compliance_views.EFFECT_CODES[v.effect] + ("?" if v.confidence == "low" else "")
    # one cell checked against the engine directly
    j = regions.index("CN")
    assert m.grid[chips.index("h20")][j].effect == check("h20", "CN", actor_hq="US", on=ON).effect


def test_matrix_json_is_plain_data_with_the_deciding_rules() -> None:
    m = compliance_views.verdict_matrix(["h20", "910c"], ["cn", "us"], on=ON, actor_hq="DE")
    data = _plain(m.to_json())
    assert isinstance(data, dict)
    assert data["regions"] == ["CN", "US"] and data["actor_hq"] == "DE" and data["on"] == "2026-03-01"
    assert [r["chip"] for r in data["rows"]] == ["h20", "ascend-910c"]
    cell = data["rows"][0]["cells"][0]
    assert cell["rules"] == [r.id for r in m.grid[0][0].deciding]
    assert data["data_date"] == m.data_date.isoformat()


def test_matrix_axes_are_cleaned_and_empty_axes_refused() -> None:
    m = compliance_views.verdict_matrix([" h20 ", ""], ["cn", " "], on=ON, state_funded=True, action="export")
    assert m.regions == ("CN",) and len(m.grid) == 1 and len(m.grid[0]) == 1
    assert m.title == "export on 2026-03-01, actor hq=US, state-funded"
    with pytest.raises(InputError, match="no chips"):
        compliance_views.verdict_matrix([" "], None, on=ON)


def test_classification_report_of_a_chip_covers_every_vintage() -> None:
    r = compliance_views.classification_report("H20")
    assert r.part.endswith("(h20)") and r.on is None and not r.warnings
    assert [c.vintage for c in r.classifications] == list(tpp.VINTAGES)
    data = _plain(r.to_json())
    assert isinstance(data, dict)
    first = data["classifications"][0]
    assert first["effective_from"] == tpp.VINTAGES[0].effective_from.isoformat()
    assert first["steps"] == list(r.classifications[0].steps)


def test_classification_report_before_the_first_vintage_classifies_nothing() -> None:
    r = compliance_views.classification_report("h100", dt.date(2020, 1, 1))
    assert r.classifications == ()
    assert len(r.warnings) == 1 and "no 3A090 rule was in force on 2020-01-01" in r.warnings[0]


def test_custom_part_from_figures() -> None:
    assert compliance_views.rates_from_figures((312.0, 624.0), (16, 8)) == {"fp16": 312.0, "fp8": 624.0}
    r = compliance_views.classification_report(None, ON, tflops=(312.0,), bits=(16,), die_area_mm2=826.0)
    (c,) = r.classifications
    assert r.part == "custom part" and c.tpp == pytest.approx(312 * 16) and c.vintage == tpp.vintage_on(ON)
    with pytest.raises(InputError, match="unsupported --bits"):
        compliance_views.rates_from_figures((1.0,), (3,))
    with pytest.raises(InputError, match="in pairs"):
        compliance_views.rates_from_figures((1.0, 2.0), (16,))


def test_rule_listing_filters_by_jurisdiction() -> None:
    every = compliance_views.rule_listing()
    cn = compliance_views.rule_listing("cn")
    assert cn.rules and len(cn.rules) < len(every.rules)
    assert all(r.jurisdiction == "CN" for r in cn.rules)
    rows = every.rows()
    assert all(len(row) == len(every.columns) for row in rows)
    for rule, row in zip(every.rules, rows, strict=True):
        assert row[0] == rule.id and row[3].endswith("(not enforced)") is (not rule.enforced)
    data = _plain(cn.to_json())
    assert isinstance(data, dict) and [r["id"] for r in data["rules"]] == [r.id for r in cn.rules]


# ------------------------------------------------------------------------------------------------ catalogue


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (1979.0, "1,979"), (989.5, "989.5"), (1234.56, "1,234.6"), (2.039, "2.039"), (0.5, "0.5")],
)
def test_format_number(value: float | None, text: str) -> None:
    assert catalog_views.format_number(value) == text


def test_listing_by_vendor() -> None:
    cat = load_catalog()
    huawei = catalog_views.listing(cat, "huawei")
    assert huawei.chips and all(c.vendor == "huawei" for c in huawei.chips)
    assert all(s.vendor == "huawei" for s in huawei.systems)
    assert len(catalog_views.listing(cat).chips) == len(cat.chips)
    assert all(len(row) == len(huawei.chip_columns) for row in huawei.chip_rows())
    data = _plain(huawei.to_json())
    assert isinstance(data, dict)
    assert {c["key"] for c in data["chips"]} == {c.key for c in huawei.chips}
    assert all(f in data["chips"][0] for _, f, _ in catalog_views.COLUMNS)


def test_datasheet_marks_one_default_per_field_and_cites_every_source() -> None:
    sheet = catalog_views.datasheet(load_catalog(), "910C")
    rows = sheet.figure_rows()
    defaults = [row[0][2:] for row in rows if row[0].startswith("* ")]
    assert sorted(defaults) == sorted(sheet.item.fields)
    cited = {row[3] for row in rows}
    assert [line.split(":")[0] for line in sheet.source_lines()] == sorted(cited)
    assert not any(line.startswith(("key:", "name:")) for line in sheet.meta_lines())
    data = _plain(sheet.to_json())
    assert isinstance(data, dict) and data["key"] == "ascend-910c" and len(data["figures"]) == len(rows)


def test_compare_ratios_and_system_links() -> None:
    cat = load_catalog()
    cmp = catalog_views.compare(cat, ["H100", "910C"])
    rows = {r["field"]: r for r in cmp.rows}
    assert rows["bf16_tflops"]["ratios"] == [1.0, 752 / 989.5]
    assert cmp.names == ("h100-sxm", "ascend-910c")
    bf16 = next(row for row in cmp.table_rows() if row[0] == "BF16 TFLOPS")
    assert bf16[2].startswith("752 (0.76x)")
    # a system brings its own per-chip scale-up bandwidth when it has one
    system = cat.system("cloudmatrix-384")
    by_system = {r["field"]: r for r in catalog_views.compare(cat, ["h100", "cloudmatrix-384"]).rows}
    assert by_system["scaleup_bw_gbs"]["values"][1] == system.value("scaleup_bw_gbs")
    assert by_system["bf16_tflops"]["values"][1] == cat.chip(system.chip).value("bf16_tflops")


def test_compare_marks_figures_that_are_not_official() -> None:
    cmp = catalog_views.compare(load_catalog(), ["a100", "a800"])
    for r, cells in zip(cmp.rows, cmp.table_rows(), strict=True):
        for kind, cell in zip(r["kinds"], cells[1:], strict=True):
            assert cell.endswith(f" [{kind}]") is (kind not in (None, "official"))


def test_matrix_with_only_blank_chips_is_a_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("compliance", "matrix", "--chips", ",", "--date", "2026-03-01")
    assert code == 2 and out == "" and err.count("\n") == 1 and "no chips or no regions" in err
