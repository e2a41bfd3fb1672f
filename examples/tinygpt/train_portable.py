"""Train the GPT on a text file on whatever accelerator is present: the same training as train.py, written once
with isthmus.accel instead of torch.cuda (CUDA, Ascend NPU, XPU, MPS or CPU; nccl/hccl/xccl/gloo).

    python train_portable.py --config tiny --steps 20
    torchrun --nproc_per_node=8 train_portable.py --config small --steps 2000 --out runs/small

Same seeds, data order, autocast dtype and printed lines as train.py, so the losses can be compared.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from isthmus import accel
from model import build_model

HERE = Path(__file__).resolve().parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="tiny")
    p.add_argument("--data", default=str(HERE / "model.py"), help="a text file, read as bytes (vocab 256)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--dtype", default="bfloat16", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--out", default=None, help="directory for checkpoints")
    p.add_argument("--resume", default=None, help="checkpoint to resume from")
    return p.parse_args()


def load_tokens(path: str) -> torch.Tensor:
    data = Path(path).read_bytes()
    return torch.tensor(list(data), dtype=torch.long)


def get_batch(acc, tokens, batch_size, seq_len, generator):
    ix = torch.randint(len(tokens) - seq_len - 1, (batch_size,), generator=generator)
    x = torch.stack([tokens[i : i + seq_len] for i in ix])
    y = torch.stack([tokens[i + 1 : i + 1 + seq_len] for i in ix])
    # pinned host memory lets the copy overlap with compute (where the device has pinned memory)
    return acc.to_device(acc.pin_memory(x), non_blocking=True), acc.to_device(acc.pin_memory(y), non_blocking=True)


def main():
    args = parse_args()
    acc = accel.current()
    info = accel.init_distributed(acc)  # picks nccl / hccl / xccl / gloo and sets this rank's device
    ddp = info.world_size > 1
    master = info.is_main

    acc.manual_seed_all(args.seed)
    acc.set_allow_tf32(True)  # TF32 on NVIDIA, HF32 on Ascend, nothing elsewhere

    model = build_model(args.config).to(acc.device())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    start_step = 0
    if args.resume:
        ckpt = torch.load(args.resume, map_location=acc.device())
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_step = ckpt["step"]
    if args.compile:
        model = torch.compile(model)
    if ddp:
        model = DDP(model, device_ids=[info.local_rank] if acc.device_type != "cpu" else None)
    raw_model = model.module if ddp else model

    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[args.dtype]
    scaler = acc.grad_scaler(ptdtype, enabled=args.dtype == "float16")
    tokens = load_tokens(args.data)
    gen = torch.Generator().manual_seed(args.seed + info.rank)

    start, end = acc.Event(enable_timing=True), acc.Event(enable_timing=True)
    t0 = time.time()
    for step in range(start_step, start_step + args.steps):
        x, y = get_batch(acc, tokens, args.batch_size, args.seq_len, gen)
        start.record()
        with acc.autocast(dtype=ptdtype, enabled=args.dtype != "float32"):
            _, loss = model(x, y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        end.record()
        acc.synchronize()
        if master:
            mem = acc.max_memory_allocated() / 2**20
            print(f"step {step:4d} | loss {loss.item():.4f} | {start.elapsed_time(end):.1f} ms | {mem:.0f} MiB")

    if master:
        print(f"done: {args.steps} steps in {time.time() - t0:.1f} s")
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            torch.save(
                {"model": raw_model.state_dict(), "optimizer": optimizer.state_dict(), "step": step + 1},
                out / "ckpt.pt",
            )
            acc.empty_cache()
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
