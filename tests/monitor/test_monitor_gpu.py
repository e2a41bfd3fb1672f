"""The real NVML path on an NVIDIA GPU (skipped without one)."""

from __future__ import annotations

import urllib.request

import pytest

pynvml = pytest.importorskip("pynvml")


def _has_gpu() -> bool:
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return False
    try:
        return int(pynvml.nvmlDeviceGetCount()) > 0
    finally:
        pynvml.nvmlShutdown()


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _has_gpu(), reason="needs an NVIDIA GPU with NVML")]


def test_real_snapshot_and_scrape() -> None:
    from isthmus.monitor import Sources, start_server, take_snapshot

    sources = Sources(nvml=pynvml)
    snap = take_snapshot(sources)
    assert snap.devices and not snap.errors
    for d in snap.devices:
        assert d.vendor == "nvidia" and d.uuid.startswith(("GPU-", "MIG-"))
        total = d.value("isthmus_accel_memory_total_bytes")
        used = d.value("isthmus_accel_memory_used_bytes")
        assert total is not None and used is not None and 0 <= used <= total
        util = d.value("isthmus_accel_utilization_ratio")
        assert util is not None and 0 <= util <= 1
        power = d.value("isthmus_accel_power_watts")
        assert power is None or 0 < power < 2000
    server, thread = start_server(lambda: take_snapshot(sources), 0)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert f'uuid="{snap.devices[0].uuid}"' in body and "isthmus_accel_memory_total_bytes{" in body
