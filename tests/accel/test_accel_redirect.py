"""`redirect()`: what is rewritten (only device arguments), what is recorded, and that leaving restores torch."""

from __future__ import annotations

import contextlib
import types
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from isthmus.accel import timing
from isthmus.accel.runner import redirect


def _snapshot() -> dict[str, object]:
    return {
        "Tensor.to": torch.Tensor.__dict__.get("to"),
        "Tensor.cuda": torch.Tensor.__dict__.get("cuda"),
        "Module.to": torch.nn.Module.to,
        "Module.cuda": torch.nn.Module.cuda,
        "zeros": torch.zeros,
        "load": torch.load,
        "autocast": torch.autocast,
        "GradScaler": torch.amp.GradScaler,
        "is_available": torch.cuda.is_available,
        "Event": torch.cuda.Event,
        "cudnn": torch.backends.cudnn,
        "matmul": torch.backends.cuda.matmul,
        "ipg": dist.init_process_group,
        "ddp": DistributedDataParallel.__init__,
        "device": torch.device,
        "amp.autocast": torch.cuda.amp.autocast,
        "torch.Event": torch.Event,
        "torch.Stream": torch.Stream,
        "accelerator.synchronize": torch.accelerator.synchronize,
        "get_device_module": torch.get_device_module,
    }


def test_leaving_restores_everything_even_after_an_error() -> None:
    before, real_answer = _snapshot(), torch.cuda.is_available()  # False on a CPU-only host, True on a CUDA host
    with pytest.raises(ZeroDivisionError), redirect("cpu"):
        assert torch.zeros is not before["zeros"]
        1 / 0  # noqa: B018
    assert _snapshot() == before
    assert torch.cuda.is_available() is real_answer


def test_device_arguments_are_rewritten_and_torch_device_stays_a_type() -> None:
    with redirect("cpu") as log:
        assert isinstance(torch.device, type)
        x = torch.zeros(2, device="cuda")
        y = torch.ones(2).cuda()
        z = torch.ones(2).to("cuda:1", non_blocking=True)
        w = torch.ones(2).to(device=torch.device("cuda", 0))
        m = torch.nn.Linear(2, 2).cuda()
        n = torch.nn.Linear(2, 2).to("cuda")
        p = torch.ones(2).pin_memory()
        assert torch.device("cuda").type == "cuda"  # a device object is only rewritten where it is used
    assert all(t.device.type == "cpu" for t in (x, y, z, w, p, m.weight, n.weight))
    kinds = {r.what: r.count for r in log.records()}
    assert kinds["torch.zeros(device=cuda)"] == 1 and kinds["Tensor.to(cuda)"] == 2
    assert kinds["Tensor.cuda()"] == 1 and kinds["Module.cuda()"] == 1 and kinds["Module.to(cuda)"] == 1
    assert kinds["Tensor.pin_memory()"] == 1
    assert all(r.first_site.startswith("tests/accel/test_accel_redirect.py:") for r in log.records())


def test_strings_that_are_not_device_arguments_are_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cuda"
    with redirect("cpu") as log:
        path.write_text("cuda")
        labels = {"cuda": torch.ones(1).to(torch.float64)}
        text = path.read_text()
    assert text == "cuda" and list(labels) == ["cuda"] and labels["cuda"].dtype == torch.float64
    assert len(log) == 0


def test_events_time_on_the_host_clock_and_cuda_api_maps_to_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1.0, 1.125])  # seconds: the host clock at the two record() calls
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    with redirect("cpu") as log:
        assert torch.cuda.is_available() and torch.cuda.device_count() == 1
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        end.record()
        torch.cuda.synchronize()
        ms = start.elapsed_time(end)
        torch.cuda.manual_seed_all(7)
        a = torch.rand(2)
        torch.cuda.manual_seed(7)
        b = torch.rand(2)
        assert torch.cuda.max_memory_allocated() == 0
        with torch.cuda.stream(torch.cuda.Stream()):
            torch.cuda.nvtx.range_push("x")
            torch.cuda.nvtx.range_pop()
    assert ms == 125.0  # 1.125 s - 1.0 s on the fake clock
    assert torch.equal(a, b)
    assert {"torch.cuda.Event", "torch.cuda.synchronize", "torch.cuda.nvtx.range_push"} <= {
        r.what for r in log.redirected
    }


def test_amp_is_retargeted_and_scaler_keeps_its_type() -> None:
    with redirect("cpu") as log:
        with torch.cuda.amp.autocast(dtype=torch.bfloat16):
            y1 = torch.nn.Linear(4, 4)(torch.ones(2, 4))
        with torch.autocast("cuda", dtype=torch.bfloat16):
            y2 = torch.nn.Linear(4, 4)(torch.ones(2, 4))
        scaler = torch.amp.GradScaler("cuda")
        legacy = torch.cuda.amp.GradScaler(enabled=False)
        assert isinstance(scaler, torch.amp.grad_scaler.GradScaler) and scaler.is_enabled()
        assert not legacy.is_enabled()
    assert y1.dtype == y2.dtype == torch.bfloat16
    whats = {r.what for r in log.records()}
    assert {"torch.cuda.amp.autocast", "torch.autocast('cuda')", "torch.amp.GradScaler('cuda')"} <= whats


def test_backend_flags_are_recorded_no_ops_that_read_back() -> None:
    real = torch.backends.cudnn.benchmark
    with redirect("cpu") as log:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = not real
        import torch.backends.cudnn as cudnn

        assert cudnn.benchmark is (not real) and torch.backends.cudnn.benchmark is (not real)
        torch.backends.cuda.enable_flash_sdp(False)
    assert torch.backends.cudnn.benchmark is real
    kinds = {r.what: r.kind for r in log.records()}
    assert kinds["torch.backends.cudnn.benchmark"] == "no-op"
    assert kinds["torch.backends.cuda.matmul.allow_tf32"] == "no-op"
    assert kinds["torch.backends.cuda.enable_flash_sdp"] == "no-op"


def test_checkpoints_load_with_cuda_map_location(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    torch.save({"w": torch.arange(3)}, path)
    with redirect("cpu") as log:
        loaded = torch.load(path, map_location="cuda:3")
        loaded2 = torch.load(path, map_location={"cuda:0": "cuda:1"})
    assert torch.equal(loaded["w"], torch.arange(3)) and torch.equal(loaded2["w"], torch.arange(3))
    assert "torch.load(map_location=cuda)" in {r.what for r in log.records()}


def test_unmapped_cuda_calls_are_counted_and_passed_through() -> None:
    original = torch.cuda.current_blas_handle
    with redirect("cpu") as log:
        assert torch.cuda.current_blas_handle.__wrapped__ is original  # type: ignore[attr-defined]
        # the real function runs: it fails without a CUDA driver and returns a handle on a CUDA host
        with contextlib.suppress(Exception):
            torch.cuda.current_blas_handle()
    (miss,) = log.unmapped
    assert miss.what == "torch.cuda.current_blas_handle" and miss.count == 1


def test_torch_internals_see_the_real_answer_and_nccl_maps_to_gloo() -> None:
    from isthmus.accel.redirect import RedirectContext, called_from_library  # noqa: F401
    from isthmus.accel.rules_misc import _map_backend

    with redirect("cpu") as log:
        assert torch.cuda.is_available()  # user code: the target is usable
        from torch.amp.grad_scaler import GradScaler

        GradScaler("cpu")
        ctx = RedirectContext.__new__(RedirectContext)
        ctx.log, ctx.indexed, ctx.type = log, False, "cpu"
        ctx.acc = type("A", (), {"dist_backend": "gloo"})()
        assert _map_backend(ctx, "nccl") == "gloo"
        assert _map_backend(ctx, "cpu:gloo,cuda:nccl") == "gloo"
        assert _map_backend(ctx, "gloo") == "gloo"


def test_redirect_rejects_unknown_targets_before_patching() -> None:
    from isthmus.errors import InputError

    before = _snapshot()
    with pytest.raises(InputError), redirect("tpu"):
        pass
    assert _snapshot() == before
