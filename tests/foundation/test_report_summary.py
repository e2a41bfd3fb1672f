"""The report's pieces on their own: summary ranking, chart geometry and notation, the accelerator choice, the
environment line, the model measured for the estimate, and the parity comparisons planned with and without a GPU."""

from __future__ import annotations

import math
import re
import types
from pathlib import Path

import pytest

from isthmus.assess.model import AssessContext, AssessReport, Blocker, SectionResult
from isthmus.assess.summary import rank, side_of, summarize
from isthmus.blocks import number
from isthmus.report.html import bar_chart, line_chart


def _report(*sections: SectionResult, targets: tuple[str, ...] = ("cuda", "ascend-910b")) -> AssessReport:
    return AssessReport("p", targets, "2026-01-01T00:00:00+00:00", "0", sections)


def test_blockers_rank_blocking_first_then_cheapest() -> None:
    slow = Blocker("ascend", "blocks", "unsupported op", "rewrite", "days")
    quick = Blocker("ascend", "blocks", "torch.cuda calls", "isthmus scan --fix", "minutes")
    caveat = Blocker("cuda", "caveat", "export rules", "licence", "minutes")
    assert rank([caveat, slow, quick]) == [quick, slow, caveat]


def test_readiness_per_side_follows_the_sections_blockers() -> None:
    scan = SectionResult(
        "scan", "Static scan", "fail", "", blockers=(Blocker("ascend", "blocks", "x", "isthmus scan --fix", "minutes"),)
    )
    comp = SectionResult(
        "compliance", "Export controls", "warn", "", blockers=(Blocker("cuda", "caveat", "rules", "licence", "weeks"),)
    )
    s = summarize(_report(scan, comp))
    verdicts = {v.side: v for v in s.sides}
    assert verdicts["ascend"].readiness == "not ready" and "isthmus scan --fix" in verdicts["ascend"].why
    assert verdicts["cuda"].readiness == "ready with caveats"
    assert [b.section for b in s.blockers] == ["", ""]  # the runner fills in the section, not the summary
    silent = summarize(_report(SectionResult("run", "Unmodified run", "fail", "train.py exited 4")))
    assert [b.what for b in silent.blockers] == ["Unmodified run: train.py exited 4"]  # a fail never vanishes
    assert {v.readiness for v in silent.sides} == {"not ready"}
    only_env = summarize(_report(SectionResult("environment", "Environment", "pass", "")))
    assert {v.readiness for v in only_env.sides} == {"not assessed"}  # nothing checked: no verdict is guessed


def test_summary_costs_carry_where_each_side_is_allowed() -> None:
    est = SectionResult(
        "estimate",
        "Performance estimate",
        "pass",
        "m",
        {"rows": [{"side": "ascend", "system": "cloudmatrix-384", "task": "serve", "usd_per_m_tokens": 1.0}]},
    )
    comp = SectionResult(
        "compliance", "Export controls", "warn", "", {"by_side": {"ascend": {"allowed": ["cn"], "not": ["us (x)"]}}}
    )
    (row,) = summarize(_report(est, comp)).costs
    assert row["allowed_today"] == ["cn"] and row["not_allowed"] == ["us (x)"]


@pytest.mark.parametrize(("target", "side"), [("cuda-sm90", "cuda"), ("ascend-910c", "ascend"), ("cpu", None)])
def test_side_of(target: str, side: str | None) -> None:
    assert side_of(target) == side


@pytest.mark.parametrize(
    ("value", "text"), [(1234567.8, "1,234,568"), (12.5, "12.5"), (0.000179, "0.00018"), (0.0, "0"), (100.0, "100")]
)
def test_numbers_use_table_notation_never_scientific(value: float, text: str) -> None:
    assert number(value) == text


def _texts(svg: str) -> list[tuple[float, str, str]]:
    return [
        (float(x), a or "start", t)
        for x, a, t in re.findall(r'<text x="([\d.]+)"[^>]*?(?:text-anchor="(\w+)")?[^>]*>([^<]*)<', svg)
    ]


def test_bar_chart_keeps_every_label_and_value_inside_the_svg() -> None:
    items = [("train · a-very-long-system-name", 266869606.0), ("serve · x", 7.5)]
    html = bar_chart(items, " tok/s", width=300, title="Which is faster?")
    width = float(re.search(r'<svg[^>]*width="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
    for x, anchor, text in _texts(html):
        assert (anchor == "end" and x - 6.6 * len(text) >= 0) or (anchor == "start" and x + 6.6 * len(text) <= width)
    assert "266,869,606 tok/s" in html and "e+" not in html
    assert html.index("Which is faster?") < html.index("<svg")  # the title is HTML above the plot, not on it


def test_line_chart_spends_its_range_near_the_tolerance() -> None:
    html = line_chart(
        [("a", [1e-9, 0.02, 0.3]), ("b", [math.nan, 0.05, 2.0])],
        log_y=True,
        y_floor=1e-3,
        threshold=(1.0, "tolerance"),
        tick_format="{:g}x",
    )
    ticks = [t for _, _, t in _texts(html) if t.endswith("x")]
    assert ticks == ["0.001x", "0.01x", "0.1x", "1x", "10x"]  # floored at 1e-3, not down to 1e-9
    assert html.count('class="series"') == 2 and "tolerance" in html
    assert line_chart([("a", [math.nan])]).count("no data") == 1


def test_environment_lists_devices_not_the_driver_version() -> None:
    from isthmus.assess.sections.environment import accelerators, stack
    from isthmus.doctor import Check

    checks = [
        Check("cuda", "driver", "ok", "580.159.04"),
        Check("cuda", "cuda:0", "ok", "NVIDIA H200, 139.8 GiB, sm90", {"name": "NVIDIA H200"}),
        Check("npu", "CANN", "absent", "not found"),
    ]
    assert accelerators(checks) == ["cuda:0 NVIDIA H200"]
    assert stack(checks) == ["NVIDIA driver 580.159.04"]


@pytest.fixture()
def fresh_accelerator():  # type: ignore[no-untyped-def]
    from isthmus import accel

    accel.set_accelerator(None)
    yield accel
    accel.set_accelerator(None)


def test_host_accelerator_chooses_a_visible_gpu(fresh_accelerator) -> None:  # type: ignore[no-untyped-def]
    from isthmus.accel.cuda import CudaAccelerator
    from isthmus.assess.hardware import host_accelerator

    stub = types.SimpleNamespace(
        is_available=lambda: True, get_device_name=lambda i: "Stub H200", current_device=lambda: 0
    )
    fresh_accelerator.set_accelerator(CudaAccelerator(module=stub))
    host = host_accelerator()
    assert host.found and host.recordable and host.name == "cuda" and host.label() == "cuda (Stub H200)"
    stub.is_available = lambda: False
    gone = host_accelerator()
    assert not gone.found and "no device" in gone.reason and gone.label() == "cpu"


def test_host_accelerator_on_a_cpu_host_says_why(fresh_accelerator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from isthmus.accel.cpu import CpuAccelerator
    from isthmus.assess.hardware import host_accelerator

    fresh_accelerator.set_accelerator(CpuAccelerator())
    host = host_accelerator()
    assert not host.found and "no CUDA or Ascend device" in host.reason


def test_host_accelerator_follows_the_plugin_entry_point(fresh_accelerator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("isthmus_dummy_accel", reason="the dummy plugin is installed by make test")
    from isthmus.assess.hardware import host_accelerator

    monkeypatch.setenv("ISTHMUS_DUMMY_ACCEL", "1")
    host = host_accelerator()  # the plugin is chosen; it is a CPU in disguise, so nothing is recorded on it
    assert not host.found and "dummy" in host.reason


def test_the_unmodified_run_goes_to_the_accelerator_found() -> None:
    from isthmus.assess.hardware import HostAccelerator
    from isthmus.assess.sections.run import plan_runs

    gpu = HostAccelerator("cuda", "cuda", "H200", "isthmus.accel selected cuda")
    npu = HostAccelerator("npu", "npu", "Ascend910B", "isthmus.accel selected npu")
    none = HostAccelerator(None, None, "", "no CUDA or Ascend device visible")
    # on a GPU: the CPU redirection (standing in for Ascend) first, then natively on the GPU
    assert plan_runs(gpu) == [("cpu", "run.json"), ("cuda", "run-cuda.json")]
    assert plan_runs(npu) == [("npu", "run.json")]  # on Ascend the real run is the check
    assert plan_runs(none) == [("cpu", "run.json")]


def test_parity_plans_the_cross_border_comparisons() -> None:
    from isthmus.assess.sections.parity import Run, pairs

    ref, bf16 = Run("cpu fp32", None), Run("cpu bf16 autocast", None)  # type: ignore[arg-type]
    emu = Run("emulated ascend-910b", None)  # type: ignore[arg-type]
    dev = [Run("cuda fp32", None), Run("cuda bf16 autocast", None)]  # type: ignore[arg-type]
    titles = [t for t, _, _ in pairs(ref, [bf16], dev, [emu])]
    assert titles == [
        "cpu bf16 autocast vs cpu fp32",
        "cuda fp32 vs cpu fp32",
        "cuda bf16 autocast vs cpu fp32",
        "emulated ascend-910b vs cpu fp32",
        "emulated ascend-910b vs cuda bf16 autocast",  # the same code, moved from this GPU to Ascend
    ]
    assert [t for t, _, _ in pairs(ref, [bf16], [], [emu])] == titles[:1] + titles[3:4]


def test_estimate_measures_the_projects_model(tinygpt_dir: Path, tmp_path: Path) -> None:
    from isthmus.assess.sections.estimate import project_model
    from isthmus.project import Project

    ctx = AssessContext(Project.load(tinygpt_dir), ("cuda", "ascend-910b"), tmp_path)
    spec, origin = project_model(ctx)
    assert spec is not None and "model.py:tiny" in origin
    assert (spec.layers, spec.hidden, spec.heads, spec.kv_heads, spec.ffn, spec.vocab) == (2, 64, 4, 2, 192, 256)
    assert spec.gated and spec.tied and spec.max_seq == 64


def test_estimate_without_a_model_says_so(tmp_path: Path) -> None:
    from isthmus.assess.sections.estimate import section
    from isthmus.project import Project

    (tmp_path / "a.py").write_text("x = 1\n")
    result = section(AssessContext(Project.load(tmp_path), ("cuda",), tmp_path))
    assert result.status == "skipped" and "no model" in result.summary and "llama" not in result.summary


def test_estimate_reads_a_hugging_face_config(tmp_path: Path) -> None:
    import json

    from isthmus.assess.sections.estimate import project_model
    from isthmus.project import Project

    hf = tmp_path / "hf"
    hf.mkdir()
    config = {
        "model_type": "llama",
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "intermediate_size": 14336,
        "vocab_size": 128256,
        "max_position_embeddings": 8192,
    }
    (hf / "config.json").write_text(json.dumps(config))
    (tmp_path / "isthmus.toml").write_text('[assess]\nmodel = "hf"\n')
    spec, origin = project_model(AssessContext(Project.load(tmp_path), ("cuda",), tmp_path))
    assert spec is not None and origin == "Hugging Face config hf"
    assert (spec.layers, spec.hidden, spec.kv_heads) == (32, 4096, 8) and 7e9 < spec.total_params < 9e9


SKEWED = """
import torch
from torch import nn


class Skewed(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 1.001  # a slightly wrong kernel: 10x the fp32 tolerance


def _stack(skew_at):
    torch.manual_seed(0)
    layers = [Skewed(16, 16) if i == skew_at else nn.Linear(16, 16) for i in range(6)]
    return nn.Sequential(*layers), (torch.randn(2, 16, generator=torch.Generator().manual_seed(1)),)


def clean():
    return _stack(None)


def skewed():
    return _stack(3)
"""


def test_parity_chart_marks_the_first_module_over_its_tolerance(tmp_path: Path) -> None:
    from isthmus.assess.sections.parity import chart, first_over, tolerance_ratios
    from isthmus.parity import InputSpec, RecordOptions, compare, record_model
    from isthmus.report import render_blocks

    (tmp_path / "m.py").write_text(SKEWED)
    a = record_model(f"{tmp_path / 'm.py'}:clean", InputSpec(), RecordOptions())
    b = record_model(f"{tmp_path / 'm.py'}:skewed", InputSpec(), RecordOptions())
    c = compare(a, b)
    ratios = tolerance_ratios(c)
    i = first_over(ratios)
    assert i is not None and 1.0 < ratios[i] < 100.0 and all(r <= 1.0 for r in ratios[:i])
    block = chart([("skewed vs clean", c)])
    html = render_blocks([block])
    assert block.markers[0][0] == i and "first over: 3 (" in html and "modules above the dashed line fail" in html
