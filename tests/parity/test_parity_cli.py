"""`isthmus parity record|compare` end to end, the emulated-Ascend prediction, and the assess section."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from isthmus.parity import InputSpec, RecordOptions, compare, record_model
from isthmus.report import render_blocks


def test_record_then_compare_passes_and_json_names_everything(run_cli, tiny_spec: str, tmp_path: Path) -> None:
    code, out, _ = run_cli("parity", "record", tiny_spec, "-o", str(tmp_path / "a"), "--format", "json")
    assert code == 0 and json.loads(out)["entries"] == 28
    code, out, _ = run_cli("parity", "record", tiny_spec, "--autocast", "bf16", "-o", str(tmp_path / "b"))
    assert code == 0 and "recorded 28 tensors" in out
    code, out, _ = run_cli("parity", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["passed"] and data["counts"] == {"pass": 28, "fail": 0, "missing": 0}
    assert {"cosine", "max_abs", "max_rel", "rmse", "within_0.1%", "within_0.5%"} <= set(data["entries"][2]["metrics"])


def test_compare_exits_1_and_names_the_first_divergence(run_cli, deep_file: Path, tmp_path: Path) -> None:
    run_cli("parity", "record", f"{deep_file}:deep", "-o", str(tmp_path / "a"))
    run_cli("parity", "record", f"{deep_file}:deep_kernel_perturbed", "-o", str(tmp_path / "b"))
    code, out, _ = run_cli("parity", "compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 1
    assert "first divergence: forward/26 (Linear)" in out and "> 26 [fail]" in out and "chain: (model) [" in out


def test_compare_model_against_record_records_on_the_fly(run_cli, tiny_spec: str, tmp_path: Path) -> None:
    run_cli("parity", "record", tiny_spec, "--input-shape", "1,20", "--seed", "5", "-o", str(tmp_path / "a"))
    code, out, _ = run_cli(
        "parity",
        "compare",
        tiny_spec,
        str(tmp_path / "a"),
        "--device",
        "cpu",
        "--save",
        str(tmp_path / "b"),
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and data["passed"] and all(e["metrics"]["exact"] for e in data["entries"])
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["inputs"]["source"] == "record"


def test_usage_errors_exit_2(run_cli, tiny_spec: str, tmp_path: Path) -> None:
    code, _, err = run_cli("parity", "record", tiny_spec, "--device", "tpu", "-o", str(tmp_path / "a"))
    assert code == 2 and "unknown device" in err
    code, _, err = run_cli("parity", "record", tiny_spec, "--input-shape", "0,3", "-o", str(tmp_path / "a"))
    assert code == 2
    code, _, err = run_cli("parity", "compare", str(tmp_path / "none"), str(tmp_path / "none2"))
    assert code == 2 and "no such record" in err


def test_mistyped_record_directory_is_not_read_as_a_model(run_cli, deep_file: Path, tmp_path: Path) -> None:
    run_cli("parity", "record", f"{deep_file}:deep", "-o", str(tmp_path / "a"))
    code, out, err = run_cli("parity", "compare", str(tmp_path / "typo"), str(tmp_path / "a"))
    assert code == 2 and out == "" and "no such record directory" in err and "model spec" not in err
    (tmp_path / "empty").mkdir()  # exists but holds no record: the record loader says what is missing
    code, _, err = run_cli("parity", "compare", str(tmp_path / "empty"), str(tmp_path / "a"))
    assert code == 2 and "manifest.json" in err and "model spec" not in err


def test_records_are_never_unpickled() -> None:
    """Record files are JSON + safetensors: nothing under isthmus/parity may load them with pickle or torch.load."""
    import isthmus.parity

    package = Path(isthmus.parity.__file__).parent
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for call in ("torch.load(", "pickle.load", "export.load(", "weights_only=False"):
            assert call not in text, f"{source.name} uses {call}"


@pytest.mark.gpu
def test_cli_records_on_cuda_and_compares_with_cpu(run_cli, tiny_spec: str, tmp_path: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    run_cli("parity", "record", tiny_spec, "-o", str(tmp_path / "cpu"))
    code, out, _ = run_cli("parity", "compare", tiny_spec, str(tmp_path / "cpu"), "--device", "cuda")
    assert code == 0, out


@pytest.mark.skipif(
    importlib.util.find_spec("isthmus.ops.emulate") is None,
    reason="the emulate capability (isthmus.ops.emulate) is not in this build",
)
def test_emulated_ascend_numerics_show_the_predicted_deviation(tiny_spec: str) -> None:
    fp32 = record_model(tiny_spec, InputSpec(), RecordOptions())
    ascend = record_model(tiny_spec, InputSpec(), RecordOptions(emulate="ascend-910b"))
    fp16 = record_model(tiny_spec, InputSpec(), RecordOptions(autocast="fp16"))
    assert ascend.manifest.run.numerics == "ascend-910b" and ascend.manifest.run.compute_dtype == "float16"
    emulated, real_fp16 = compare(fp32, ascend), compare(fp32, fp16)
    assert emulated.passed  # judged by the fp16 row: Ascend autocasts to fp16 by default
    by_key = {e.key: e for e in real_fp16.entries}
    linears = [e for e in emulated.entries if e.module_type == "Linear"]
    for e in linears:
        # the prediction: fp16-rounded matmul results, i.e. the deviation of an fp16 autocast run
        assert e.tolerance is not None and e.tolerance.dtype == "float16"
        assert 1e-5 < e.metrics.nrmse < 1e-2, e.key
        assert 0.3 < e.metrics.nrmse / by_key[e.key].metrics.nrmse < 3.0, e.key
    assert emulated.entries[0].metrics.exact  # the embedding lookup is not matrix-unit work


def test_assess_section_records_compares_and_charts(tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.assess.model import AssessContext
    from isthmus.assess.sections.parity import section
    from isthmus.project import Project

    project = Project.load(tinygpt_dir)
    result = section(AssessContext(project, ("cuda",), tmp_path, quick=True))
    assert result.status == "pass" and "bf16 autocast" in result.summary
    assert "<svg" in render_blocks(result.blocks) and "polyline" in render_blocks(result.blocks)
    assert (tmp_path / "parity" / "cpu-fp32" / "manifest.json").is_file()
    assert result.data["comparisons"]["cpu bf16 autocast vs cpu fp32"]["passed"]
