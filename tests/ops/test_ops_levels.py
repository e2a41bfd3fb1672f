"""False alarms on stock PyTorch models: each class found on real models has a regression test here.

- the CPU's lowering of `lstm` (`mkldnn_rnn_layer`, and its backward) is judged as `lstm.input`;
- `scaled_dot_product_attention` called inside `F.multi_head_attention_forward` is recorded as itself, not as
  the meta math path (`_safe_softmax`...);
- an operator listed only as its out= variant (`gelu.out` in torch_npu 2.14.0) is unverified with evidence;
- a CompositeExplicit operator is followed into its parts by `ops` and `emulate` alike;
- `ops` and `emulate` agree on each of these models.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from isthmus.ops import get_target
from isthmus.ops.emulate_run import emulate_model
from isthmus.ops.inventory import inventory

MODELS = """
import torch
import torch.nn.functional as F
from torch import nn


class RnnLM(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.rnn = getattr(nn, kind)(16, 16, 2)
        self.dec = nn.Linear(16, 50)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.dec(out)


def lstm():
    return RnnLM("LSTM"), (torch.randint(0, 50, (6, 2)),)


def gru():
    return RnnLM("GRU"), (torch.randint(0, 50, (6, 2)),)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.enc(x, mask=mask, is_causal=True)


def encoder():
    return Encoder(), (torch.randn(2, 5, 16),)


class Gelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x):
        return F.gelu(self.proj(x))


def gelu():
    return Gelu(), (torch.randn(3, 8),)
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("levels") / "models.py"
    path.write_text(MODELS)
    return path


def _ops_problems(spec: str, status: tuple[str, ...]) -> set[str]:
    inv = inventory(spec, ["ascend-910b"], train=True)
    return {r.op for r in inv.rows if r.on("ascend-910b").status in status}


def _emulate_problems(spec: str, kinds: tuple[str, ...]) -> set[str]:
    report = emulate_model(spec, "ascend-910b", train=True).report
    return {f.op for f in report.findings if f.kind in kinds}


@pytest.mark.parametrize("factory", ["lstm", "gru", "encoder"])
def test_no_false_fallbacks_and_ops_agrees_with_emulate(models: Path, factory: str) -> None:
    spec = f"{models}:{factory}"
    bad = ("fallback", "unsupported", "unverified")
    assert _ops_problems(spec, bad) == set()
    assert _emulate_problems(spec, bad) == set()


def test_lstm_is_recorded_as_the_program_called_it(models: Path) -> None:
    inv = inventory(f"{models}:lstm", ["ascend-910b", "cuda"], train=True)
    rows = {r.op: r for r in inv.rows}
    lstm = rows["aten::lstm.input"]
    assert lstm.phases == ("forward", "backward") and dict(lstm.paths) == {"rnn": 2}
    assert lstm.on("ascend-910b").status == "native"
    assert "npu_native_functions_by_codegen.yaml" in lstm.on("ascend-910b").evidence
    assert not any("mkldnn" in op for op in rows)


def test_host_lstm_kernels_are_judged_as_lstm() -> None:
    npu = get_target("ascend-910b")
    for kernel in ("aten::mkldnn_rnn_layer.default", "aten::mkldnn_rnn_layer_backward.default"):
        sup = npu.support(kernel)
        assert sup.status == "native", sup
        assert "lowering of aten::lstm.input" in sup.evidence


def test_attention_inside_multi_head_attention_forward_is_seen(models: Path) -> None:
    inv = inventory(f"{models}:encoder", ["ascend-910b"], train=True)
    ops = {r.op for r in inv.rows}
    assert "aten::scaled_dot_product_attention.default" in ops
    assert "aten::_safe_softmax.default" not in ops  # the meta math path stays inside SDPA


def test_out_variant_only_is_unverified_with_evidence(models: Path) -> None:
    spec = f"{models}:gelu"
    assert _ops_problems(spec, ("unverified",)) == {"aten::gelu.default"}
    assert _emulate_problems(spec, ("unverified",)) == {"aten::gelu.default"}
    assert _ops_problems(spec, ("fallback", "unsupported")) == set()
    sup = get_target("ascend-910b", "2.14.0").support("aten::gelu.default")
    assert sup.status == "unverified" and sup.via == ("aten::gelu.out",)
    assert "lists only its out= variant gelu.out" in sup.evidence and "2.5.1.post1" in sup.evidence
    assert get_target("ascend-910b", "2.5.1.post1").support("aten::gelu.default").status == "native"


def test_newer_listing_does_not_make_an_older_release_unverified() -> None:
    # _scaled_mm was added in a later torch_npu: 2.5.1.post1 falls back, with no doubt
    assert get_target("ascend-910b", "2.5.1.post1").support("aten::_scaled_mm.default").status == "fallback"


def test_composite_explicit_is_followed_into_its_parts() -> None:
    sup = get_target("ascend-910b").support(
        "aten::_safe_softmax.default", {"_safe_softmax": ("_softmax", "isneginf", "all.dim")}
    )
    assert sup.status == "unverified" and sup.via == ("aten::isneginf.default",)
    assert "decomposes to" in sup.evidence and "CompositeExplicitAutograd" in sup.source


def test_unknown_cpu_only_kernel_is_unverified_not_fallback() -> None:
    sup = get_target("ascend-910b").support("aten::_weight_int4pack_mm_for_cpu.default")
    assert sup.status == "unverified" and "CPU-only kernel" in sup.evidence


def test_emulate_decomposes_composite_explicit_like_ops() -> None:
    from isthmus.ops.emulate import emulation

    x = torch.randn(2, 4)
    x[0, :] = float("-inf")
    with emulation("ascend-910b") as report:
        torch.ops.aten._safe_softmax(x, -1)
    (f,) = report.findings
    assert f.kind == "unverified" and "isneginf" in f.behaviour


def test_item_in_forward_falls_back_to_a_real_run(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(4, 4)\n"
        "    def forward(self, x):\n        k = int(x.abs().sum().item()) % 3 + 1\n        return self.l(x)[:, :k]\n\n"
        "def build():\n    return M(), (torch.randn(2, 4),)\n"
    )
    inv = inventory(f"{tmp_path}/m.py:build", ["ascend-910b"])
    assert inv.capture.device == "cpu" and "meta" in inv.capture.note


def test_sources_name_model_lines(models: Path) -> None:
    inv = inventory(f"{models}:gelu", ["ascend-910b"], train=True)
    rows = {r.op: r for r in inv.rows}
    line = f"models.py:{next(i for i, t in enumerate(MODELS.splitlines(), 1) if 'F.gelu(' in t)}"
    fwd = rows["aten::gelu.default"].sources
    bwd = rows["aten::gelu_backward.default"].sources
    assert fwd and fwd[0][1].endswith(line) and "F.gelu" in fwd[0][2]
    assert bwd and bwd[0][1].endswith(line) and bwd[0][2].startswith("(backward of)")
