"""`isthmus ops --train` and `isthmus emulate --train` on real model definitions, and the table in docs/ops.md.

Every model here is someone else's definition: Hugging Face transformers classes built offline from tiny configs
(no download, random weights), torch's own nn.LSTM / nn.GRU / nn.Transformer, and CNNs laid out as in their papers
(LeNet-5, AlexNet, VGG-11, ResNet-18 basic blocks, MobileNetV2 inverted residuals) from torch.nn layers. Each
function below is a model factory (`benchmarks/real_models.py:llama` works as MODEL on the command line).

    .venv/bin/python benchmarks/real_models.py [--target ascend-910b] [--only llama,gpt2] [--markdown]

Prints per model: calls (ops), native % (ops), the problem operators of `ops` and of `emulate` (fallback,
unsupported, unverified), whether both agree, and the evidence of every problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

_LM = {"vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128}  # fmt: skip
SEQ = 8


def _ids(vocab: int = 128) -> torch.Tensor:
    return torch.randint(0, vocab, (1, SEQ), generator=torch.Generator().manual_seed(0))


def _hf(model_type: str, auto: str = "AutoModelForCausalLM", **kw: Any) -> nn.Module:
    import transformers

    config = transformers.AutoConfig.for_model(model_type, **kw)
    config._attn_implementation = "sdpa" if model_type not in ("mamba",) else None
    module: nn.Module = getattr(transformers, auto).from_config(config)
    return module


def llama() -> Any:
    return _hf("llama", **_LM), (_ids(),)


def llama31() -> Any:  # Llama 3.1 RoPE scaling
    rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 32, "rope_theta": 500000.0}  # fmt: skip
    return _hf("llama", **_LM, rope_scaling=rope), (_ids(),)


def qwen2() -> Any:
    return _hf("qwen2", **_LM), (_ids(),)


def qwen3() -> Any:
    return _hf("qwen3", **_LM, head_dim=16), (_ids(),)


def mixtral() -> Any:
    return _hf("mixtral", **_LM, num_local_experts=4, num_experts_per_tok=2), (_ids(),)


def deepseek_v2() -> Any:
    kw = {**_LM, "moe_intermediate_size": 32, "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2,
          "first_k_dense_replace": 1, "kv_lora_rank": 16, "q_lora_rank": 24, "qk_rope_head_dim": 8,
          "qk_nope_head_dim": 8, "v_head_dim": 16, "topk_method": "greedy", "n_group": 1, "topk_group": 1}  # fmt: skip
    return _hf("deepseek_v2", **kw), (_ids(),)


def deepseek_v3() -> Any:
    kw = {**_LM, "moe_intermediate_size": 32, "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2,
          "first_k_dense_replace": 1, "kv_lora_rank": 16, "q_lora_rank": 24, "qk_rope_head_dim": 8,
          "qk_nope_head_dim": 8, "v_head_dim": 16, "n_group": 2, "topk_group": 1}  # fmt: skip
    return _hf("deepseek_v3", **kw), (_ids(),)


def gemma() -> Any:
    return _hf("gemma", **_LM, head_dim=16), (_ids(),)


def phi3() -> Any:
    return _hf("phi3", **_LM, pad_token_id=0), (_ids(),)


def gpt2() -> Any:
    return _hf("gpt2", vocab_size=128, n_embd=64, n_layer=2, n_head=4, n_positions=64), (_ids(),)


def bert() -> Any:
    kw = {"vocab_size": 128, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
          "num_attention_heads": 4, "max_position_embeddings": 64}  # fmt: skip
    return _hf("bert", "AutoModelForMaskedLM", **kw), (_ids(),)


def t5() -> Any:
    kw = {"vocab_size": 128, "d_model": 64, "d_kv": 16, "d_ff": 128, "num_layers": 2, "num_heads": 4,
          "decoder_start_token_id": 0}  # fmt: skip
    ids = _ids()
    return _hf("t5", "AutoModelForSeq2SeqLM", **kw), (ids, None, ids)


def vit() -> Any:
    kw = {"image_size": 32, "patch_size": 8, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_labels": 10}  # fmt: skip
    return _hf("vit", "AutoModelForImageClassification", **kw), (torch.randn(1, 3, 32, 32),)


def whisper() -> Any:
    kw = {"vocab_size": 128, "d_model": 64, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4,
          "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "num_mel_bins": 16,
          "max_source_positions": 16, "max_target_positions": 32, "decoder_start_token_id": 0,
          "pad_token_id": 0}  # fmt: skip
    features = torch.randn(1, 16, 32)
    return _hf("whisper", "AutoModelForSpeechSeq2Seq", **kw), (features, None, _ids())


def mamba() -> Any:
    kw = {"vocab_size": 128, "hidden_size": 64, "state_size": 8, "num_hidden_layers": 2, "expand": 2,
          "conv_kernel": 4, "use_mambapy": False}  # fmt: skip
    return _hf("mamba", **kw), (_ids(),)


class _RnnLM(nn.Module):
    """The word-level language model of pytorch/examples (embedding, 2-layer RNN, decoder)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.encoder = nn.Embedding(128, 32)
        self.rnn = getattr(nn, kind)(32, 32, 2, dropout=0.2)
        self.decoder = nn.Linear(32, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.encoder(x))
        return self.decoder(out)  # type: ignore[no-any-return]


def lstm_lm() -> Any:
    return _RnnLM("LSTM"), (torch.randint(0, 128, (SEQ, 2)),)


def gru_lm() -> Any:
    return _RnnLM("GRU"), (torch.randint(0, 128, (SEQ, 2)),)


class _Seq2Seq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.model = nn.Transformer(32, 4, 2, 2, 64, batch_first=True)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.model(src, tgt, tgt_mask=mask, tgt_is_causal=True)  # type: ignore[no-any-return]


def transformer() -> Any:
    return _Seq2Seq(), (torch.randn(2, SEQ, 32), torch.randn(2, SEQ, 32))


def lenet5() -> Any:  # LeCun et al. 1998: conv 6@5x5, pool, conv 16@5x5, pool, 120, 84, 10 (tanh)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip
    return net, (torch.randn(2, 1, 28, 28),)


def alexnet() -> Any:  # Krizhevsky et al. 2012 layout (narrowed), LRN and dropout included
    net = nn.Sequential(
        nn.Conv2d(3, 16, 11, 4, 2), nn.ReLU(), nn.LocalResponseNorm(5), nn.MaxPool2d(3, 2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5), nn.MaxPool2d(3, 2),
        nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.Conv2d(48, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip
    return net, (torch.randn(2, 3, 127, 127),)


def vgg11() -> Any:  # Simonyan & Zisserman 2014, configuration A (narrowed), batch norm variant
    layers: list[nn.Module] = []
    c = 3
    for v in (8, "M", 16, "M", 32, 32, "M", 64, 64, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, int(v), 3, padding=1), nn.BatchNorm2d(int(v)), nn.ReLU()]
            c = int(v)
    net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 2 * 2, 10))
    return net, (torch.randn(2, 3, 32, 32),)


class _Basic(nn.Module):
    """He et al. 2015, basic block with projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if (
            stride != 1 or cin != cout) else nn.Identity()  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.down(x))


def resnet18() -> Any:
    blocks = [_Basic(8, 8, 1), _Basic(8, 8, 1), _Basic(8, 16, 2), _Basic(16, 16, 1), _Basic(16, 32, 2)]
    net = nn.Sequential(
        nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1), *blocks,
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),
    )  # fmt: skip
    return net, (torch.randn(2, 3, 64, 64),)


class _Inverted(nn.Module):
    """Sandler et al. 2018: expand 1x1, depthwise 3x3, project 1x1, ReLU6, residual when shapes match."""

    def __init__(self, c: int, expand: int) -> None:
        super().__init__()
        h = c * expand
        self.body = nn.Sequential(
            nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, h, 3, 1, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # type: ignore[no-any-return]


def mobilenet_v2() -> Any:
    net = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6(), _Inverted(16, 6), _Inverted(16, 6),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))  # fmt: skip
    return net, (torch.randn(2, 3, 32, 32),)


MODELS: dict[str, Callable[[], Any]] = {
    "llama": llama, "llama31": llama31, "qwen2": qwen2, "qwen3": qwen3, "mixtral": mixtral,
    "deepseek_v2": deepseek_v2, "deepseek_v3": deepseek_v3, "gemma": gemma, "phi3": phi3,
    "gpt2": gpt2, "bert": bert, "t5": t5, "vit": vit, "whisper": whisper, "mamba": mamba, "lstm_lm": lstm_lm,
    "gru_lm": gru_lm, "transformer": transformer, "lenet5": lenet5, "alexnet": alexnet, "vgg11": vgg11,
    "resnet18": resnet18, "mobilenet_v2": mobilenet_v2,
}  # fmt: skip
_BAD = ("fallback", "unsupported", "unverified")


def row(name: str, target: str) -> tuple[list[str], list[str]]:
    """(table cells, evidence lines) for one model."""
    from isthmus.ops.emulate_run import emulate_model
    from isthmus.ops.inventory import inventory

    spec = f"{__file__}:{name}"
    try:
        inv = inventory(spec, [target], train=True)
    except Exception as e:  # the table reports it instead of stopping
        return [name, "-", "-", f"ops failed: {type(e).__name__}: {str(e)[:80]}", "-", "-", "-"], []
    summary = inv.summaries[0]
    ops_bad = {r.op: r.on(target) for r in inv.rows if r.on(target).status in _BAD}
    outcome = emulate_model(spec, target, train=True)
    emu_bad = {f.op: f for f in outcome.report.findings if f.kind in _BAD}
    crash = f"crashed: {outcome.error!r}"[:80] if outcome.error is not None else ""
    agree = "yes" if set(ops_bad) == set(emu_bad) and not crash else "no"
    ops_txt = ", ".join(f"{op.removeprefix('aten::')} ({s.status})" for op, s in sorted(ops_bad.items())) or "none"
    emu_txt = ", ".join(f"{op.removeprefix('aten::')} ({f.kind})" for op, f in sorted(emu_bad.items())) or "none"
    cells = [name, str(summary.calls), f"{summary.native_pct:.1f}", ops_txt, emu_txt + (f"; {crash}" if crash else ""),
             agree, inv.capture.device]  # fmt: skip
    evidence = [f"{name}: {op.removeprefix('aten::')}: {s.evidence} [decided by: {s.source}]"
                for op, s in sorted(ops_bad.items())]  # fmt: skip
    evidence += [f"{name}: {op.removeprefix('aten::')} (emulate only): {f.note}"
                 for op, f in sorted(emu_bad.items()) if op not in ops_bad]  # fmt: skip
    return cells, evidence


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="ascend-910b")
    p.add_argument("--only", help="comma-separated model names")
    args = p.parse_args(argv)
    names = args.only.split(",") if args.only else list(MODELS)
    head = ["model", "calls", "native %", "ops: problems", "emulate: problems", "agree", "captured on"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    evidence: list[str] = []
    for name in names:
        cells, ev = row(name, args.target)
        print("| " + " | ".join(cells) + " |", flush=True)
        evidence += ev
    print("\nEvidence per problem:\n")
    for line in dict.fromkeys(evidence):
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
