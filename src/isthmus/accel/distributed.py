"""`init_distributed()`: read torchrun's environment, pick the collective backend for the device, set the device.

torchrun (and most launchers) export RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; the collective
backend follows the device (nccl on CUDA, hccl on Ascend, xccl on Intel GPUs, gloo on the CPU), so the same call
works in every region.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import torch

from isthmus.errors import InputError

if TYPE_CHECKING:
    from isthmus.accel.interface import Accelerator


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job."""

    rank: int
    world_size: int
    local_rank: int
    backend: str | None  # None when no process group was created (single process)
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise InputError(f"{name}={raw!r} is not an integer", hint="launch with torchrun or fix the variable") from e


def init_distributed(
    accelerator: Accelerator | None = None,
    backend: str | None = None,
    timeout_s: float | None = None,
) -> DistInfo:
    """Create the process group from torchrun's environment (WORLD_SIZE > 1) and select this rank's device.

    Single-process runs create no group and return rank 0 of 1. `backend` overrides the device's default.
    """
    from isthmus import accel as _accel

    acc = accelerator or _accel.current()
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world:
        raise InputError(f"inconsistent torchrun environment: RANK={rank} WORLD_SIZE={world}")
    acc.on_init_distributed(local_rank)
    device = acc.device()
    if world == 1:
        return DistInfo(rank, world, local_rank, None, device)
    for var in ("MASTER_ADDR", "MASTER_PORT"):
        if not os.environ.get(var):
            raise InputError(f"{var} is not set but WORLD_SIZE={world}", hint="launch with torchrun")
    import torch.distributed as dist

    chosen = backend or acc.dist_backend
    if not dist.is_initialized():
        timeout = timedelta(seconds=timeout_s) if timeout_s else None
        dist.init_process_group(backend=chosen, init_method="env://", rank=rank, world_size=world, timeout=timeout)
    return DistInfo(rank, world, local_rank, chosen, device)
