"""Train the GPT on a text file, the usual CUDA way: DDP over NCCL, AMP, TF32, CUDA events for timing.

    python train.py --config tiny --steps 20
    torchrun --nproc_per_node=8 train.py --config small --steps 2000 --out runs/small
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

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


def get_batch(tokens, batch_size, seq_len, generator):
    ix = torch.randint(len(tokens) - seq_len - 1, (batch_size,), generator=generator)
    x = torch.stack([tokens[i : i + seq_len] for i in ix])
    y = torch.stack([tokens[i + 1 : i + 1 + seq_len] for i in ix])
    # pinned host memory lets the copy overlap with compute
    return x.pin_memory().cuda(non_blocking=True), y.pin_memory().cuda(non_blocking=True)


def main():
    args = parse_args()
    ddp = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if ddp:
        dist.init_process_group(backend="nccl")
        rank, local_rank = dist.get_rank(), int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
    else:
        rank, local_rank = 0, 0
    master = rank == 0

    torch.manual_seed(args.seed)
    torch.cuda.manual_seed_all(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True

    model = build_model(args.config).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    start_step = 0
    if args.resume:
        ckpt = torch.load(args.resume, map_location=f"cuda:{local_rank}")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_step = ckpt["step"]
    if args.compile:
        model = torch.compile(model)
    if ddp:
        model = DDP(model, device_ids=[local_rank])
    raw_model = model.module if ddp else model

    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[args.dtype]
    scaler = torch.cuda.amp.GradScaler(enabled=args.dtype == "float16")
    tokens = load_tokens(args.data)
    gen = torch.Generator().manual_seed(args.seed + rank)

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0 = time.time()
    for step in range(start_step, start_step + args.steps):
        x, y = get_batch(tokens, args.batch_size, args.seq_len, gen)
        start.record()
        with torch.cuda.amp.autocast(dtype=ptdtype, enabled=args.dtype != "float32"):
            _, loss = model(x, y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        end.record()
        torch.cuda.synchronize()
        if master:
            mem = torch.cuda.max_memory_allocated() / 2**20
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
            torch.cuda.empty_cache()
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
