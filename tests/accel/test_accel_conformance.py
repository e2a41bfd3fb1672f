"""One set of checks over every backend class, with vendor modules stubbed where the hardware is absent."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
import accel_stubs as stubs

from isthmus.accel import timing
from isthmus.accel.cpu import CpuAccelerator
from isthmus.accel.cuda import CudaAccelerator
from isthmus.accel.interface import Accelerator
from isthmus.accel.mps import MpsAccelerator
from isthmus.accel.npu import NpuAccelerator
from isthmus.accel.xpu import XpuAccelerator

BACKENDS: dict[str, tuple[type[Accelerator], tuple[str, ...] | None]] = {
    "cuda": (CudaAccelerator, stubs.CUDA),
    "npu": (NpuAccelerator, stubs.NPU),
    "xpu": (XpuAccelerator, stubs.XPU),
    "mps": (MpsAccelerator, stubs.MPS),
    "cpu": (CpuAccelerator, None),  # the real torch.cpu
}


def make(name: str) -> tuple[Accelerator, Any]:
    cls, names = BACKENDS[name]
    if names is None:
        return cls(), None
    module = stubs.StubModule(f"torch.{cls.device_type}", names)
    return cls(module=module), module


@pytest.mark.parametrize("name", ["cuda", "xpu", "mps"])
def test_stub_names_exist_in_the_real_torch_module(name: str) -> None:
    """The stubs only hold names the real device module has, so the stubs cannot drift from torch."""
    real = getattr(torch, BACKENDS[name][0].device_type)
    missing = [n for n in BACKENDS[name][1] or () if not hasattr(real, n)]
    assert missing == []


@pytest.mark.parametrize("name", list(BACKENDS))
def test_identity(name: str) -> None:
    cls = BACKENDS[name][0]
    assert cls.name == name and cls.device_type and cls.dispatch_key
    assert cls.dist_backend in {"nccl", "hccl", "xccl", "gloo"}
    expected_env = {"npu": "ASCEND_RT_VISIBLE_DEVICES", "xpu": "ZE_AFFINITY_MASK", "mps": None, "cpu": None}
    if name in expected_env:
        assert cls.visible_devices_env == expected_env[name]
    assert {"cuda": "nccl", "npu": "hccl", "xpu": "xccl", "cpu": "gloo"}.get(name, cls.dist_backend) == (
        cls.dist_backend
    )


@pytest.mark.parametrize("name", list(BACKENDS))
def test_device_and_memory(name: str) -> None:
    acc, module = make(name)
    assert isinstance(acc.device_count(), int)
    index = acc.current_device()
    assert isinstance(index, int)
    try:
        dev = acc.device()
    except RuntimeError as e:  # "npu" is a device type only once torch_npu has registered it
        assert name == "npu" and "npu" in str(e)
    else:
        assert isinstance(dev, torch.device) and dev.type == acc.device_type
    acc.synchronize()
    for fn in (acc.memory_allocated, acc.max_memory_allocated, acc.memory_reserved, acc.max_memory_reserved):
        assert isinstance(fn(), int) and fn() >= 0
    acc.reset_peak_memory_stats()
    acc.empty_cache()
    free, total = acc.mem_get_info()
    assert 0 <= free <= total and total > 0
    assert isinstance(acc.device_name(), str)
    if module is not None and name not in ("mps",):
        assert module.called("memory_allocated") and module.called("mem_get_info")


@pytest.mark.parametrize("name", list(BACKENDS))
def test_rng(name: str) -> None:
    acc, module = make(name)
    acc.manual_seed_all(123)
    state = acc.get_rng_state()
    assert isinstance(state, torch.Tensor)
    acc.set_rng_state(state)
    if module is not None:
        assert module.called("manual_seed" if name == "mps" else "manual_seed_all")
        assert module.called("set_rng_state")
    else:  # CPU: the device generator is the host one
        a = torch.rand(3)
        acc.set_rng_state(state)
        assert torch.equal(a, torch.rand(3))


@pytest.mark.parametrize("name", list(BACKENDS))
def test_streams_and_events(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([2.0, 2.25])  # seconds: the host clock at the two record() calls
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    acc, _ = make(name)
    start, end = acc.Event(enable_timing=True), acc.Event(enable_timing=True)
    start.record()
    end.record()
    ms = start.elapsed_time(end)
    # the CPU times on the host clock; the others return their vendor event's answer (the stub's 1.5 ms)
    assert ms == (250.0 if name == "cpu" else stubs.StubEvent().elapsed_time(stubs.StubEvent()))
    stream = acc.Stream()
    with acc.stream(stream):
        pass
    assert acc.current_stream() is not None


@pytest.mark.parametrize("name", list(BACKENDS))
def test_graphs_ranges_and_capabilities(name: str) -> None:
    acc, module = make(name)
    with acc.range("step"):
        pass
    if name == "cuda":
        assert module.nvtx.called("range_push") and module.nvtx.called("range_pop")
    if name == "npu":
        assert ("range_start", ("step",)) in module.calls and ("range_end", (7,)) in module.calls
    if acc.supports_graphs():
        assert acc.graph_class() is stubs.StubGraph
        with acc.graph(acc.graph_class()()):
            pass
    else:
        with pytest.raises(NotImplementedError):
            acc.graph_class()
    for query in (
        acc.supports_bf16,
        acc.supports_fp16,
        acc.supports_fp64,
        acc.supports_tf32,
        acc.supports_triton,
        acc.supports_pin_memory,
    ):
        assert isinstance(query(), bool)
    assert acc.autocast_dtype() == (torch.bfloat16 if acc.supports_bf16() else torch.float16)


def test_npu_hf32_and_fp64_follow_torch_npu() -> None:
    acc, module = make("npu")
    acc.set_allow_tf32(True)
    assert module.matmul.allow_hf32 is True and module.conv.allow_hf32 is True
    assert acc.supports_tf32() and not acc.supports_fp64()


def test_a_wrong_name_fails_against_the_strict_stub() -> None:
    """The mechanism the conformance checks rely on: an undocumented name is an AttributeError."""
    module = stubs.StubModule("torch.npu", stubs.NPU)
    with pytest.raises(AttributeError):
        module.get_device_capability_undocumented()  # type: ignore[attr-defined]


def test_cpu_autocast_and_scaler_run() -> None:
    acc = CpuAccelerator()
    with acc.autocast():
        y = torch.nn.Linear(4, 4)(torch.ones(2, 4))
    assert y.dtype == torch.bfloat16
    assert not acc.grad_scaler().is_enabled()  # bf16 needs no scaling
    assert acc.grad_scaler(torch.float16).is_enabled()
    assert acc.pin_memory(torch.ones(2)).device.type == "cpu"
