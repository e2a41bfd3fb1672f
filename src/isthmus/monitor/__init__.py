"""monitor: one telemetry schema for NVIDIA (NVML) and Ascend (DCMI, npu-smi) accelerators, with Prometheus
exposition and a migration table from dcgm-exporter and the Ascend npu-exporter.

Public API: `detect`, `take_snapshot`, `Sources`, `Snapshot`, `DeviceReading`, `load_schema`, `exposition`,
`start_server`, `snapshot_header` / `snapshot_rows` (a snapshot as a table). Vendor modules (pynvml, libdcmi,
prometheus_client) are imported only when a function needs them.
"""

from __future__ import annotations

from isthmus.monitor.collect import Sources, detect, take_snapshot
from isthmus.monitor.model import DeviceReading, Snapshot
from isthmus.monitor.prom import exposition, start_server
from isthmus.monitor.render import header as snapshot_header
from isthmus.monitor.render import rows as snapshot_rows
from isthmus.monitor.schema import Schema, load_schema

__all__ = [
    "DeviceReading",
    "Schema",
    "Snapshot",
    "Sources",
    "detect",
    "exposition",
    "load_schema",
    "snapshot_header",
    "snapshot_rows",
    "start_server",
    "take_snapshot",
]
