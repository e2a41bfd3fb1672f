"""Prometheus exposition: names, labels and units from the schema; `serve` scraped by a real HTTP client."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from monitor_stubs import FakeGpu, fake_nvml, npu_smi_runner, recorded
from prometheus_client.parser import text_string_to_metric_families

from isthmus.monitor import Sources, exposition, start_server, take_snapshot


def _sources() -> Sources:
    return Sources(nvml=fake_nvml([FakeGpu()]), npu_smi=npu_smi_runner({("info",): recorded("npu_smi_info_a3.txt")}))


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def _get(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    hits = [v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items()]
    assert len(hits) == 1, (name, labels, hits)
    return float(hits[0])


def test_exposition_has_one_name_per_metric_for_both_vendors() -> None:
    samples = _samples(exposition(take_snapshot(_sources(), "node-a")))
    gpu = _get(samples, "isthmus_accel_memory_used_bytes", vendor="nvidia", index="0", node="node-a")
    npu = _get(samples, "isthmus_accel_memory_used_bytes", vendor="huawei", index="0.1", model="Ascend910")
    assert gpu == 60 * 2**30 and npu == 46582 * 2**20
    assert _get(samples, "isthmus_accel_ecc_errors_total", vendor="nvidia", type="correctable") == 3
    assert _get(samples, "isthmus_accel_power_watts", vendor="huawei", index="0.0") == 171.3
    # no value for the A3 second chip's power and no NVIDIA health level: absent, not zero
    assert not [k for k in samples if k[0] == "isthmus_accel_power_watts" and ("index", "0.1") in k[1]]
    assert not [k for k in samples if k[0] == "isthmus_accel_health_status" and ("vendor", "nvidia") in k[1]]
    assert _get(samples, "isthmus_accel_read_errors", vendor="huawei", index="1.1") == 0


def test_unreadable_device_raises_the_error_gauge() -> None:
    broken = recorded("npu_smi_info_a3.txt").replace("160.4       40", "160.4       ??", 1)
    snap = take_snapshot(Sources(npu_smi=npu_smi_runner({("info",): broken})), "node-b")
    samples = _samples(exposition(snap))
    assert _get(samples, "isthmus_accel_read_errors", index="1.0") == 1
    assert _get(samples, "isthmus_accel_read_errors", index="1.1") == 0
    assert _get(samples, "isthmus_accel_read_errors", index="0.0") == 0


def test_serve_is_scraped_over_http_on_localhost() -> None:
    scrapes = []

    def take():  # type: ignore[no-untyped-def]
        scrapes.append(1)
        return take_snapshot(_sources(), "node-c")

    server, thread = start_server(take, 0)  # port 0: an ephemeral port, bound to 127.0.0.1 by default
    try:
        assert server.server_address[0] == "127.0.0.1"
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
            body = resp.read().decode()
        with urllib.request.urlopen(url, timeout=5) as resp:
            resp.read()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    samples = _samples(body)
    assert _get(samples, "isthmus_accel_temperature_celsius", vendor="nvidia", node="node-c") == 51
    assert _get(samples, "isthmus_accel_temperature_celsius", vendor="huawei", index="1.1") == 42
    assert len(scrapes) == 2  # every scrape reads fresh telemetry
    assert not thread.is_alive()
