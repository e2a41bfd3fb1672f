"""Benchmark: cost of `isthmus parity record` on a ~100M-parameter GPT forward (seq 512), and record size.

Measures, in the same process and on the same inputs, the plain forward (no hooks) and the recorded forward
(hooks, statistics and samples of every module output), alternating the two; prints medians and the ratio
(goal: at most 1.5x) and the size of the record written with default sampling (goal: under 5 MB).

    .venv/bin/python benchmarks/bench_parity.py [--repeats 5] [--seq 512]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seq", type=int, default=512)
    args = parser.parse_args()

    from isthmus.models import load_model
    from isthmus.parity import InputSpec, RecordOptions, record_loaded, save_record
    from isthmus.parity.record import Recorder
    from isthmus.parity.tensorstats import DEFAULT_SAMPLES

    spec = f"{REPO / 'examples/tinygpt/model.py'}:gpt_100m"
    loaded = load_model(spec)
    model = loaded.module.eval()
    idx = torch.randint(0, 32000, (1, args.seq), generator=torch.Generator().manual_seed(0))
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"model: tinygpt gpt-100m, {n_params / 1e6:.1f}M parameters, seq {args.seq}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )

    def plain() -> float:
        t0 = time.perf_counter()
        with torch.no_grad():
            model(idx)
        return time.perf_counter() - t0

    def recorded() -> float:
        rec = Recorder(DEFAULT_SAMPLES, ())
        t0 = time.perf_counter()
        with torch.no_grad(), rec.attach(model, backward=False):
            model(idx)
        return time.perf_counter() - t0

    plain(), recorded()  # warm-up
    base, hooked = [], []
    for _ in range(args.repeats):
        base.append(plain())
        hooked.append(recorded())
    mb, mh = statistics.median(base), statistics.median(hooked)
    print(f"plain forward     median {mb * 1e3:8.1f} ms  ({', '.join(f'{t * 1e3:.0f}' for t in base)})")
    print(f"recorded forward  median {mh * 1e3:8.1f} ms  ({', '.join(f'{t * 1e3:.0f}' for t in hooked)})")
    print(f"ratio recorded/plain: {mh / mb:.3f}  (goal <= 1.5)")

    t0 = time.perf_counter()
    record = record_loaded(loaded, InputSpec(), RecordOptions())  # whole command: checksum, inputs, forward
    with tempfile.TemporaryDirectory() as tmp:
        out = save_record(record, Path(tmp) / "run")
        size = sum(p.stat().st_size for p in out.iterdir())
    total = time.perf_counter() - t0
    print(
        f"record: {len(record.manifest.entries)} tensors, {size / 1e6:.2f} MB with default sampling "
        f"({DEFAULT_SAMPLES} elements per tensor; goal < 5 MB); whole record incl. weight checksum {total:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
