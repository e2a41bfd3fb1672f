"""`isthmus monitor schema` as table rows, built by the library from the packaged schema."""

from __future__ import annotations

from isthmus.monitor.render import MIGRATION_COLUMNS, SCHEMA_COLUMNS, migration_rows, schema_rows, schema_title
from isthmus.monitor.schema import load_schema


def test_schema_rows_name_each_vendor_field_or_why_not() -> None:
    s = load_schema()
    rows = schema_rows(s)
    assert [r[0] for r in rows] == [m.name for m in s.metrics]
    assert all(len(r) == len(SCHEMA_COLUMNS) for r in rows)
    for m, row in zip(s.metrics, rows, strict=True):
        for vendor, cell in zip(("nvidia", "huawei"), row[2:], strict=True):
            f = m.vendors[vendor]
            assert cell == (f.field if f.status == "collected" else f"{f.status}: {f.note}")
    assert schema_title(s) == f"isthmus accelerator metrics (schema v{s.version}, {s.date})"


def test_migration_rows_show_factors_or_a_note() -> None:
    s = load_schema()
    rows = migration_rows(s)
    assert len(rows) == len(s.migrations) and all(len(r) == len(MIGRATION_COLUMNS) for r in rows)
    for x, row in zip(s.migrations, rows, strict=True):
        assert row[3] == ("see note" if x.factor is None else f"{x.factor:g}")
