"""Synthetic inputs for the litgpt entries: a tiny random checkpoint directory and an instruction data set.

`litgpt_tiny(root)` writes, next to the materialised `litgpt/` package:

- `checkpoints/tiny/`: `lit_model.pth` (a plain state dict of a 2-layer GPT built with the snapshot's own `Config` and
  `GPT`, random weights from a fixed seed), `model_config.yaml`, a byte-level BPE `tokenizer.json` trained here with
  the `tokenizers` library on the synthetic text, and `tokenizer_config.json`, as litgpt's `Tokenizer` reads them;
- `data/instruct.json`: 64 instruction/input/output records (litgpt's `JSON` data module);
- `data/text/{train,val}/*.txt`: plain text files (litgpt's `TextFiles` data module);
- `pretrain.yaml`: the checkpoint's architecture as `litgpt pretrain`'s `model_config` (a `--config` file).

The model is built in a child process with the work directory first on `sys.path`, so the snapshot's modules are
imported from there and never stay loaded in the runner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

EOS = "<|endoftext|>"
WORDS = [
    "red", "green", "blue", "cat", "dog", "bird", "runs", "sleeps", "eats", "fast", "slow", "the", "a", "big", "small",
    "tree", "river", "stone", "sings", "jumps", "over", "under", "near", "far", "bright", "dark", "old", "new",
]  # fmt: skip


def _sentence(rng: np.random.Generator, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS, size=int(rng.integers(low, high))))


def _records(rng: np.random.Generator, count: int) -> list[dict[str, str]]:
    return [
        {
            "instruction": "Repeat " + _sentence(rng, 2, 5),
            "input": _sentence(rng, 0, 3),
            "output": _sentence(rng, 3, 8),
        }
        for _ in range(count)
    ]


def _tokenizer(texts: list[str], out: Path) -> int:
    """A byte-level BPE tokenizer trained on `texts`; returns its vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.save(str(out / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": EOS, "eos_token": EOS, "add_bos_token": False}
    (out / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return int(tok.get_vocab_size())


def litgpt_tiny(root: Path) -> None:
    """The checkpoint directory, the JSON instruction data and the text files (see the module docstring)."""
    rng = np.random.default_rng(11)
    records = _records(rng, 64)
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "instruct.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    for split, files in (("train", 4), ("val", 1)):
        folder = data / "text" / split
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(files):
            lines = [_sentence(rng, 6, 14) + "." for _ in range(80)]
            (folder / f"part{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ckpt = root / "checkpoints" / "tiny"
    ckpt.mkdir(parents=True, exist_ok=True)
    texts = [" ".join(r.values()) for r in records] + [_sentence(rng, 6, 14) for _ in range(400)]
    vocab = _tokenizer(texts, ckpt)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, __file__, str(ckpt), str(vocab)], cwd=root, env=env, check=True)


def _write_model(ckpt: Path, vocab: int) -> None:
    """Runs in the child process: the snapshot's `Config`/`GPT`, random weights, a plain state dict."""
    import torch
    from litgpt.config import Config, name_to_config
    from litgpt.model import GPT
    from litgpt.utils import save_config

    shrunk = {"name": "tiny", "block_size": 128, "n_layer": 2, "n_embd": 32, "n_head": 2, "vocab_size": vocab}
    config = Config(**{**name_to_config["pythia-14m"], **shrunk, "padding_multiple": 64, "intermediate_size": 64})
    torch.manual_seed(0)
    model = GPT(config)
    torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, ckpt / "lit_model.pth")
    save_config(config, ckpt)
    # the same architecture for `litgpt pretrain --config pretrain.yaml` (its `model_config` argument)
    lines = (ckpt / "model_config.yaml").read_text(encoding="utf-8").splitlines(True)
    indented = "".join("  " + line for line in lines)
    (ckpt.parent.parent / "pretrain.yaml").write_text("model_config:\n" + indented, encoding="utf-8")


if __name__ == "__main__":
    _write_model(Path(sys.argv[1]), int(sys.argv[2]))
