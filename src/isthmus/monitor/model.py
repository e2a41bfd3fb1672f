"""Telemetry results: one reading per device, every value already in the schema's unit, errors kept per device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A metric value with its extra labels: (("type", "correctable"),) -> 3.0; plain metrics use the empty tuple.
LabelKey = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DeviceReading:
    """One accelerator's telemetry. `values[metric][extra_labels]` is in the schema unit; a metric that could not
    be read is absent from `values` and named in `missing` with the reason (never a silent zero)."""

    vendor: str
    model: str
    index: str
    uuid: str
    node: str
    values: dict[str, dict[LabelKey, float]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    error: str = ""  # set when the device could not be read at all (malformed or truncated tool output)
    backend: str = ""  # nvml | dcmi | npu-smi

    def labels(self) -> dict[str, str]:
        return {"vendor": self.vendor, "model": self.model, "index": self.index, "uuid": self.uuid, "node": self.node}

    def value(self, metric: str, **extra: str) -> float | None:
        key: LabelKey = tuple(sorted(extra.items()))
        return self.values.get(metric, {}).get(key)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.labels(),
            "backend": self.backend,
            "error": self.error or None,
            "metrics": {
                m: [{"labels": dict(k), "value": v} for k, v in series.items()] for m, series in self.values.items()
            },
            "missing": self.missing,
        }


@dataclass(frozen=True)
class Snapshot:
    """All devices on one node at one moment, plus what each backend said about itself."""

    node: str
    taken: str  # ISO-8601 UTC
    devices: tuple[DeviceReading, ...]
    notes: tuple[str, ...] = ()  # backend-level messages: "NVML: no driver", "npu-smi: not found"

    @property
    def errors(self) -> tuple[DeviceReading, ...]:
        return tuple(d for d in self.devices if d.error)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "isthmus-monitor/1",
            "node": self.node,
            "taken": self.taken,
            "devices": [d.to_json() for d in self.devices],
            "notes": list(self.notes),
        }
