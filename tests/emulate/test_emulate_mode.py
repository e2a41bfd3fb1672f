"""The emulation mode on small real models: what is recorded, where, and what strict mode does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

sys.path.insert(0, str(Path(__file__).parent))
from emu_helpers import FakeProfile, planted

from isthmus.ops.emulate import EmulationError, emulation

HELPERS = "emu_helpers.py"
_LINES = (Path(__file__).parent / HELPERS).read_text().splitlines()


def line_of(text: str) -> str:
    """`emu_helpers.py:N` of the line containing `text` (so the tests survive edits of the helpers)."""
    return f"{HELPERS}:{next(i for i, line in enumerate(_LINES, 1) if text in line)}"


DOUBLE, POLAR, INTMM = line_of("x.double() * 2.0"), line_of("torch.polar("), line_of("torch._int_mm(a, a)")
REAL = line_of("return c.real.float()")


def _run(profile: object, train: bool = False, **kw: object) -> object:
    model, (x,) = planted()
    with emulation(profile, root=model, **kw) as report:  # type: ignore[arg-type]
        y = model(x)
        if train:
            y.mean().backward()
    return report


def test_planted_problems_have_module_paths_and_source_lines() -> None:
    report = _run(FakeProfile())
    by_kind = {(f.kind, f.dtypes, f.module) for f in report.findings}
    assert ("dtype", ("float64",), "stages.0") in by_kind
    assert ("dtype", ("complex128",), "stages.1") in by_kind
    (intmm,) = report.of_kind("unsupported")
    assert intmm.op == "aten::_int_mm.default" and intmm.module == "stages.2" and intmm.phase == "forward"
    assert intmm.source.endswith(INTMM) and "_int_mm" in intmm.code
    assert intmm.suggestion == "use a float matmul"
    assert not any(f.module == "proj" for f in report.findings)  # the fp32 Linear is clean


@pytest.mark.parametrize("target", ["ascend-910b", "cuda"])
def test_real_profiles_report_planted_problems_only_on_ascend(target: str) -> None:
    report = _run(target)
    problems = {(f.kind, f.dtypes, f.module) for f in report.findings}
    if target == "cuda":
        assert problems == set()
        return
    assert ("dtype", ("float64",), "stages.0") in problems
    assert ("dtype", ("complex128",), "stages.1") in problems
    assert any(f.op == "aten::_int_mm.default" and f.module == "stages.2" for f in report.of_kind("fallback"))


def test_backward_ops_are_attributed_to_the_forward_module() -> None:
    report = _run(FakeProfile(), train=True)
    back = [f for f in report.findings if f.phase == "backward"]
    assert back, "the float64 module's backward must be recorded"
    assert {f.module for f in back} <= {"stages.0", "stages.1"}
    assert all(f.source.endswith((DOUBLE, POLAR, REAL)) for f in back)
    # each backward kernel names the forward line that created its autograd node, never `.backward()`
    (select,) = [f for f in back if f.op == "aten::select_backward.default"]
    assert select.source.endswith(REAL) and select.code.startswith("(backward of)")
    assert not any("backward()" in f.code for f in back)


def test_counts_accumulate_per_site_without_new_entries() -> None:
    model, (x,) = planted()
    with emulation(FakeProfile(), root=model) as report:
        model(x)
        first = {k: f.count for k, f in report.sites.items()}
        model(x)
    assert report.sites.keys() == first.keys()
    assert all(report.sites[k].count == 2 * n for k, n in first.items())


def test_strict_mode_raises_with_operator_module_and_line() -> None:
    model, (x,) = planted()
    with pytest.raises(EmulationError) as exc, emulation(FakeProfile(dtypes={}), root=model, strict=True) as report:
        model(x)
    message = str(exc.value)
    assert "aten::_int_mm.default" in message and "stages.2" in message and INTMM in message
    assert report.crash is not None and report.crash.op == "EmulationError"
    assert report.entries()[-1] is report.crash and report.crash.source.endswith(INTMM)


def test_float64_downcast_is_followed() -> None:
    x = torch.tensor([1.0 + 2.0**-40], dtype=torch.float64)
    with emulation(FakeProfile()):
        y = x * 1.0
    assert y.dtype == torch.float64
    assert y.item() == 1.0  # float32 precision, as the device's silent cast leaves it
    assert (x * 1.0).item() != 1.0  # and the host's own arithmetic outside


def test_slow_paths_recorded_with_time() -> None:
    x = torch.randn(2000)
    with emulation(FakeProfile(slow=("aten::sort",))) as report:
        torch.sort(x)
        torch.sort(x)
    (slow,) = report.of_kind("slow")
    assert slow.op == "aten::sort.default" and slow.count == 2 and slow.seconds > 0
    assert report.to_json()["entries"][0]["time_share"] > 0


def test_int64_sort_is_an_aicpu_slow_path_on_ascend() -> None:
    x = torch.randint(0, 100, (512,))
    with emulation("ascend-910b") as report:
        torch.sort(x)
        torch.sort(x.float())
    slow = report.of_kind("slow")
    assert [f.dtypes for f in slow] == [("int64",)]


def test_mode_and_hooks_are_gone_after_the_block() -> None:
    hooks = torch.nn.modules.module._global_forward_pre_hooks
    before = len(hooks)
    with pytest.raises(RuntimeError), emulation(FakeProfile()):
        assert _get_current_dispatch_mode() is not None
        raise RuntimeError("boom")
    assert _get_current_dispatch_mode() is None
    assert len(hooks) == before


def test_crash_is_the_last_entry() -> None:
    with pytest.raises(ValueError), emulation(FakeProfile()) as report:
        torch.ones(2, dtype=torch.float64) + 1
        raise ValueError("user code failed")
    assert report.entries()[-1].kind == "crash" and report.crash is not None
    assert report.crash.note == "user code failed" and "test_emulate_mode.py" in report.crash.source
