"""Overhead of `isthmus emulate`: forward + backward of the ~100M-parameter tinygpt (`gpt_100m`, sequence 512)
on the CPU, plain vs under `emulation("ascend-910b")` vs with `numerics=True` (fp16 compute dtype).

Runs are interleaved (plain, emulated, numerics, plain, ...) so machine load hits all three alike; prints
medians and the ratios to plain (goals: emulated <= 1.3, numerics <= 2.0).

    .venv/bin/python benchmarks/bench_emulate.py [--reps 5] [--seq 512] [--threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "tinygpt"))

from model import build_model  # noqa: E402

from isthmus.ops.emulate import emulation  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--config", default="gpt-100m")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(args.config)
    idx = torch.randint(0, model.cfg.vocab_size, (1, args.seq))
    params = sum(p.numel() for p in model.parameters())

    def step() -> None:
        logits = model(idx)
        logits.float().mean().backward()
        model.zero_grad(set_to_none=True)

    modes: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] = {
        "plain": contextlib.nullcontext,
        "emulated": lambda: emulation("ascend-910b", root=model),
        "numerics": lambda: emulation("ascend-910b", root=model, numerics=True, compute_dtype=torch.float16),
    }
    times: dict[str, list[float]] = {k: [] for k in modes}
    for mode in modes.values():  # warm-up: allocator, registry load, first-call caches
        with mode():
            step()
    for _ in range(args.reps):
        for name, mode in modes.items():
            with mode():
                t0 = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["plain"])
    print(f"tinygpt {args.config} ({params / 1e6:.0f}M params), forward+backward, batch 1 x seq {args.seq}, "
          f"{torch.get_num_threads()} threads, {args.reps} interleaved reps")  # fmt: skip
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:9} median {med * 1e3:8.1f} ms  (min {min(ts) * 1e3:7.1f})  ratio {med / base:5.2f}")


if __name__ == "__main__":
    main()
