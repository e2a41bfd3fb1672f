"""init_distributed() with two real processes over gloo, running CUDA-style DDP code under `isthmus run`
(one 2-process test: the processes are the expensive part)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = """
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from isthmus import accel
info = accel.init_distributed(accel.get_accelerator("cpu"), timeout_s=30)
torch.cuda.set_device(info.local_rank)
group = dist.new_group(backend="nccl")
model = DDP(torch.nn.Linear(2, 1).cuda(), device_ids=[info.local_rank])
model(torch.ones(1, 2).cuda()).sum().backward()
t = torch.tensor([float(info.rank + 1)]).cuda()
dist.all_reduce(t, group=group)
print(f"rank={info.rank} world={info.world_size} backend={info.backend} device={info.device} sum={t.item()}")
dist.destroy_process_group()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(cmd: list[str], cwd: Path, world: int = 2) -> list[subprocess.CompletedProcess[str]]:
    port = _free_port()
    procs = []
    for rank in range(world):
        env = {
            **os.environ,
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_WORLD_SIZE": str(world),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "OMP_NUM_THREADS": "1",
        }
        procs.append(subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


@pytest.mark.slow
def test_two_processes_gloo_under_isthmus_run(tmp_path: Path) -> None:
    """init_distributed() over gloo with 2 real processes; nccl, set_device and DDP device_ids are redirected."""
    (tmp_path / "worker.py").write_text(WORKER)
    cmd = [sys.executable, "-m", "isthmus", "run", "--report", str(tmp_path / "r.json"), "worker.py"]
    results = _launch(cmd, tmp_path)
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]
    lines = sorted(r.stdout.strip() for r in results)
    assert lines == ["rank=0 world=2 backend=gloo device=cpu sum=3.0", "rank=1 world=2 backend=gloo device=cpu sum=3.0"]
    text = results[0].stderr
    assert "init_process_group(backend='nccl')" in text and "backend='gloo'" in text
    assert "DistributedDataParallel(device_ids=...)" in text and "torch.cuda.set_device" in text
    assert (tmp_path / "r.json").is_file()  # both ranks write it atomically: a whole report is there


FSDP_WORKER = """
import torch, torch.distributed as dist
from torch.distributed.fsdp import FullStateDictConfig, FullyShardedDataParallel as FSDP, StateDictType
dist.init_process_group("nccl")
torch.cuda.set_device(dist.get_rank())
torch.manual_seed(0)
model = FSDP(torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Linear(16, 1)), device_id=dist.get_rank())
model(torch.ones(2, 8).cuda()).sum().backward()
config = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, config):
    state = model.state_dict()
print(f"rank={dist.get_rank()} tensors={len(state)} numel={sum(v.numel() for v in state.values())}")
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_fsdp_on_two_processes_under_isthmus_run(tmp_path: Path) -> None:
    """FSDP with a CUDA device index shards over gloo, and the full state dict that asks for CPU offload gathers
    every parameter on rank 0 (instead of reading storage that FSDP has freed)."""
    (tmp_path / "worker.py").write_text(FSDP_WORKER)
    results = _launch([sys.executable, "-m", "isthmus", "run", "worker.py"], tmp_path)
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]
    assert sorted(r.stdout.strip() for r in results) == ["rank=0 tensors=4 numel=161", "rank=1 tensors=0 numel=0"]
    assert "FullyShardedDataParallel(device_id=cuda)" in results[0].stderr


def test_single_process_creates_no_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from isthmus import accel

    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info = accel.init_distributed(accel.get_accelerator("cpu"))
    assert (info.rank, info.world_size, info.backend, info.is_main) == (0, 1, None, True)
    monkeypatch.setenv("WORLD_SIZE", "two")
    from isthmus.errors import InputError

    with pytest.raises(InputError, match="WORLD_SIZE"):
        accel.init_distributed(accel.get_accelerator("cpu"))
