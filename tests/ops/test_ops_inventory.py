"""Inventories of real models: tinygpt, a model with planted problems, and Hugging Face configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isthmus.ops.inventory import Inventory, inventory

PLANTED = """
import torch
from torch import nn


class Quant(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 16))

    def forward(self, x):
        q = x.to(torch.int8)
        return torch._int_mm(q, self.w.to(torch.int8).t().contiguous()).float()


class Precise(nn.Module):
    def forward(self, x):
        return (x.double() * 2).float()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 16)
        self.blocks = nn.ModuleList([nn.Sequential(Quant(), Precise())])

    def forward(self, x):
        return self.blocks[0](self.proj(x))


def build():
    return Net(), (torch.randn(32, 16),)
"""


@pytest.fixture(scope="module")
def tiny_train(tinygpt_dir: Path) -> Inventory:
    return inventory(f"{tinygpt_dir}/model.py:tiny", ["cuda", "ascend-910b", "cpu"], train=True)


def _ops(inv: Inventory) -> set[str]:
    return {r.op for r in inv.rows}


def test_tinygpt_operators_match_the_model(tiny_train: Inventory) -> None:
    ops = _ops(tiny_train)
    # SDPA recorded at the level every target sees, never as the host's CPU lowering
    assert "aten::scaled_dot_product_attention.default" in ops
    assert not any("_for_cpu" in op or "flash" in op for op in ops)
    # complex rotary embedding, SwiGLU, tied embedding, cross-entropy, foreach AdamW
    expected = {"aten::view_as_complex.default", "aten::silu.default", "aten::embedding.default", "aten::mm.default",
                "aten::nll_loss_forward.default", "aten::embedding_dense_backward.default",
                "aten::_foreach_addcdiv_.ScalarList"}  # fmt: skip
    assert expected <= ops
    assert tiny_train.capture.device == "meta"
    assert tiny_train.capture.phases == ("forward", "backward", "optimizer")


def test_tinygpt_module_paths_and_phases(tiny_train: Inventory) -> None:
    rows = {r.op: r for r in tiny_train.rows}
    sdpa = rows["aten::scaled_dot_product_attention.default"]
    assert dict(sdpa.paths) == {"blocks.0.attn": 2, "blocks.1.attn": 2}  # forward + backward, 2 layers
    assert sdpa.phases == ("forward", "backward")
    silu_bwd = rows["aten::silu_backward.default"]
    assert {p for p, _ in silu_bwd.paths} <= {"blocks.0.mlp", "blocks.1.mlp", "blocks.0.mlp.w2", "blocks.1.mlp.w2"}
    assert {p for p, _ in rows["aten::nll_loss_forward.default"].paths} == {"loss"}


def test_tinygpt_summary_counts_every_call(tiny_train: Inventory) -> None:
    for s in tiny_train.summaries:
        assert s.calls == tiny_train.capture.calls
        assert s.native_calls + s.decomposed_calls + s.fallback_calls + s.unsupported_calls == s.calls
        assert 50.0 < s.native_pct <= 100.0
    doc = json.loads(json.dumps(tiny_train.to_json()))
    assert doc["format"] == "isthmus-ops/1" and set(doc["targets"]) == {"cuda", "ascend-910b", "cpu"}


def test_planted_int_mm_and_float64_are_reported_with_paths(tmp_path: Path) -> None:
    (tmp_path / "planted.py").write_text(PLANTED)
    inv = inventory(f"{tmp_path}/planted.py:build", ["cuda", "ascend-910b"])
    row = next(r for r in inv.rows if r.op == "aten::_int_mm.default")
    assert dict(row.paths) == {"blocks.0.0": 1}
    assert row.on("ascend-910b").status == "fallback" and row.on("cuda").status == "native"
    npu = next(s for s in inv.summaries if s.target == "ascend-910b")
    assert npu.fallback_ops == ("aten::_int_mm.default",)
    fp64 = [d for d in inv.dtype_problems if d.dtype == "float64"]
    assert [d.target for d in fp64] == ["ascend-910b"]
    assert {p for p, _ in fp64[0].paths} == {"blocks.0.1"}
    assert inv.has_problems


def test_dtype_option_reaches_the_model(tinygpt_dir: Path) -> None:
    inv = inventory(f"{tinygpt_dir}/model.py:tiny", ["ascend-910a", "ascend-910b"], dtype=__import__("torch").bfloat16)
    bf16 = [d for d in inv.dtype_problems if d.dtype == "bfloat16"]
    assert [d.target for d in bf16] == ["ascend-910a"] and bf16[0].status == "error"
    assert any(p.startswith("blocks.") for p, _ in bf16[0].paths)
