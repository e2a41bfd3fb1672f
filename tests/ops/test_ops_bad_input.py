"""Bad input to `isthmus ops` and `isthmus emulate`: one line, exit 2, nothing else on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FACTORY = "import torch\nfrom torch import nn\n\ndef build():\n    return nn.Linear(4, 4), (torch.randn(2, 4),)\n"


@pytest.mark.parametrize("command", ["ops", "emulate"])
def test_negative_sizes_in_a_config_exit_2(run_cli, tmp_path: Path, command: str) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("transformers")
    (tmp_path / "config.json").write_text(json.dumps(
        {"model_type": "llama", "vocab_size": -5, "hidden_size": -64, "num_hidden_layers": 2, "num_attention_heads": 4}
    ))  # fmt: skip
    code, _, err = run_cli(command, str(tmp_path))
    assert code == 2
    assert "vocab_size = -5" in err and "must be >= 0" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["ops", "emulate"])
def test_garbage_pt2_gives_only_our_line(run_cli, tmp_path: Path, command: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "model.pt2"
    bad.write_bytes(b"garbage, not an archive")
    code, _, err = run_cli(command, str(bad))
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a torch.export archive" in lines[0]


def test_huge_input_shape_emulate_exits_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.py").write_text(FACTORY)
    code, _, err = run_cli("emulate", f"{tmp_path}/m.py:build", "--input-shape", "100000000000,4")
    assert code == 2
    assert "--input-shape" in err and "GiB" in err and len(err.strip().splitlines()) == 1


def test_huge_input_shape_ops_works_on_meta(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.py").write_text(FACTORY)
    code, out, _ = run_cli("ops", f"{tmp_path}/m.py:build", "--input-shape", "100000000000,4", "--format", "json")
    assert code == 0 and json.loads(out)["device"] == "meta"


def test_meta_inputs_of_any_shape_cost_nothing() -> None:
    from torch import nn

    from isthmus.models import LoadedModel, make_inputs

    loaded = LoadedModel(nn.Linear(4, 4), None, "x", "factory", "x")
    (x,) = make_inputs(loaded, (100_000_000_000, 4), device="meta")
    assert x.device.type == "meta" and x.shape == (100_000_000_000, 4)
