"""Scan throughput on large real corpora: the installed torch package's Python source and transformers.

Measured in one run on the same files: plain `ast.parse` (the floor), `isthmus scan` (process pool and one
process), and cuda-morph's `check` scanner (PyPI `cuda-morph`, package `ascend_compat`; a benchmark-only
dependency, skipped when absent). Prints medians of --runs runs, lines per second and ratios.

    .venv/bin/python benchmarks/bench_scan.py [--runs 3] [--corpus torch|transformers|all]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from isthmus.scan import ScanOptions, scan


def corpus(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec and spec.origin else None


def py_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def timed(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def plain_parse(files: list[str]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        with contextlib.suppress(SyntaxError, ValueError):
            ast.parse(data)


def cuda_morph(files: list[str]) -> Callable[[], object] | None:
    try:
        from ascend_compat.cli._scanner import check_file
    except ImportError:
        return None

    def run() -> None:
        for f in files:
            with contextlib.suppress(Exception):  # its errors are its own; count the time
                check_file(f)

    return run


def bench(name: str, root: Path, runs: int) -> None:
    files = py_files(root)
    lines = sum(Path(f).read_bytes().count(b"\n") for f in files)
    jobs = os.cpu_count() or 1
    print(f"== {name}: {root} ({len(files)} files, {lines:,} lines, {jobs} CPUs, median of {runs})")
    t_ast = timed(lambda: plain_parse(files), runs)
    t_pool = timed(lambda: scan(files, ScanOptions(root=str(root), jobs=jobs)), runs)
    t_one = timed(lambda: scan(files, ScanOptions(root=str(root), jobs=1)), runs)
    result = scan(files, ScanOptions(root=str(root), jobs=jobs))
    rows = [
        ("ast.parse only (1 process)", t_ast),
        (f"isthmus scan ({jobs} processes)", t_pool),
        ("isthmus scan (1 process)", t_one),
    ]
    morph = cuda_morph(files)
    t_morph = timed(morph, runs) if morph else None
    if t_morph is not None:
        rows.append(("cuda-morph check_file (1 process)", t_morph))
    for label, t in rows:
        print(f"  {label:36s} {t:7.2f} s  {lines / t:12,.0f} lines/s")
    print(f"  isthmus findings: {len(result.findings):,}; files not scanned: {len(result.errors)}")
    print(
        f"  ratio to ast.parse (1 process): isthmus 1 process {t_one / t_ast:.2f}x the parse time, "
        f"{jobs} processes {t_pool / t_ast:.2f}x"
    )
    if t_morph is not None:
        print(
            f"  throughput vs cuda-morph: {t_morph / t_pool:.1f}x ({jobs} processes), "
            f"{t_morph / t_one:.1f}x (1 process)"
        )
    else:
        print("  cuda-morph not installed: pip install cuda-morph to compare")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--corpus", choices=["torch", "transformers", "all"], default="all")
    args = p.parse_args()
    for name in ("torch", "transformers"):
        if args.corpus in (name, "all"):
            root = corpus(name)
            if root is None:
                print(f"== {name}: not installed, skipped")
            else:
                bench(name, root, args.runs)


if __name__ == "__main__":
    main()
