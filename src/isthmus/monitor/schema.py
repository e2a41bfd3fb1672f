"""The telemetry schema (data/schema.yaml) as frozen dataclasses: metric names, units, vendor sources, migrations."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from isthmus.errors import IsthmusError

Vendor = Literal["nvidia", "huawei"]
VENDORS: tuple[Vendor, ...] = ("nvidia", "huawei")
LABELS: tuple[str, ...] = ("vendor", "model", "index", "uuid", "node")
_STATUSES = frozenset({"collected", "not_collected", "unavailable"})


class SchemaError(IsthmusError):
    """The packaged schema file is inconsistent (a bug in isthmus, not user input)."""


@dataclass(frozen=True)
class VendorField:
    """Where one vendor's value for a metric comes from, or why there is none."""

    status: str  # collected | not_collected | unavailable
    field: str = ""
    scale: float | None = None  # metric = raw * scale
    source: str = ""  # key into Schema.sources
    dcgm: str = ""  # "NAME (id)" for NVIDIA fields that DCGM also exposes
    note: str = ""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: str  # gauge | counter
    unit: str
    help: str
    extra_labels: tuple[str, ...]
    vendors: dict[str, VendorField]


@dataclass(frozen=True)
class Migration:
    """One metric of an existing exporter and how it maps onto ours (their value = ours * factor)."""

    exporter: str
    theirs: str
    ours: str
    factor: float | None
    their_unit: str
    note: str = ""


@dataclass(frozen=True)
class Schema:
    version: int
    date: str
    labels: dict[str, str]
    sources: dict[str, dict[str, str]]
    metrics: tuple[MetricSpec, ...]
    migrations: tuple[Migration, ...]
    migration_labels: dict[str, dict[str, str]]

    def metric(self, name: str) -> MetricSpec:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "date": self.date,
            "labels": self.labels,
            "metrics": [
                {
                    "name": m.name,
                    "type": m.type,
                    "unit": m.unit,
                    "help": m.help,
                    "extra_labels": list(m.extra_labels),
                    "vendors": {v: vars(f) for v, f in m.vendors.items()},
                }
                for m in self.metrics
            ],
            "migration": [vars(x) for x in self.migrations],
            "migration_labels": self.migration_labels,
            "sources": self.sources,
        }


def _vendor_field(metric: str, vendor: str, raw: dict[str, Any], sources: dict[str, Any]) -> VendorField:
    status = raw.get("status")
    if status not in _STATUSES:
        raise SchemaError(f"schema: {metric}.{vendor}: status {status!r} is not one of {sorted(_STATUSES)}")
    if status == "collected" and raw.get("scale") is None:
        raise SchemaError(f"schema: {metric}.{vendor}: a collected field needs a scale")
    if status != "unavailable" and raw.get("source") not in sources:
        raise SchemaError(f"schema: {metric}.{vendor}: unknown source {raw.get('source')!r}")
    if status != "collected" and not raw.get("note"):
        raise SchemaError(f"schema: {metric}.{vendor}: say why it is {status} (note)")
    dcgm = raw.get("dcgm") or {}
    return VendorField(
        status=status,
        field=str(raw.get("field", "")),
        scale=None if raw.get("scale") is None else float(raw["scale"]),
        source=str(raw.get("source", "")),
        dcgm=f"{dcgm['name']} ({dcgm['id']})" if dcgm else "",
        note=str(raw.get("note", "")),
    )


def parse_schema(doc: dict[str, Any]) -> Schema:
    """Build and check a Schema from the parsed YAML document."""
    sources = doc["sources"]
    metrics = []
    for m in doc["metrics"]:
        vendors: dict[str, VendorField] = {v: _vendor_field(m["name"], v, m[v], sources) for v in VENDORS}
        metrics.append(
            MetricSpec(m["name"], m["type"], m["unit"], m["help"], tuple(m.get("extra_labels", ())), vendors)
        )
    names = {m.name for m in metrics}
    migrations = []
    labels: dict[str, dict[str, str]] = {}
    for exporter, block in doc["migration"].items():
        if block["source"] not in sources:
            raise SchemaError(f"schema: migration {exporter}: unknown source {block['source']!r}")
        labels[exporter] = dict(block["labels"])
        for e in block["metrics"]:
            base = e["ours"].split("{")[0].split(" ")[0]
            if base not in names:
                raise SchemaError(f"schema: migration {exporter}.{e['theirs']}: unknown metric {base!r}")
            factor = None if e["factor"] is None else float(e["factor"])
            migrations.append(Migration(exporter, e["theirs"], e["ours"], factor, e["their_unit"], e.get("note", "")))
    return Schema(
        int(doc["version"]), str(doc["date"]), dict(doc["labels"]), sources, tuple(metrics), tuple(migrations), labels
    )


@functools.cache
def load_schema() -> Schema:
    """The packaged schema (read once)."""
    text = resources.files("isthmus.monitor").joinpath("data/schema.yaml").read_text(encoding="utf-8")
    return parse_schema(yaml.safe_load(text))
