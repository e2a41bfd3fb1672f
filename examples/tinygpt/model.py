"""A small GPT in the style of Llama: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU, KV cache.

Written the way CUDA teams write it: flash-attn when it is installed, PyTorch SDPA otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # optional fast path on NVIDIA GPUs
    from flash_attn import flash_attn_func

    HAS_FLASH_ATTN = True
except ImportError:
    flash_attn_func = None
    HAS_FLASH_ATTN = False


@dataclass
class GPTConfig:
    vocab_size: int = 32000
    block_size: int = 2048
    n_layer: int = 12
    n_head: int = 12
    n_kv_head: int = 4
    n_embd: int = 768
    ffn_mult: float = 8 / 3
    rope_theta: float = 10000.0
    dropout: float = 0.0
    norm_eps: float = 1e-5


CONFIGS = {
    "tiny": GPTConfig(vocab_size=256, block_size=64, n_layer=2, n_head=4, n_kv_head=2, n_embd=64),
    "small": GPTConfig(vocab_size=8192, block_size=256, n_layer=6, n_head=8, n_kv_head=4, n_embd=256),
    "gpt-100m": GPTConfig(vocab_size=32000, block_size=1024, n_layer=12, n_head=12, n_kv_head=12, n_embd=768),
}


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # normalise in fp32 for stability, return in the input dtype
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight


def precompute_rope(head_dim: int, max_len: int, theta: float):
    """Rotary frequencies as complex numbers, computed in float64 for accuracy at long context."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    t = torch.arange(max_len, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)
    return torch.polar(torch.ones_like(freqs), freqs).to(torch.complex64)  # (max_len, head_dim/2)


def apply_rope(x, freqs):
    # x: (B, T, H, D) -> pairs of channels rotated as complex numbers
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    out = torch.view_as_real(xc * freqs[None, :, None, :]).flatten(3)
    return out.type_as(x)


class KVCache(nn.Module):
    """Pre-allocated key/value cache for incremental decoding."""

    def __init__(self, batch: int, max_len: int, n_kv_head: int, head_dim: int, dtype, device):
        super().__init__()
        shape = (batch, n_kv_head, max_len, head_dim)
        self.register_buffer("k", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v", torch.zeros(shape, dtype=dtype, device=device), persistent=False)

    def update(self, pos: int, k, v):
        # k, v: (B, H_kv, T, D); returns the cache up to pos + T
        t = k.shape[2]
        self.k[:, :, pos : pos + t] = k
        self.v[:, :, pos : pos + t] = v
        return self.k[:, :, : pos + t], self.v[:, :, : pos + t]


class Attention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head, self.n_kv_head = cfg.n_head, cfg.n_kv_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.wq = nn.Linear(cfg.n_embd, cfg.n_head * self.head_dim, bias=False)
        self.wk = nn.Linear(cfg.n_embd, cfg.n_kv_head * self.head_dim, bias=False)
        self.wv = nn.Linear(cfg.n_embd, cfg.n_kv_head * self.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_head * self.head_dim, cfg.n_embd, bias=False)
        self.dropout = cfg.dropout
        self.cache: KVCache | None = None

    def forward(self, x, freqs, pos: int = 0):
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_head, self.head_dim)
        k = self.wk(x).view(B, T, self.n_kv_head, self.head_dim)
        v = self.wv(x).view(B, T, self.n_kv_head, self.head_dim)
        q, k = apply_rope(q, freqs), apply_rope(k, freqs)

        if HAS_FLASH_ATTN and x.is_cuda and x.dtype in (torch.float16, torch.bfloat16) and self.cache is None:
            y = flash_attn_func(q, k, v, dropout_p=self.dropout if self.training else 0.0, causal=True)
            return self.wo(y.reshape(B, T, -1))

        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        if self.cache is not None:
            k, v = self.cache.update(pos, k, v)
        rep = self.n_head // self.n_kv_head
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=self.cache is None or T > 1, dropout_p=self.dropout if self.training else 0.0
        )
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        hidden = int(cfg.ffn_mult * cfg.n_embd)
        hidden = 64 * math.ceil(hidden / 64)
        self.w1 = nn.Linear(cfg.n_embd, hidden, bias=False)
        self.w3 = nn.Linear(cfg.n_embd, hidden, bias=False)
        self.w2 = nn.Linear(hidden, cfg.n_embd, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, freqs, pos: int = 0):
        x = x + self.attn(self.attn_norm(x), freqs, pos)
        return x + self.mlp(self.mlp_norm(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.n_embd, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # weight tying
        head_dim = cfg.n_embd // cfg.n_head
        self.register_buffer("freqs", precompute_rope(head_dim, cfg.block_size, cfg.rope_theta), persistent=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None, pos: int = 0):
        # idx: (B, T) token ids -> logits (B, T, vocab)
        T = idx.shape[1]
        x = self.tok_emb(idx)
        freqs = self.freqs[pos : pos + T]
        for block in self.blocks:
            x = block(x, freqs, pos)
        logits = self.lm_head(self.norm(x))
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def setup_cache(self, batch: int, max_len: int):
        for block in self.blocks:
            a = block.attn
            a.cache = KVCache(batch, max_len, a.n_kv_head, a.head_dim, self.tok_emb.weight.dtype,
                              self.tok_emb.weight.device)

    def clear_cache(self):
        for block in self.blocks:
            block.attn.cache = None


def build_model(config: GPTConfig | str = "tiny") -> GPT:
    """Factory used by the training script and by tools: a config object or the name of one in CONFIGS."""
    cfg = CONFIGS[config] if isinstance(config, str) else config
    return GPT(cfg)


def tiny():
    """The tiny model and an example batch: small enough for any tool to run it on a CPU in milliseconds."""
    torch.manual_seed(0)
    model = build_model("tiny")
    idx = torch.randint(0, model.cfg.vocab_size, (2, 32))
    return model, (idx,)


def gpt_100m():
    """A ~100M-parameter configuration used by benchmarks (sequence 512)."""
    torch.manual_seed(0)
    model = build_model("gpt-100m")
    idx = torch.randint(0, model.cfg.vocab_size, (1, 512))
    return model, (idx,)
