"""Prometheus exposition of snapshots with `prometheus-client`: a collector that reads fresh telemetry per scrape."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from isthmus.errors import NotInstalledError
from isthmus.monitor.model import Snapshot
from isthmus.monitor.nvml import INSTALL
from isthmus.monitor.schema import LABELS, load_schema

SCRAPE_ERRORS = "isthmus_accel_read_errors"


def load_prometheus_client() -> Any:
    try:
        return importlib.import_module("prometheus_client")
    except ImportError as e:
        raise NotInstalledError("prometheus-client", INSTALL) from e


def families(snapshot: Snapshot) -> Iterator[Any]:
    """Metric families for one snapshot: one per schema metric that has at least one value, plus a per-device
    error gauge (1 when the device could not be read, so alerts can fire on it)."""
    load_prometheus_client()
    core = importlib.import_module("prometheus_client.core")

    for spec in load_schema().metrics:
        labels = [*LABELS, *spec.extra_labels]
        help_ = f"{spec.help} Unit: {spec.unit}."
        fam: Any
        if spec.type == "counter":
            fam = core.CounterMetricFamily(spec.name.removesuffix("_total"), help_, labels=labels)
        else:
            fam = core.GaugeMetricFamily(spec.name, help_, labels=labels)
        any_value = False
        for dev in snapshot.devices:
            for extra, value in dev.values.get(spec.name, {}).items():
                extra_values = dict(extra)
                fam.add_metric([*dev.labels().values(), *(extra_values[k] for k in spec.extra_labels)], value)
                any_value = True
        if any_value:
            yield fam
    err = core.GaugeMetricFamily(
        SCRAPE_ERRORS, "1 when the device could not be read (see `isthmus monitor snapshot`).", labels=list(LABELS)
    )
    for dev in snapshot.devices:
        err.add_metric(list(dev.labels().values()), 1.0 if dev.error else 0.0)
    yield err


class SnapshotCollector:
    """A prometheus-client custom collector: each scrape calls `take()` and exposes the result."""

    def __init__(self, take: Callable[[], Snapshot]) -> None:
        self.take = take

    def collect(self) -> Iterator[Any]:
        yield from families(self.take())

    def describe(self) -> list[Any]:
        return []  # no pre-registration check: families depend on the hardware present


def exposition(snapshot: Snapshot) -> str:
    """The text exposition format of one snapshot (what a scrape would return)."""
    prometheus_client = load_prometheus_client()
    registry = prometheus_client.CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snapshot))
    text: bytes = prometheus_client.generate_latest(registry)
    return text.decode()


def start_server(take: Callable[[], Snapshot], port: int, host: str = "127.0.0.1") -> tuple[Any, Any]:
    """Serve /metrics on host:port in a daemon thread (port 0 picks a free port). Returns (server, thread);
    `server.server_port` is the bound port and `server.shutdown()` stops it."""
    prometheus_client = load_prometheus_client()
    registry = prometheus_client.CollectorRegistry()
    registry.register(SnapshotCollector(take))
    server, thread = prometheus_client.start_http_server(port, addr=host, registry=registry)
    return server, thread
