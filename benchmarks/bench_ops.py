"""Benchmark `isthmus ops` on Llama-3-70B- and 405B-shaped configs (config only, meta tensors).

Each measurement runs in a fresh subprocess so its peak RSS is its own. Per config it reports the median over
runs of: building the model on meta, a plain forward on meta (the baseline), the full inventory (capture +
checks on cuda and ascend-910b), the ratio inventory / baseline, and the child's peak RSS.

Run: .venv/bin/python benchmarks/bench_ops.py [--runs 3] [--train]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

LLAMA3_70B = {"hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64,
              "num_key_value_heads": 8}  # fmt: skip
LLAMA3_405B = {"hidden_size": 16384, "intermediate_size": 53248, "num_hidden_layers": 126,
               "num_attention_heads": 128, "num_key_value_heads": 8}  # fmt: skip
COMMON = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256,
          "max_position_embeddings": 8192, "rope_theta": 500000.0, "attn_implementation": "sdpa"}  # fmt: skip

CHILD = r"""
import json, resource, sys, time
import torch
from isthmus.models import load_model, make_inputs
from isthmus.ops.inventory import inventory
spec, train = sys.argv[1], sys.argv[2] == "1"
t0 = time.perf_counter()
loaded = load_model(spec, device="meta")
inputs = make_inputs(loaded, (1, 2048), None, 0, device="meta")
t1 = time.perf_counter()
with torch.no_grad():
    loaded.module(*inputs)
t2 = time.perf_counter()
inv = inventory(spec, ["cuda", "ascend-910b"], input_shape=(1, 2048), train=train)
t3 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"build_s": t1 - t0, "plain_s": t2 - t1, "inventory_s": t3 - t2, "rss_mb": rss,
                  "calls": inv.capture.calls, "ops": len(inv.rows), "params": inv.capture.parameters}))
"""


def measure(spec: str, train: bool) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, spec, "1" if train else "0"], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="isthmus ops on 70B/405B-shaped configs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="also capture backward and the optimizer step")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, shape in (("llama3-70b", LLAMA3_70B), ("llama3-405b", LLAMA3_405B)):
            d = Path(tmp) / name
            d.mkdir()
            (d / "config.json").write_text(json.dumps({**COMMON, **shape}))
            runs = [measure(str(d), args.train) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(
                f"{name}: {med['params'] / 1e9:.1f}B params, {int(med['ops'])} operators, {int(med['calls'])} calls "
                f"(seq 2048{', train' if args.train else ''}); median of {args.runs}: build {med['build_s']:.2f} s, "
                f"plain meta forward {med['plain_s']:.2f} s, "
                f"inventory (load + capture + checks) {med['inventory_s']:.2f} s "
                f"(x{med['inventory_s'] / med['plain_s']:.1f} the plain forward), peak RSS {med['rss_mb']:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
