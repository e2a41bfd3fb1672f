"""Synthetic inputs for the inference entries: tiny random-weight checkpoints, a synthetic WAV file, a tiny tokenizer.

The checkpoints are built with the materialised snapshot's own model classes (so their layout is exactly what the
script loads) from a fixed seed, in a child process of the same Python (the snapshot's modules never enter the
runner's process):

    python tools/realworld/gen_inference.py {whisper,deepseek} WORKDIR

Nothing is downloaded; every file written here is ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

SEED = 0
SAMPLE_RATE = 16_000  # whisper resamples everything to 16 kHz mono

# whisper: n_audio_ctx is fixed by the 30 s window (3000 mel frames, halved by the stride-2 convolution); n_vocab 51865
# makes `is_multilingual` true (n_vocab >= 51865), so the multilingual tokenizer (99 languages) matches the embedding
WHISPER_DIMS = {
    "n_mels": 80,
    "n_audio_ctx": 1500,
    "n_audio_state": 32,
    "n_audio_head": 2,
    "n_audio_layer": 1,
    "n_vocab": 51865,
    "n_text_ctx": 64,
    "n_text_state": 32,
    "n_text_head": 2,
    "n_text_layer": 1,
}

# DeepSeek-V3 inference/model.py ModelArgs: bf16 (no fp8 kernel runs), two layers (one dense, one MoE), four experts
DEEPSEEK_WORDS = [f"w{i}" for i in range(56)]
DEEPSEEK_SPECIALS = ["<unk>", "<bos>", "<eos>", "<|User|>", "<|Assistant|>", "DeepSeek", ".", "?"]
DEEPSEEK_ARGS = {
    "vocab_size": len(DEEPSEEK_SPECIALS) + len(DEEPSEEK_WORDS),
    "dim": 64,
    "inter_dim": 128,
    "moe_inter_dim": 32,
    "n_layers": 2,
    "n_dense_layers": 1,
    "n_heads": 2,
    "n_routed_experts": 4,
    "n_shared_experts": 1,
    "n_activated_experts": 2,
    "n_expert_groups": 1,
    "n_limited_groups": 1,
    "route_scale": 1.0,
    "q_lora_rank": 0,
    "kv_lora_rank": 32,
    "qk_nope_head_dim": 16,
    "qk_rope_head_dim": 8,
    "v_head_dim": 16,
    "max_batch_size": 4,
    "max_seq_len": 128,
    "dtype": "bf16",
}
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}<|User|> {{ m['content'] }} "
    "{% else %}<|Assistant|> {{ m['content'] }} {{ eos_token }} {% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|Assistant|>{% endif %}"
)


def _child(kind: str, root: Path) -> None:
    subprocess.run([sys.executable, str(Path(__file__).resolve()), kind, str(root)], cwd=root, check=True)


def tones_wav(path: Path, seconds: float = 3.0) -> None:
    """Mono 16-bit PCM at 16 kHz: three tones and a little noise, from a fixed seed."""
    rng = np.random.default_rng(SEED)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (220.0, 440.0, 880.0)) + 0.05 * rng.standard_normal(t.size)
    pcm = (np.clip(signal, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def whisper_tiny(root: Path) -> None:
    """tiny.pt (whisper's checkpoint format: dims and a state dict of plain tensors) and audio.wav."""
    tones_wav(root / "audio.wav")
    _child("whisper", root)


def deepseek_tiny(root: Path) -> None:
    """config.json (ModelArgs), ckpt/ (model0-mp1.safetensors, a word-level tokenizer) and prompts.txt."""
    (root / "config.json").write_text(json.dumps(DEEPSEEK_ARGS, indent=1), encoding="utf-8")
    (root / "prompts.txt").write_text("w1 w2 w3 .\nw7 w11 w13 w17 ?\n", encoding="utf-8")
    ckpt = root / "ckpt"
    ckpt.mkdir(exist_ok=True)
    _tokenizer(ckpt)
    _child("deepseek", root)


def _tokenizer(ckpt: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {tok: i for i, tok in enumerate([*DEEPSEEK_SPECIALS, *DEEPSEEK_WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.add_special_tokens(DEEPSEEK_SPECIALS[:5])
    tok.save(str(ckpt / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "unk_token": "<unk>",
        "model_max_length": DEEPSEEK_ARGS["max_seq_len"],
        "chat_template": CHAT_TEMPLATE,
    }
    (ckpt / "tokenizer_config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")


def _seeded_init(module: object, std: float) -> None:
    """Every floating parameter from one seeded generator (the classes leave some uninitialised: torch.empty)."""
    import torch

    gen = torch.Generator().manual_seed(SEED)
    for name, param in module.named_parameters():  # type: ignore[attr-defined]
        with torch.no_grad():
            if name.endswith("bias"):
                param.zero_()
            elif param.ndim == 1:  # norms
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=gen, dtype=torch.float32) * std)


def _build_whisper(root: Path) -> None:
    import torch

    sys.path.insert(0, str(root))
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**WHISPER_DIMS))
    _seeded_init(model, std=0.5)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save({"dims": dict(WHISPER_DIMS), "model_state_dict": state}, root / "tiny.pt")


def _build_deepseek(root: Path) -> None:
    import torch
    from safetensors.torch import save_model

    sys.path.insert(0, str(root / "inference"))
    from model import ModelArgs, Transformer  # the snapshot's inference/model.py

    torch.set_default_dtype(torch.bfloat16)  # as generate.py builds it
    model = Transformer(ModelArgs(**DEEPSEEK_ARGS))
    _seeded_init(model, std=0.3)
    save_model(model, str(root / "ckpt" / "model0-mp1.safetensors"))


if __name__ == "__main__":
    builders = {"whisper": _build_whisper, "deepseek": _build_deepseek}
    builders[sys.argv[1]](Path(sys.argv[2]).resolve())
