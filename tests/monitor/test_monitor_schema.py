"""The schema data file: every vendor field has a source or a reason, and migrations point at real metrics."""

from __future__ import annotations

import copy
from importlib import resources

import pytest
import yaml

from isthmus.monitor.readings import ReadingBuilder
from isthmus.monitor.schema import SchemaError, load_schema, parse_schema


def _doc() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(resources.files("isthmus.monitor").joinpath("data/schema.yaml").read_text(encoding="utf-8"))


def test_every_metric_names_both_vendors_with_a_source_or_a_reason() -> None:
    s = load_schema()
    assert len(s.metrics) >= 10
    for m in s.metrics:
        assert m.type in ("gauge", "counter") and m.name.startswith("isthmus_accel_")
        assert m.name.endswith("_total") == (m.type == "counter")
        for vendor, f in m.vendors.items():
            if f.status == "unavailable":
                assert f.note, (m.name, vendor)
            else:
                source = s.sources[f.source]
                assert source["url"].startswith("https://") and source["date"] and source["kind"], (m.name, vendor)
            if vendor == "nvidia" and f.status == "collected":
                assert f.dcgm.startswith("DCGM_FI_DEV_"), m.name
    exporters = {x.exporter for x in s.migrations}
    assert exporters == {"dcgm_exporter", "npu_exporter"}
    theirs = {x.theirs for x in s.migrations}
    assert {"DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE"} <= theirs
    assert {"npu_chip_info_utilization", "npu_chip_info_hbm_used_memory", "npu_chip_info_power"} <= theirs


def test_migration_factors_are_unit_conversions() -> None:
    s = load_schema()
    by = {x.theirs: x for x in s.migrations}
    assert by["DCGM_FI_DEV_FB_USED"].factor == pytest.approx(1 / 2**20)  # MiB per byte
    assert by["DCGM_FI_DEV_GPU_UTIL"].factor == 100  # percent per ratio
    assert by["npu_chip_info_aicore_current_freq"].factor == pytest.approx(1e-6)
    assert by["npu_chip_info_health_status"].factor is None and by["npu_chip_info_health_status"].note


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("metrics", 0, "nvidia", "status"), "guessed", "status"),
        (("metrics", 0, "huawei", "source"), "NOWHERE", "unknown source"),
        (("metrics", 0, "huawei", "scale"), None, "needs a scale"),
        (("migration", "npu_exporter", "metrics", 0, "ours"), "isthmus_accel_nope", "unknown metric"),
    ],
)
def test_inconsistent_schema_is_refused(path: tuple, value: object, message: str) -> None:  # type: ignore[type-arg]
    doc = copy.deepcopy(_doc())
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(SchemaError, match=message):
        parse_schema(doc)


def test_no_value_can_be_recorded_where_the_vendor_has_none() -> None:
    b = ReadingBuilder("nvidia")
    with pytest.raises(ValueError, match="unavailable"):
        b.put("isthmus_accel_health_status", 0.0)
    b = ReadingBuilder("huawei")
    with pytest.raises(ValueError, match="unavailable"):
        b.put("isthmus_accel_link_errors_total", 0.0)
    b.put("isthmus_accel_power_watts", float("nan"), reason="sensor gave NaN")
    assert b.values == {} and b.missing == {"isthmus_accel_power_watts": "sensor gave NaN"}


def test_docs_show_every_metric_and_migration(repo_root) -> None:  # type: ignore[no-untyped-def]
    doc = (repo_root / "docs" / "monitor.md").read_text(encoding="utf-8")
    s = load_schema()
    for name in [m.name for m in s.metrics] + [x.theirs for x in s.migrations]:
        assert f"`{name}`" in doc, name
    assert "100 * isthmus_accel_memory_used_bytes / isthmus_accel_memory_total_bytes" in doc
