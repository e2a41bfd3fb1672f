"""Under `redirect()`, torch.cuda's classes keep working as classes (exceptions, isinstance, subclassing), device
properties carry the fields CUDA code reads, NPU backend switches are put back, and the shared helpers agree."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
import accel_stubs as stubs

from isthmus._paths import display_path
from isthmus.accel import redirect_log, rules_cuda, rules_misc
from isthmus.accel.cpu import CpuAccelerator
from isthmus.accel.npu import NpuAccelerator
from isthmus.accel.redirect import Patcher, RedirectContext
from isthmus.accel.redirect_log import Redirection, RedirectionLog, redirected_records, unmapped_records
from isthmus.accel.runner import RunResult, redirect
from isthmus.ops import emulate_track

EXCEPTIONS = ("OutOfMemoryError", "AcceleratorError", "CudaError", "DeferredCudaCallError")


def _npu_context(module: Any) -> RedirectContext:
    acc = NpuAccelerator(module=module)
    return RedirectContext(acc, RedirectionLog(acc.name), Patcher())


def test_except_cuda_out_of_memory_catches_under_redirect() -> None:
    real = {name: getattr(torch.cuda, name) for name in EXCEPTIONS if hasattr(torch.cuda, name)}
    with redirect("cpu"):
        try:
            raise torch.OutOfMemoryError("out of memory on the target")
        except torch.cuda.OutOfMemoryError as e:
            caught = e
        assert {name: getattr(torch.cuda, name) for name in real} == real
    assert str(caught) == "out of memory on the target"


def test_redirected_classes_keep_isinstance_and_subclassing() -> None:
    real_event, real_stream = torch.cuda.Event, torch.cuda.Stream
    with redirect("cpu") as log:
        event, stream = torch.cuda.Event(enable_timing=True), torch.cuda.Stream()
        assert isinstance(event, torch.cuda.Event) and isinstance(stream, torch.cuda.Stream)
        assert not isinstance(stream, torch.cuda.Event)
        assert issubclass(torch.cuda.Event, real_event) and issubclass(torch.cuda.Stream, real_stream)
        autocast = torch.cuda.amp.autocast(dtype=torch.bfloat16)
        assert isinstance(autocast, torch.cuda.amp.autocast)
        with torch.cuda.device(0), autocast:
            y = torch.nn.Linear(2, 2)(torch.ones(1, 2))

        class Timer(torch.cuda.Event):  # a user subclass of a redirected class is still a torch.cuda.Event
            pass

        assert issubclass(Timer, real_event)
    assert y.dtype == torch.bfloat16
    assert torch.cuda.Event is real_event and torch.cuda.Stream is real_stream
    counts = {r.what: r.count for r in log.records()}
    assert counts["torch.cuda.Event"] == 1 and counts["torch.cuda.device"] == 1


def test_device_properties_answer_the_fields_cuda_code_reads() -> None:
    cpu = CpuAccelerator()
    with redirect("cpu"):
        props = torch.cuda.get_device_properties(0)
        newer_than_ampere = props.major >= 8
    assert (props.major, props.minor) == (0, 0) and not newer_than_ampere
    assert props.multi_processor_count == os.cpu_count()
    assert props.total_memory == cpu.mem_get_info()[1] and props.name == cpu.device_name()

    module = stubs.StubModule("torch.npu", stubs.NPU)
    npu = rules_cuda._properties(_npu_context(module), "cuda:1")
    assert (npu.major, npu.minor, npu.total_memory) == (9, 0, 4 << 30)  # the stub's major, its memory
    assert ("get_device_properties", (1,)) in module.calls


class _ComputedSwitch:
    """Like torch_npu's `torch.npu.matmul`: `allow_hf32` lives in the backend, not in the object."""

    backend: ClassVar[dict[str, bool]] = {}

    def __getattr__(self, name: str) -> bool:
        return self.backend[name]

    def __setattr__(self, name: str, value: bool) -> None:
        self.backend[name] = value


def test_npu_hf32_switches_are_restored_when_redirection_ends() -> None:
    module = stubs.StubModule("torch.npu", stubs.NPU)
    module.matmul = _ComputedSwitch()
    _ComputedSwitch.backend["allow_hf32"] = False
    ctx = _npu_context(module)
    real_cudnn = torch.backends.cudnn
    rules_misc._install_flags(ctx)
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = True
        assert module.matmul.allow_hf32 is True and module.conv.allow_hf32 is True
    finally:
        ctx.patcher.restore()
    assert module.matmul.allow_hf32 is False and module.conv.allow_hf32 is False
    assert torch.backends.cudnn is real_cudnn
    assert {r.what: r.count for r in ctx.log.records()}["torch.backends.cudnn.allow_tf32"] == 3


@pytest.mark.parametrize(
    ("device", "index"), [(3, 3), ("cuda:2", 2), ("npu:1", 1), ("cuda", 0), (torch.device("cuda", 4), 4), (None, 0)]
)
def test_device_index_reads_every_device_form(device: Any, index: int) -> None:
    assert RedirectContext.device_index(device) == index


def test_counted_records_one_hit_per_call() -> None:
    ctx = RedirectContext(CpuAccelerator(), RedirectionLog("cpu"), Patcher())
    double = ctx.counted("torch.cuda.double", "cpu: double", lambda x: 2 * x)
    assert [double(1), double(2)] == [2, 4]
    ((what, to, count),) = [(r.what, r.to, r.count) for r in ctx.log.records()]
    assert (what, to, count) == ("torch.cuda.double", "cpu: double", 2)


def test_one_path_display_and_one_record_filter_are_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(str(tmp_path / "pkg" / "train.py")) == os.path.join("pkg", "train.py")
    outside = str(tmp_path.parent / "elsewhere.py")
    assert display_path(outside) == outside
    assert redirect_log.display_path is display_path and emulate_track.display_path is display_path

    records = (
        Redirection("torch.cuda.synchronize", "cpu: synchronize", "redirected", 2, "a.py:1"),
        Redirection("torch.cuda.get_device_capability", "(passed through)", "unmapped", 1, "a.py:2"),
        Redirection("torch.backends.cudnn.benchmark", "no-op on cpu", "no-op", 1, "a.py:3"),
    )
    result = RunResult("a.py", (), "cpu", 0, None, 0.0, records, ())
    assert result.redirected == redirected_records(records) == (records[0], records[2])
    assert result.unmapped == unmapped_records(records) == (records[1],)
