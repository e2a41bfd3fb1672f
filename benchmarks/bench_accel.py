"""Overhead of isthmus.accel and of `isthmus run`'s redirection on a training step of tinygpt "small".

Three variants of the same step (same model init, data, autocast setting, AdamW), timed in interleaved rounds (the
order rotates every round) so machine noise hits all of them alike:
  plain      torch written for this device directly (the baseline)
  accel      the step written with isthmus.accel (acc.to_device, acc.autocast, acc.grad_scaler, acc.synchronize)
  redirected the step written CUDA-style (.cuda(), torch.cuda.amp, torch.cuda.synchronize) under redirect(), timed
             from inside the redirection as a program runs (entering and leaving it, ~7 ms on a CPU, happens once
             per program and is reported apart)
Prints the median step time of each, its ratio to plain, and the median of the per-round ratios (each variant
against the plain step of the same round; goal: <= 1.02). On a busy machine these ratios move by several percent
from run to run, more than the redirection costs, so the benchmark also measures isthmus's own share directly:
the time spent in isthmus's functions and the non-torch functions they call, in a profiled step (`cProfile`;
the profiler's cost per call makes it an upper bound), as a fraction of the median step.

    .venv/bin/python benchmarks/bench_accel.py [--steps 30] [--batch 4] [--seq 64] [--device auto] [--dtype ...]

On the CPU the steps run on one torch thread and are timed by that thread's CPU time (`time.thread_time`), which
other processes on a shared machine do not inflate; on an accelerator, by the wall clock after a synchronize.

The dtype defaults to bf16 autocast on accelerators and to float32 on the CPU (autocast entered but disabled),
because bf16 on a CPU without native bf16 units is emulated and ~10x slower, which would only add noise.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "tinygpt"))
from model import build_model

import isthmus
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


def timed(
    step: Step, x: torch.Tensor, y: torch.Tensor, clock: Callable[[], float], inside: Callable[[], Any] | None
) -> float:
    """One step's time; `inside`: a context entered before the clock starts (the redirection, as a program has it)."""
    with inside() if inside else contextlib.nullcontext():
        t0 = clock()
        step(x, y)
        return clock() - t0


def own_time(step: Step, x: torch.Tensor, y: torch.Tensor, rounds: int) -> float:
    """Seconds per step spent by isthmus itself: the self time of its functions under cProfile, plus the time of
    the non-torch functions they call (the standard library, builtins such as `sys._getframe`)."""
    profile = cProfile.Profile()
    for _ in range(rounds):
        profile.runcall(step, x, y)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    home = str(Path(isthmus.__file__).parent)

    def mine(func: tuple[str, int, str]) -> bool:
        return func[0].startswith(home)

    total = 0.0
    for func, (_, _, self_time, _, callers) in stats.items():
        if mine(func):
            total += self_time
        elif "torch" not in func[0] and "torch" not in func[2]:
            total += sum(edge[3] for caller, edge in callers.items() if mine(caller))
    return total / rounds


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--device", default="auto", help="auto (discovery) or a backend name")
    p.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], default=None)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: 1 on the CPU)")
    args = p.parse_args()
    acc = accel.get_accelerator(args.device)
    on_cpu = acc.device_type == "cpu"
    threads = args.threads if args.threads is not None else (1 if on_cpu else 0)
    if threads:
        torch.set_num_threads(threads)
    # one thread on the CPU: its own CPU time; otherwise the wall clock (the steps end with a synchronize)
    clock = time.thread_time if on_cpu and threads == 1 else time.perf_counter
    dtype = getattr(torch, args.dtype or ("float32" if acc.device_type == "cpu" else "bfloat16"))
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 8192, (args.batch, args.seq), generator=gen)
    y = torch.randint(0, 8192, (args.batch, args.seq), generator=gen)
    variants: dict[str, Step] = {"plain": plain_step(acc.device(), dtype), "accel": accel_step(acc, dtype)}
    times: dict[str, list[float]] = {name: [] for name in (*variants, "redirected")}
    with redirect(acc.name) as _:
        redirected = cuda_style_step(dtype)

    variants["redirected"] = redirected
    contexts = {"redirected": lambda: redirect(acc.name)}
    names = list(variants)
    for i in range(args.warmup + args.steps):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            t = timed(variants[name], x, y, clock, contexts.get(name))
            if i >= args.warmup:
                times[name].append(t)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    paired = {
        name: statistics.median(t / base for t, base in zip(ts, times["plain"], strict=True))
        for name, ts in times.items()
    }
    what = "thread CPU time" if clock is time.thread_time else "wall clock"
    print(
        f"device: {acc.name} ({acc.device_name()}), torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"tinygpt small, batch {args.batch} x seq {args.seq}, {dtype}, {args.steps} steps after {args.warmup} "
        f"warm-up, {what}"
    )
    for name, m in med.items():
        print(
            f"  {name:<10} median {m * 1000:8.2f} ms/step   ratio of medians {m / med['plain']:.3f}   "
            f"median per-round ratio {paired[name]:.3f}"
        )
    print("isthmus's own time per step (its functions and the non-torch calls they make, under cProfile):")

    def entered_each_step(x: torch.Tensor, y: torch.Tensor) -> None:
        with redirect(acc.name):
            redirected(x, y)

    with redirect(acc.name):  # as a program runs: the redirection entered once around all of its steps
        inside = own_time(redirected, x, y, rounds=3)
    for label, mine in (
        ("accel", own_time(variants["accel"], x, y, rounds=3)),
        ("redirected, entered once (as `isthmus run` does)", inside),
        ("redirected, entered and left every step (a worst case)", own_time(entered_each_step, x, y, rounds=3)),
    ):
        print(f"  {label:<58} {mine * 1e6:8.1f} us/step = {mine / med['plain']:.5f} of the plain step")


if __name__ == "__main__":
    main()
