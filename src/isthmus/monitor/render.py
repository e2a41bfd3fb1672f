"""A snapshot and the metric schema as tables for people (`isthmus monitor snapshot|schema`): rows of strings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isthmus.monitor.model import DeviceReading, Snapshot

if TYPE_CHECKING:
    from isthmus.monitor.schema import Schema

# (column, metric, divisor, format) shown in the text table; all values are in the schema unit first
COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("util %", "isthmus_accel_utilization_ratio", 0.01, "{:.0f}"),
    ("mem used GiB", "isthmus_accel_memory_used_bytes", 2**30, "{:.1f}"),
    ("mem total GiB", "isthmus_accel_memory_total_bytes", 2**30, "{:.1f}"),
    ("power W", "isthmus_accel_power_watts", 1, "{:.1f}"),
    ("temp C", "isthmus_accel_temperature_celsius", 1, "{:.0f}"),
    ("core MHz", "isthmus_accel_core_clock_hertz", 1e6, "{:.0f}"),
    ("health", "isthmus_accel_health_status", 1, "{:.0f}"),
)


def cell(dev: DeviceReading, metric: str, divisor: float, fmt: str) -> str:
    series = dev.values.get(metric)
    if not series:
        return "-"
    return fmt.format(sum(series.values()) / divisor)


def rows(snapshot: Snapshot) -> list[list[str]]:
    out = []
    for d in snapshot.devices:
        if d.error:
            out.append([d.vendor, d.index, d.model or "?", "unreadable"] + [""] * (len(COLUMNS) - 1))
        else:
            out.append([d.vendor, d.index, d.model, *(cell(d, m, div, f) for _, m, div, f in COLUMNS)])
    return out


def header() -> list[str]:
    return ["vendor", "index", "model", *(c for c, _, _, _ in COLUMNS)]


SCHEMA_COLUMNS = ("metric", "unit", "NVIDIA", "Ascend")
MIGRATION_COLUMNS = ("exporter", "theirs", "ours", "factor")


def schema_title(s: Schema) -> str:
    return f"isthmus accelerator metrics (schema v{s.version}, {s.date})"


def schema_rows(s: Schema) -> list[list[str]]:
    """Per metric: name, unit, then each vendor's source field (or 'status: note' where it is not collected)."""
    return [
        [
            m.name,
            m.unit,
            *(
                f.field if f.status == "collected" else f"{f.status}: {f.note}"
                for f in (m.vendors["nvidia"], m.vendors["huawei"])
            ),
        ]
        for m in s.metrics
    ]


def migration_rows(s: Schema) -> list[list[str]]:
    """dcgm-exporter / npu-exporter metric names against ours, with the factor (their value = ours x factor)."""
    return [[x.exporter, x.theirs, x.ours, "see note" if x.factor is None else f"{x.factor:g}"] for x in s.migrations]
