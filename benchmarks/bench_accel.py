"""Overhead of isthmus.accel and of `isthmus run`'s redirection on a training step of tinygpt "small".

Three variants of the same step (same model init, data, autocast setting, AdamW), timed in interleaved rounds so
machine noise hits all of them alike:
  plain      torch written for this device directly (the baseline)
  accel      the step written with isthmus.accel (acc.to_device, acc.autocast, acc.grad_scaler, acc.synchronize)
  redirected the step written CUDA-style (.cuda(), torch.cuda.amp, torch.cuda.synchronize) under redirect()
Prints the median step time of each and the ratios to plain (goal: accel/plain <= 1.02).

    .venv/bin/python benchmarks/bench_accel.py [--steps 10] [--batch 4] [--seq 64] [--device auto] [--dtype ...]

The dtype defaults to bf16 autocast on accelerators and to float32 on the CPU (autocast entered but disabled),
because bf16 on a CPU without native bf16 units is emulated and ~10x slower, which would only add noise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "tinygpt"))
from model import build_model

from isthmus import accel
from isthmus.accel.runner import redirect

Step = Callable[[torch.Tensor, torch.Tensor], None]


def make_model(device: torch.device) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = build_model("small").to(device)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3)


def plain_step(device: torch.device, dtype: torch.dtype) -> Step:
    model, opt = make_model(device)

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        x, y = x.to(device), y.to(device)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step


def accel_step(acc: accel.Accelerator, dtype: torch.dtype) -> Step:
    model, opt = make_model(acc.device())
    scaler = acc.grad_scaler(dtype)

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        x, y = acc.to_device(x), acc.to_device(y)
        with acc.autocast(dtype, enabled=dtype != torch.float32):
            _, loss = model(x, y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        acc.synchronize()

    return step


def cuda_style_step(dtype: torch.dtype) -> Step:
    torch.manual_seed(0)
    model = build_model("small").cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        x, y = x.cuda(non_blocking=True), y.cuda(non_blocking=True)
        with torch.cuda.amp.autocast(dtype=dtype, enabled=dtype != torch.float32):
            _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()

    return step


def timed(step: Step, x: torch.Tensor, y: torch.Tensor) -> float:
    t0 = time.perf_counter()
    step(x, y)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--device", default="auto", help="auto (discovery) or a backend name")
    p.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], default=None)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    acc = accel.get_accelerator(args.device)
    dtype = getattr(torch, args.dtype or ("float32" if acc.device_type == "cpu" else "bfloat16"))
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 8192, (args.batch, args.seq), generator=gen)
    y = torch.randint(0, 8192, (args.batch, args.seq), generator=gen)
    variants: dict[str, Step] = {"plain": plain_step(acc.device(), dtype), "accel": accel_step(acc, dtype)}
    times: dict[str, list[float]] = {name: [] for name in (*variants, "redirected")}
    with redirect(acc.name) as _:
        redirected = cuda_style_step(dtype)
    for i in range(args.warmup + args.steps):
        for name, step in variants.items():
            t = timed(step, x, y)
            if i >= args.warmup:
                times[name].append(t)
        with redirect(acc.name):  # entered and left around every step (a program enters once): a worst case
            t = timed(redirected, x, y)
        if i >= args.warmup:
            times["redirected"].append(t)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(
        f"device: {acc.name} ({acc.device_name()}), torch {torch.__version__}, tinygpt small, "
        f"batch {args.batch} x seq {args.seq}, {dtype}, {args.steps} steps after {args.warmup} warm-up"
    )
    for name, m in med.items():
        print(f"  {name:<10} median {m * 1000:8.2f} ms/step   ratio to plain {m / med['plain']:.3f}")


if __name__ == "__main__":
    main()
