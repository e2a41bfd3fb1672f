"""Synthetic inputs for the inference entries: tiny random-weight checkpoints, a synthetic WAV file, a tiny tokenizer.

The checkpoints are built with the materialised snapshot's own model classes (so their layout is exactly what the
script loads) from a fixed seed, in a child process of the same Python (the snapshot's modules never enter the
runner's process):

    python tools/realworld/gen_inference.py whisper WORKDIR
    python tools/realworld/gen_inference.py deepseek WORKDIR MODEL_PARALLEL

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


def _child(kind: str, root: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(Path(__file__).resolve()), kind, str(root), *extra], cwd=root, check=True)


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


def deepseek_tiny(root: Path, model_parallel: int = 1, dtype: str = "bf16") -> None:
    """config.json (ModelArgs), ckpt/ (model0-mp1.safetensors, a word-level tokenizer) and prompts.txt."""
    (root / "config.json").write_text(json.dumps({**DEEPSEEK_ARGS, "dtype": dtype}, indent=1), encoding="utf-8")
    (root / "prompts.txt").write_text("w1 w2 w3 .\nw7 w11 w13 w17 ?\n", encoding="utf-8")
    ckpt = root / "ckpt"
    ckpt.mkdir(exist_ok=True)
    _tokenizer(ckpt)
    _child("deepseek", root, str(model_parallel))


def deepseek_tiny_mp2(root: Path) -> None:
    """As `deepseek_tiny`, with the same weights split for two model-parallel ranks (model{0,1}-mp2.safetensors)."""
    deepseek_tiny(root, model_parallel=2)


def deepseek_tiny_fp8(root: Path) -> None:
    """As `deepseek_tiny` in fp8: float8_e4m3fn linear weights with their block scales (all 1), which the model
    dequantises with its Triton kernel."""
    deepseek_tiny(root, dtype="fp8")


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


def _seeded_init(module: object, std: float, fp8_grid: bool = False) -> None:
    """Every floating parameter from one seeded generator (the classes leave some uninitialised: torch.empty).
    `fp8_grid`: matrices take only values float8_e4m3fn holds, so a bf16 model and its fp8 twin (scales 1) compute
    the same numbers."""
    import torch

    gen = torch.Generator().manual_seed(SEED)
    for name, param in module.named_parameters():  # type: ignore[attr-defined]
        with torch.no_grad():
            if name.endswith("bias"):
                param.zero_()
            elif param.ndim == 1 or name.endswith(".scale"):  # norms, fp8 block scales
                param.fill_(1.0)
            else:
                values = torch.randn(param.shape, generator=gen, dtype=torch.float32) * std
                param.copy_(values.to(torch.float8_e4m3fn).float() if fp8_grid else values)


def _build_whisper(root: Path) -> None:
    import torch

    sys.path.insert(0, str(root))
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**WHISPER_DIMS))
    _seeded_init(model, std=0.5)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save({"dims": dict(WHISPER_DIMS), "model_state_dict": state}, root / "tiny.pt")


class _Rank:
    """What inference/model.py asks torch.distributed while it sizes its shards (no process group is needed)."""

    def __init__(self, rank: int, world: int) -> None:
        self.rank, self.world = rank, world

    def is_initialized(self) -> bool:
        return True

    def get_world_size(self) -> int:
        return self.world

    def get_rank(self) -> int:
        return self.rank


def _build_deepseek(root: Path, model_parallel: int = 1) -> None:
    import torch
    from safetensors.torch import save_file, save_model

    sys.path.insert(0, str(root / "inference"))
    import model as ds  # the snapshot's inference/model.py

    torch.set_default_dtype(torch.bfloat16)  # as generate.py builds it
    args = json.loads((root / "config.json").read_text(encoding="utf-8"))
    full = ds.Transformer(ds.ModelArgs(**args))
    _seeded_init(full, std=0.3, fp8_grid=True)
    if model_parallel == 1:
        save_model(full, str(root / "ckpt" / "model0-mp1.safetensors"))
        return
    weights, real_dist = full.state_dict(), ds.dist
    for rank in range(model_parallel):
        ds.dist = _Rank(rank, model_parallel)  # type: ignore[assignment]
        shard = ds.Transformer(ds.ModelArgs(**args)).state_dict()  # this rank's names and shapes
        ds.dist = real_dist
        save_file({k: _slice(weights[k], v.shape, rank) for k, v in shard.items()}, str(_shard_path(root, rank)))


def _slice(whole: object, shape: object, rank: int) -> object:
    """This rank's part of a whole tensor: the equal chunk along the one dimension whose size differs."""
    split = [d for d, (a, b) in enumerate(zip(whole.shape, shape, strict=True)) if a != b]  # type: ignore[attr-defined]
    if not split:
        return whole.contiguous()  # type: ignore[attr-defined]
    size = shape[split[0]]  # type: ignore[index]
    return whole.narrow(split[0], rank * size, size).contiguous()  # type: ignore[attr-defined]


def _shard_path(root: Path, rank: int) -> Path:
    return root / "ckpt" / f"model{rank}-mp2.safetensors"


if __name__ == "__main__":
    if sys.argv[1] == "whisper":
        _build_whisper(Path(sys.argv[2]).resolve())
    else:
        _build_deepseek(Path(sys.argv[2]).resolve(), int(sys.argv[3]))
