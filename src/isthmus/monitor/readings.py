"""Build a DeviceReading from raw vendor values: the schema's scale turns each raw value into the metric unit."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from isthmus.monitor.model import DeviceReading, LabelKey
from isthmus.monitor.schema import Vendor, load_schema


@dataclass
class ReadingBuilder:
    """Collects raw values for one device; a read that raises becomes a `missing` entry, never a zero."""

    vendor: Vendor
    values: dict[str, dict[LabelKey, float]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def put(self, metric: str, raw: float | None, reason: str = "not reported", **extra: str) -> None:
        """Record `raw` (vendor unit) for `metric`; None or NaN records the metric as missing with `reason`."""
        spec = load_schema().metric(metric).vendors[self.vendor]
        if spec.status != "collected" or spec.scale is None:
            raise ValueError(f"{metric} is {spec.status} for {self.vendor}: the schema says no value exists")
        if raw is None or math.isnan(raw):
            self.missing.setdefault(metric, reason)
            return
        self.values.setdefault(metric, {})[tuple(sorted(extra.items()))] = raw * spec.scale
        self.missing.pop(metric, None)

    def read(self, metric: str, fn: Callable[[], float | None], **extra: str) -> None:
        """Call `fn` for the raw value; any exception it raises is recorded as the reason the metric is missing."""
        try:
            raw = fn()
        except Exception as e:  # vendor libraries raise their own types (NVMLError, OSError from ctypes)
            self.missing.setdefault(metric, f"{type(e).__name__}: {e}".strip())
            return
        self.put(metric, raw, **extra)

    def build(self, *, model: str, index: str, uuid: str, node: str, backend: str) -> DeviceReading:
        return DeviceReading(
            vendor=self.vendor,
            model=model,
            index=index,
            uuid=uuid,
            node=node,
            values=self.values,
            missing=self.missing,
            backend=backend,
        )


def failed_device(vendor: str, index: str, node: str, backend: str, error: str, model: str = "") -> DeviceReading:
    """A device that could not be read at all: labels where known, no values, the error in one line."""
    return DeviceReading(vendor, model, index, "", node, error=error.replace("\n", " "), backend=backend)
