"""Synthetic inputs for the Hugging Face scripts of the real-world table: a fake Hugging Face cache under `hf_home/`.

The scripts name hub models, datasets and metrics ("bert-base-cased", "nyu-mll/glue" "mrpc", the "glue" metric).
Run offline (HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1, HF_EVALUATE_OFFLINE=1, HF_HOME=hf_home), each library reads
its own cache, so we lay out exactly what it reads there:

- transformers: `hub/models--<org>--<name>/snapshots/<sha>/` (config, safetensors weights, tokenizer files) and
  `refs/main` naming the snapshot, as huggingface_hub's cache keeps a downloaded repository;
- datasets (offline, it never opens the hub cache): a prepared dataset in `datasets/<org>___<name>/<config>/0.0.0/
  <hash>/` (`dataset_info.json` and one Arrow stream file per split), as `load_dataset` leaves it after a download;
- evaluate (offline, it imports the newest cached module): `modules/evaluate_modules/metrics/evaluate-metric--<name>/
  <64-hex hash>/<name>.py`. The module there is our own small metric (accuracy and F1 of a binary task), written
  here; the hub's metric script is not copied.

The weights are random (a 2-layer BERT of width 32) and the tokenizer is a WordPiece trained with `tokenizers` on the
synthetic sentences, so nothing here comes from a model host.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"  # any 40-hex commit id names the cached snapshot
WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti") for b in ("b", "d", "g", "n", "s", "t")]

# the metric module evaluate imports from its cache: our own accuracy/F1, not the hub's script
METRIC_PY = '''"""Accuracy and F1 of a binary task (stands in for the hub's glue metric)."""

import datasets
import evaluate


class Glue(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="accuracy and F1 (binary)",
            citation="",
            inputs_description="predictions and references: class ids",
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        pairs = list(zip(predictions, references))
        tp = sum(1 for p, r in pairs if p == 1 and r == 1)
        fp = sum(1 for p, r in pairs if p == 1 and r == 0)
        fn = sum(1 for p, r in pairs if p == 0 and r == 1)
        accuracy = sum(1 for p, r in pairs if p == r) / len(pairs)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        return {"accuracy": float(accuracy), "f1": float(f1)}
'''


def _sentence(rng: np.random.Generator) -> str:
    words = rng.choice(WORDS, size=int(rng.integers(5, 14)))
    return " ".join(str(w) for w in words).capitalize() + "."


def _mrpc_rows(rng: np.random.Generator, n: int) -> dict[str, list[Any]]:
    s1, s2, labels = [], [], []
    for _ in range(n):
        a = _sentence(rng)
        label = int(rng.integers(2))
        # a paraphrase keeps most words of its first sentence; a non-paraphrase is another sentence
        b = " ".join(w for w in a.split() if rng.random() > 0.2) or a if label else _sentence(rng)
        s1.append(a)
        s2.append(b)
        labels.append(label)
    return {"sentence1": s1, "sentence2": s2, "label": labels, "idx": list(range(n))}


def _hub_snapshot(hf_home: Path, repo_id: str) -> Path:
    repo = hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(SNAPSHOT, encoding="utf-8")
    snap = repo / "snapshots" / SNAPSHOT
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def tiny_bert(hf_home: Path, repo_id: str, corpus: list[str]) -> None:
    """A 2-layer random BERT and a WordPiece tokenizer trained on `corpus`, cached as the hub snapshot of
    `repo_id`."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    snap = _hub_snapshot(hf_home, repo_id)
    wordpiece = BertWordPieceTokenizer(lowercase=False)
    wordpiece.train_from_iterator(corpus, vocab_size=200, min_frequency=1)
    vocab = snap / "vocab.txt"
    vocab.write_text("\n".join(_vocab_lines(wordpiece)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False, model_max_length=128)
    tokenizer.save_pretrained(snap)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        initializer_range=0.5,  # wide enough that the untrained model's predictions differ by example
        architectures=["BertForSequenceClassification"],
    )
    # with a head (a fresh one would be seeded by the script and, on so small a model, predicts one class for every
    # pair): this seed's head predicts both classes on the validation rows, so the metrics follow the predictions
    torch.manual_seed(4)
    BertForSequenceClassification(config).save_pretrained(snap)


def _vocab_lines(wordpiece: Any) -> list[str]:
    vocab: dict[str, int] = wordpiece.get_vocab()
    return [tok for tok, _ in sorted(vocab.items(), key=lambda kv: kv[1])]


def cached_dataset(hf_home: Path, repo_id: str, config_name: str, splits: dict[str, dict[str, list[Any]]]) -> None:
    """A prepared dataset in the datasets cache, as `load_dataset(repo_id, config_name)` reads it offline."""
    import datasets
    import pyarrow as pa

    features = datasets.Features(
        {
            "sentence1": datasets.Value("string"),
            "sentence2": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["not_equivalent", "equivalent"]),
            "idx": datasets.Value("int32"),
        }
    )
    org, name = repo_id.split("/")
    key = hashlib.sha256(json.dumps(splits, sort_keys=True).encode()).hexdigest()[:16]
    out = hf_home / "datasets" / f"{org}___{name}" / config_name / "0.0.0" / key
    out.mkdir(parents=True, exist_ok=True)
    split_dict = datasets.SplitDict(dataset_name=name)
    for split, rows in splits.items():
        table = datasets.Dataset.from_dict(rows, features=features).data.table
        with pa.OSFile(str(out / f"{name}-{split}.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
        split_dict.add(datasets.SplitInfo(name=split, num_examples=table.num_rows, dataset_name=name))
    info = datasets.DatasetInfo(features=features, config_name=config_name, dataset_name=name, splits=split_dict)
    info.write_to_directory(str(out))


def cached_metric(hf_home: Path, name: str) -> None:
    """Our metric module where evaluate looks for a cached `evaluate.load(name)` offline."""
    digest = hashlib.sha256(METRIC_PY.encode()).hexdigest()
    out = hf_home / "modules" / "evaluate_modules" / "metrics" / f"evaluate-metric--{name}" / digest
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.py").write_text(METRIC_PY, encoding="utf-8")


def hf_glue_mrpc(root: Path) -> None:
    """hf_home/ with bert-base-cased (tiny, random), nyu-mll/glue mrpc (64/32/16 synthetic rows) and the glue
    metric, for the accelerate examples built on nlp_example.py."""
    rng = np.random.default_rng(7)
    splits = {"train": _mrpc_rows(rng, 64), "validation": _mrpc_rows(rng, 32), "test": _mrpc_rows(rng, 16)}
    hf_home = root / "hf_home"
    corpus = [s for rows in splits.values() for s in rows["sentence1"] + rows["sentence2"]]
    tiny_bert(hf_home, "bert-base-cased", corpus)
    cached_dataset(hf_home, "nyu-mll/glue", "mrpc", splits)
    cached_metric(hf_home, "glue")


def tiny_llama(root: Path) -> None:
    """tiny-llama/: a 2-layer random Llama (width 32) and a byte-level BPE tokenizer trained on the text of the
    materialised `data/*.json` demo sets (LLaMA-Factory's), as `model_name_or_path` reads a local model dir."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts: list[str] = []
    for path in sorted((root / "data").glob("*.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(rows, list):
            texts += [str(v) for row in rows if isinstance(row, dict) for v in row.values()]
    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(texts or ["hello world"], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    out = root / "tiny-llama"
    tokenizer.save_pretrained(out)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
