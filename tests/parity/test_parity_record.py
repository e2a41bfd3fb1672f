"""Recording: statistics match torch, samples sit at fixed positions, inputs and weights are identified."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from isthmus.errors import InputError
from isthmus.parity import InputSpec, RecordOptions, load_record, record_model, save_record
from isthmus.parity.tensorstats import sample_positions, summarise


def test_sample_positions_are_fixed_distinct_and_spread() -> None:
    pos = sample_positions(1_000_003, 4096)
    assert len(pos) == 4096 and np.all(np.diff(pos) > 0) and pos[0] >= 0 and pos[-1] < 1_000_003
    bounds = (np.arange(4097) * 1_000_003) // 4096
    assert np.all((pos >= bounds[:-1]) & (pos < bounds[1:]))  # one element per stratum: none from one region
    assert np.array_equal(pos, sample_positions.__wrapped__(1_000_003, 4096))  # pure function of the sizes
    assert np.array_equal(sample_positions(10, 4096), np.arange(10))
    # no aliasing with a row stride: offsets inside strata vary
    assert len(set((pos % 768).tolist())) > 700


def test_summary_matches_torch_and_handles_nonfinite() -> None:
    t = torch.randn(64, 33, dtype=torch.float32)
    stats, sample = summarise(t, 100)
    assert stats.mean == pytest.approx(t.mean().item(), abs=1e-6)
    assert stats.std == pytest.approx(t.std(correction=0).item(), rel=1e-5)
    assert (stats.min, stats.max) == (t.min().item(), t.max().item())
    assert stats.l2 == pytest.approx(torch.linalg.vector_norm(t).item(), rel=1e-6)
    assert torch.equal(sample, t.reshape(-1)[torch.from_numpy(sample_positions(t.numel(), 100).copy())])
    t[0, 0], t[1, 1] = float("nan"), float("inf")
    stats, _ = summarise(t, 100)
    assert (stats.nan, stats.inf) == (1, 1) and stats.mean is not None and np.isfinite(stats.mean)


def test_bf16_samples_are_stored_exactly_as_fp32() -> None:
    t = torch.randn(1000).to(torch.bfloat16)
    _, sample = summarise(t, 2000)
    assert sample.dtype == torch.float32 and torch.equal(sample, t.float())


def test_manifest_describes_the_run(tiny_spec: str, tmp_path: Path) -> None:
    rec = record_model(
        tiny_spec,
        InputSpec(shape=(2, 16)),
        RecordOptions(seed=7, full=("blocks.0.mlp", "blocks.0.mlp.*"), backward=True),
    )
    save_record(rec, tmp_path / "r")
    m = load_record(tmp_path / "r").manifest
    assert m.version == 1 and m.run.seed == 7 and m.inputs.seed == 7 and m.inputs.shapes == ((2, 16),)
    assert m.environment["torch"] == torch.__version__ and m.run.device == "cpu"
    assert {e.stage for e in m.entries} == {"forward", "grad_input", "grad_param"}
    full = [e for e in m.entries if e.full]
    assert {e.module for e in full} == {
        "blocks.0.mlp",
        "blocks.0.mlp.w1",
        "blocks.0.mlp.w2",
        "blocks.0.mlp.w3",
        "blocks.0.mlp.w1.weight",
        "blocks.0.mlp.w2.weight",
        "blocks.0.mlp.w3.weight",
    }
    assert all(load_record(tmp_path / "r").tensors[e.full].shape == e.shape for e in full)
    forward = [e.module for e in m.entries if e.stage == "forward"]
    assert forward.index("blocks.0.attn.wq") < forward.index("blocks.0.attn") < forward.index("(model)")
    assert forward[-1] == "(model)"  # post-order: the root finishes last


def test_seed_and_shape_regenerate_inputs_bit_exactly(tiny_spec: str) -> None:
    a = record_model(tiny_spec, InputSpec(shape=(1, 24)), RecordOptions(seed=3))
    b = record_model(tiny_spec, InputSpec(shape=(1, 24)), RecordOptions(seed=3))
    c = record_model(tiny_spec, InputSpec(shape=(1, 24)), RecordOptions(seed=4))
    assert a.manifest.inputs.sha256 == b.manifest.inputs.sha256 != c.manifest.inputs.sha256
    assert torch.equal(a.tensors["input/0"], b.tensors["input/0"])


def test_inputs_file_is_used_in_natural_order(deep_file: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    x = torch.randn(2, 32, generator=torch.Generator().manual_seed(9))
    save_file({"input_0": x}, str(tmp_path / "in.safetensors"))
    rec = record_model(f"{deep_file}:deep", InputSpec(file=tmp_path / "in.safetensors"), RecordOptions())
    assert rec.manifest.inputs.source == "file" and torch.equal(rec.tensors["input/0"], x)
    assert rec.manifest.entries[0].shape == (2, 32)


def test_weights_checksum_sees_values_and_dtype(deep_file: Path) -> None:
    from isthmus.models import load_model
    from isthmus.parity.inputs import weights_sha256

    model = load_model(f"{deep_file}:deep").module
    base, count, dtype = weights_sha256(model)
    assert count == 24 * (32 * 32 + 32) and dtype == "float32"
    assert weights_sha256(model.double())[0] != base
    model = model.float()
    assert weights_sha256(model)[0] == base
    with torch.no_grad():
        model[0].bias[0] += 1e-6
    assert weights_sha256(model)[0] != base


def test_dtype_cast_is_recorded_and_checksum_is_of_the_loaded_weights(deep_file: Path) -> None:
    a = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions())
    b = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions(dtype="bf16"))
    assert a.manifest.model.weights_sha256 == b.manifest.model.weights_sha256
    assert b.manifest.run.compute_dtype == "bfloat16" and b.manifest.entries[0].dtype == "bfloat16"


def test_bad_options_are_input_errors(deep_file: Path) -> None:
    with pytest.raises(InputError, match="unknown dtype"):
        record_model(f"{deep_file}:deep", InputSpec(), RecordOptions(dtype="fp12"))
    with pytest.raises(InputError, match="autocast"):
        record_model(f"{deep_file}:deep", InputSpec(), RecordOptions(autocast="fp32"))
    with pytest.raises(InputError, match="device"):
        record_model(f"{deep_file}:deep", InputSpec(), RecordOptions(device="tpu"))


@pytest.mark.gpu
def test_cuda_record_matches_cpu_record(deep_file: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from isthmus.parity import compare

    cpu = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions())
    gpu = record_model(f"{deep_file}:deep", InputSpec(), RecordOptions(device="cuda"))
    assert (
        gpu.manifest.run.device.startswith("cuda")
        and gpu.manifest.model.weights_sha256 == cpu.manifest.model.weights_sha256
    )
    result = compare(cpu, gpu)
    assert result.passed, result.first


def test_a_non_finite_scalar_input_is_refused_before_recording(tmp_path: Path) -> None:
    model = tmp_path / "scaled.py"
    model.write_text(
        "import torch\n\n"
        "class Scaled(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lin = torch.nn.Linear(2, 2)\n\n"
        "    def forward(self, x, k):\n"
        "        return self.lin(x) * k\n\n"
        "def make():\n"
        "    return Scaled(), (torch.ones(2), float('inf'))\n"
    )
    with pytest.raises(InputError, match="input input_1 is inf: a record holds finite numbers only"):
        record_model(f"{model}:make", InputSpec(), RecordOptions())
    ok = tmp_path / "ok.py"
    ok.write_text(model.read_text().replace("float('inf')", "2.5"))
    assert record_model(f"{ok}:make", InputSpec(), RecordOptions()).manifest.inputs.items[1].value == 2.5


def test_a_model_without_parameters_records_in_the_default_dtype(tmp_path: Path) -> None:
    """A parameter-free model (an activation block) has no weights dtype: the default dtype stands for it."""
    (tmp_path / "act.py").write_text(
        "import torch\n\nclass Act(torch.nn.Module):\n    def forward(self, x):\n        return torch.relu(x) * 2\n\n"
        "def build():\n    return Act()\n",
        encoding="utf-8",
    )
    rec = record_model(f"{tmp_path / 'act.py'}:build", InputSpec(shape=(2, 4)), RecordOptions(seed=1))
    save_record(rec, tmp_path / "r")
    m = load_record(tmp_path / "r").manifest
    assert m.model.weights_dtype == "float32" and m.model.parameters == 0
    assert [e.module for e in m.entries if e.stage == "forward"] == ["(model)"]
