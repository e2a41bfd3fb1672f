"""Take one snapshot of every accelerator on this node, through whichever vendor interfaces are present."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from isthmus.errors import NotInstalledError
from isthmus.monitor import ascend, dcmi, nvml
from isthmus.monitor.model import DeviceReading, Snapshot

Backend = Literal["auto", "nvidia", "ascend"]


@dataclass(frozen=True)
class Sources:
    """The vendor interfaces one snapshot reads; None = not present. Tests build this with stubs."""

    nvml: Any = None  # a pynvml-like module
    dcmi: dcmi.DcmiApi | None = None
    npu_smi: ascend.Runner | None = None


def detect(backend: Backend = "auto") -> Sources:
    """Find the vendor interfaces on this host. NVML is required only when asked for explicitly, or when no Ascend
    interface exists either (then nothing could tell whether NVIDIA GPUs are present)."""
    sources = Sources()
    if backend in ("auto", "ascend"):
        api = dcmi.load_dcmi()
        exe = ascend.npu_smi_path()
        sources = Sources(dcmi=api, npu_smi=ascend.subprocess_runner(exe) if (exe and api is None) else None)
    if backend in ("auto", "nvidia"):
        try:
            sources = Sources(nvml=nvml.load_pynvml(), dcmi=sources.dcmi, npu_smi=sources.npu_smi)
        except NotInstalledError:
            if backend == "nvidia" or (sources.dcmi is None and sources.npu_smi is None):
                raise
    return sources


def node_name() -> str:
    return socket.gethostname()


def take_snapshot(sources: Sources, node: str | None = None) -> Snapshot:
    """Read every present interface once. DCMI wins over npu-smi when both exist (it is the same data, cheaper)."""
    host = node or node_name()
    devices: list[DeviceReading] = []
    notes: list[str] = []
    readers: list[tuple[str, Callable[[], tuple[list[DeviceReading], list[str]]]]] = []
    if sources.nvml is not None:
        readers.append(("NVML", lambda: nvml.read_all(sources.nvml, host)))
    if sources.dcmi is not None:
        api = sources.dcmi
        readers.append(("DCMI", lambda: dcmi.read_dcmi(api, host)))
    elif sources.npu_smi is not None:
        run = sources.npu_smi
        readers.append(("npu-smi", lambda: ascend.read_npu_smi(run, host)))
    if not readers:
        notes.append("no vendor interface found (NVML, DCMI or npu-smi)")
    for name, read in readers:
        try:
            found, said = read()
        except Exception as e:  # one broken vendor stack must not hide the other's devices
            notes.append(f"{name}: failed: {type(e).__name__}: {e}")
            continue
        devices += found
        notes += said
    taken = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return Snapshot(node=host, taken=taken, devices=tuple(devices), notes=tuple(notes))
