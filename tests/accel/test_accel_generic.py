"""The device-generic APIs that `isthmus scan --fix` writes (`torch.accelerator`, `torch.Event`/`torch.Stream`,
`torch.get_device_module`) work under `redirect("cpu")` on a host without an accelerator, and are recorded."""

from __future__ import annotations

import types

import pytest
import torch

from isthmus.accel import timing
from isthmus.accel.runner import redirect

NO_ACCELERATOR = torch.accelerator.current_accelerator() is None


@pytest.mark.skipif(not NO_ACCELERATOR, reason="the host has an accelerator: torch.accelerator works natively")
def test_accelerator_api_events_and_device_module_work_on_the_cpu_target(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 10.5])  # seconds: the host clock at the two record() calls
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    with pytest.raises(RuntimeError, match="accelerator"):
        torch.accelerator.synchronize()  # what upstream torch does on this host, outside the redirection
    real_event = torch.Event
    with redirect("cpu") as log:
        start, end = torch.Event(enable_timing=True), torch.Event(enable_timing=True)
        assert isinstance(start, torch.Event)
        stream = torch.Stream()
        with stream:
            start.record(stream)
            end.record()
        torch.accelerator.synchronize()
        ms = start.elapsed_time(end)
        torch.accelerator.set_device_index(0)
        with torch.accelerator.device_index(0):
            index = torch.accelerator.current_device_index()
        counters = (
            torch.accelerator.memory_allocated(),
            torch.accelerator.max_memory_allocated(),
            torch.accelerator.memory_stats()["allocated_bytes.all.peak"],
        )
        torch.accelerator.reset_peak_memory_stats()
        torch.accelerator.empty_cache()
        mod = torch.get_device_module()
        mod.synchronize()
        peak = mod.max_memory_allocated()
        assert isinstance(mod.Event(enable_timing=True), torch.Event)
        assert mod.is_available() is torch.cpu.is_available()  # everything else is torch.cpu's own
        pinned = torch.ones(2)
        assert pinned.pin_memory() is pinned
        assert not torch.accelerator.is_available()  # torch's real answer: the CPU is no accelerator to torch
    assert ms == 500.0  # 10.5 s - 10.0 s on the fake clock
    assert index == 0 and counters == (0, 0, 0) and peak == 0
    assert torch.Event is real_event
    with pytest.raises(RuntimeError, match="accelerator"):
        torch.accelerator.synchronize()  # restored
    whats = {r.what: r for r in log.redirected}
    expected = {
        "torch.Event",
        "torch.Stream",
        "torch.accelerator.synchronize",
        "torch.accelerator.set_device_index",
        "torch.accelerator.current_device_index",
        "torch.accelerator.max_memory_allocated",
        "torch.accelerator.empty_cache",
        "torch.get_device_module()",
        "torch.get_device_module().max_memory_allocated",
        "Tensor.pin_memory()",
    }
    assert expected <= set(whats), expected - set(whats)
    assert whats["torch.Event"].count == 3 and "test_accel_generic.py:" in whats["torch.Event"].first_site


def test_nothing_is_patched_when_torch_accelerator_is_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda check_available=False: torch.device("cpu"))
    real = (torch.Event, torch.Stream, torch.accelerator.synchronize, torch.get_device_module)
    with redirect("cpu") as log:
        assert (torch.Event, torch.Stream, torch.accelerator.synchronize, torch.get_device_module) == real
    assert not [r for r in log.records() if "accelerator" in r.what or r.what.startswith("torch.Event")]


def test_cpu_autocast_by_device_type_is_left_to_torch() -> None:
    with redirect("cpu") as log, torch.amp.autocast(device_type="cpu", dtype=torch.bfloat16):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.bfloat16 and not log.records()
