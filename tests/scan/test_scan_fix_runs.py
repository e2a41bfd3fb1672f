"""Safe fixes are proven by running the fixed code (on this CPU host), not only by re-parsing it.

Each program is written the usual CUDA way; plain `--fix` (safe fixes only) rewrites it and the result is
executed with torch. Where the point is what happens on an accelerator that is not CUDA, the accelerator torch
reports is replaced by a stand-in (`meta`, a device type every torch build has), the way torch_npu's would be.
"""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from isthmus.scan import ScanOptions, fix_source

SAFE = ScanOptions()
HERE = getattr(torch.accelerator.current_accelerator(), "type", "cpu")  # "cuda" on a CUDA host: nothing changes there


def _fixed(source: str) -> str:
    result = fix_source(textwrap.dedent(source).encode(), "prog.py", SAFE)
    assert result.error is None and result.changed, result.error
    return result.fixed.decode()


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "prog"}
    exec(compile(source, "prog.py", "exec", dont_inherit=True), namespace)  # our own test program, fixed
    return namespace


@pytest.fixture()
def other_accelerator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """torch reports an available accelerator of another type (as with torch_npu installed)."""
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda *a, **k: torch.device("meta"))
    yield


def test_cuda_of_a_device_object_keeps_the_device() -> None:
    # `.cuda(device)` with a torch.device used to become torch.device(<type>, device): a TypeError on CUDA
    fixed = _fixed(
        """
        import torch
        device = torch.device("cpu")
        m = torch.nn.Linear(2, 2)
        m = m.cuda(device)
        local_rank = 0
        x = torch.ones(2).cuda(local_rank)
        """
    )
    assert ".cuda(" not in fixed
    ns = _run(fixed)
    assert next(ns["m"].parameters()).device == torch.device("cpu")
    assert ns["x"].device.type == HERE


def test_backend_chosen_with_is_available_changes_together(other_accelerator: None) -> None:
    # the fix used to change is_available but keep "nccl": a hard failure where the accelerator is not CUDA
    fixed = _fixed(
        """
        import torch
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        """
    )
    assert "nccl" not in fixed and "torch.cuda" not in fixed
    with pytest.raises(ValueError, match="meta"):  # the accelerator's own backend is asked for, not NCCL
        _run(fixed)


def test_backend_on_this_host() -> None:
    fixed = _fixed('import torch\nbackend = "nccl" if torch.cuda.is_available() else "gloo"\n')
    assert _run(fixed)["backend"] == ("nccl" if HERE == "cuda" else "gloo")


def test_device_type_follows_the_accelerator(other_accelerator: None) -> None:
    # `<accelerator> if 'cuda' in device else 'cpu'` used to give 'cpu' on an NPU
    fixed = _fixed(
        """
        import torch
        device = "cuda"
        device_type = "cuda" if "cuda" in device else "cpu"
        """
    )
    ns = _run(fixed)
    assert ns["device"] == "meta" and ns["device_type"] == "meta"


def test_device_type_on_this_host() -> None:
    ns = _run(_fixed('device = "cuda:0"\ndevice_type = "cuda" if "cuda" in device else "cpu"\n'))
    assert ns["device_type"] == HERE


def test_device_strings_defaults_and_fstrings_run() -> None:
    fixed = _fixed(
        """
        import torch
        def make(n, device: str = "cuda"):
            return torch.zeros(n, device=device)
        a = make(2)
        b = torch.ones(1, device=f"cuda")
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        c = torch.ones(1).to(dev)
        on_gpu = c.device.type == "cuda"
        """
    )
    ns = _run(fixed)
    assert ns["a"].device.type == ns["b"].device.type == ns["c"].device.type == HERE
    assert ns["on_gpu"] is (HERE == "cuda")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not built")
def test_nccl_assigned_then_used_starts_a_process_group() -> None:
    fixed = _fixed(
        f"""
        import torch
        import torch.distributed as dist
        backend = "nccl"
        dist.init_process_group(backend=backend, init_method="tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
        name = dist.get_backend()
        dist.destroy_process_group()
        """
    )
    assert "nccl" not in fixed
    assert _run(fixed)["name"] == ("nccl" if torch.cuda.is_available() else "gloo")
