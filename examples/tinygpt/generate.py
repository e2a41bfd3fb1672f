"""Sample from a trained GPT with a KV cache.

    python generate.py --ckpt runs/small/ckpt.pt --prompt "def " --tokens 200
    python generate.py --fused-norm ...   # use the custom CUDA RMSNorm kernel in csrc/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from model import RMSNorm, build_model

HERE = Path(__file__).resolve().parent


def load_fused_rmsnorm():
    """JIT-compile the CUDA RMSNorm kernel and patch it into RMSNorm.forward."""
    from torch.utils.cpp_extension import load

    ext = load(name="fused_rmsnorm", sources=[str(HERE / "csrc" / "fused_rmsnorm.cu")], verbose=False)

    def forward(self, x):
        return ext.forward(x, self.weight.to(x.dtype), self.eps)

    RMSNorm.forward = forward


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None):
    # idx: (B, T) prompt tokens; decode one token at a time against the KV cache
    B, T = idx.shape
    model.setup_cache(B, T + max_new_tokens)
    logits = model(idx, pos=0)[:, -1, :]
    for i in range(max_new_tokens):
        logits = logits / max(temperature, 1e-5)
        if top_k is not None:
            v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float("inf")
        probs = torch.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1)
        idx = torch.cat([idx, nxt], dim=1)
        logits = model(nxt, pos=T + i)[:, -1, :]
    model.clear_cache()
    return idx


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="tiny")
    p.add_argument("--ckpt", default=None)
    p.add_argument("--prompt", default="def ")
    p.add_argument("--tokens", type=int, default=100)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fused-norm", action="store_true")
    args = p.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    if args.fused_norm:
        load_fused_rmsnorm()
    model = build_model(args.config)
    if args.ckpt:
        ckpt = torch.load(args.ckpt, map_location=device)
        model.load_state_dict(ckpt["model"])
    model = model.to(device).eval()
    if device == "cuda" and torch.cuda.is_bf16_supported():
        model = model.to(torch.bfloat16)

    prompt = torch.tensor([list(args.prompt.encode())], dtype=torch.long, device=device)
    out = generate(model, prompt, args.tokens, args.temperature, args.top_k)
    print(bytes(out[0].tolist()).decode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
