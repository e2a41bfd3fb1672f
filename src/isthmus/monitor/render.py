"""A snapshot as a table for people (`isthmus monitor snapshot`)."""

from __future__ import annotations

from isthmus.monitor.model import DeviceReading, Snapshot

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
