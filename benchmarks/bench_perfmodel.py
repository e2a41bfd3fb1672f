"""Speed of the performance model: one estimate and the 4,096-device layout search, against a closed-form
baseline measured in the same run (nanoGPT-style 6·N·D / (peak x MFU), the cheapest estimate there is).

    .venv/bin/python benchmarks/bench_perfmodel.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from isthmus.plan.perfmodel import TrainLayout, estimate_serve, estimate_train, get_model, resolve_hardware
from isthmus.plan.perfmodel.ask import Question, answer, parse_spec


def median_s(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches (catalogue, model data)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    dense, moe = get_model("llama3-405b"), get_model("deepseek-v3")
    hw = resolve_hardware("dgx-h100")
    peak = hw.peak("bf16") or 1.0

    def baseline() -> float:  # 6ND / (peak * 0.4): no memory, layout or communication
        return 6 * dense.active_params * 16 * 2**20 / (peak * 0.4 * 4096)

    cases: list[tuple[str, Callable[[], object], int]] = [
        ("baseline 6ND closed form", baseline, 2000),
        (
            "serve estimate (llama2-70b, 8 x H100, TPOT<=50ms)",
            lambda: estimate_serve(
                get_model("llama2-70b"), "dgx-h100", 8, precision="fp8", prompt_len=1024, output_len=256, tpot_ms=50
            ),
            50,
        ),
        (
            "serve answer, PD pools + MTP (DeepSeek-R1, 32 x Atlas A3)",
            lambda: answer(
                Question(
                    "serve",
                    "deepseek-r1",
                    "atlas-800t-a3",
                    32,
                    "w8a8",
                    phase="both",
                    prompt_len=3500,
                    output_len=1500,
                    concurrency=600,
                    prefill_devices=16,
                    layout={"tp": 1, "dp_attn": 16},
                    prefill_layout={"tp": 4, "dp_attn": 2},
                    spec=parse_spec("mtp:2:0.7"),
                )
            ),
            50,
        ),
        (
            "train estimate, fixed layout (405B, 4,096 x H100)",
            lambda: estimate_train(dense, "dgx-h100", 4096, seq_len=8192, layout=TrainLayout(8, 16, 32)),
            200,
        ),
        ("train layout search, 4,096 x H100 (405B)", lambda: estimate_train(dense, "dgx-h100", 4096, seq_len=8192), 10),
        (
            "train layout search, 4,096 x CloudMatrix (DeepSeek-V3)",
            lambda: estimate_train(moe, "cloudmatrix-384", 4096, seq_len=4096),
            10,
        ),
    ]
    base = None
    print(f"{'case':58s} {'median':>12s} {'x baseline':>12s}")
    for name, fn, repeat in cases:
        t = median_s(fn, repeat)
        base = base or t
        print(f"{name:58s} {t * 1e3:9.3f} ms {t / base:12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
