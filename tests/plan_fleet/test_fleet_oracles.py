"""The default oracles over the catalogue, performance model and rules engine: caching and hardware lookup."""

from __future__ import annotations

import datetime as dt
import gc
import weakref

import pytest

from isthmus.errors import InputError
from isthmus.plan.catalog import load_catalog
from isthmus.plan.fleet.oracles import CatalogHardware, PerfModel, PolicyRules
from isthmus.plan.perfmodel.hardware import resolve_hardware

ON = dt.date(2026, 3, 1)


def test_perf_answers_are_cached_per_oracle() -> None:
    a, b = PerfModel(), PerfModel()
    first = a.train("llama3-8b", "dgx-h100", 8, "bf16", 4096)
    again = a.train("llama3-8b", "dgx-h100", 8, "bf16", 4096)
    a.serve("llama3-8b", "dgx-h100", 8, "bf16", 1024, 256, None, None)
    a.serve("llama3-8b", "dgx-h100", 8, "bf16", 1024, 256, None, None)
    assert first is again and first.feasible and a.calls == 2
    b.train("llama3-8b", "dgx-h100", 8, "bf16", 4096)  # another oracle does not see a's answers
    assert b.calls == 1
    with pytest.raises(InputError, match="unknown model"):
        a.check_model("gpt-9")


def test_oracles_do_not_outlive_their_plan() -> None:
    perf, rules = PerfModel(), PolicyRules()
    perf.check_model("llama3-8b")
    perf.train("llama3-8b", "dgx-h100", 8, "bf16", 4096)
    answer = rules.verdict("h100-sxm", "CN", "CN", False, ON)
    assert rules.verdict("h100-sxm", "CN", "CN", False, ON) is answer
    refs = [weakref.ref(perf), weakref.ref(rules)]
    del perf, rules
    gc.collect()
    assert [r() for r in refs] == [None, None]  # a cache keyed on the instance would keep both alive


def test_catalog_hardware_agrees_with_the_performance_model() -> None:
    cat, hw = load_catalog(), CatalogHardware()
    for key, system in cat.systems.items():
        unit = hw.hardware(key)
        assert (unit.key, unit.chip, unit.chips, unit.power_kw) == (key, system.chip, system.chips, system.power_kw)
        perf_hw = resolve_hardware(key)
        assert (perf_hw.key, perf_hw.chip, perf_hw.chips, perf_hw.power_kw) == (
            unit.key,
            unit.chip,
            unit.chips,
            unit.power_kw,
        )
    chip = cat.chip("h100-sxm")
    unit = hw.hardware("H100 SXM")  # an alias of a chip: a one-chip unit drawing its TDP
    assert (unit.key, unit.chips) == ("h100-sxm", 1) and unit.power_kw == pytest.approx((chip.tdp_w or 0) / 1000)


def test_catalog_hardware_needs_no_performance_figures_and_names_the_nearest() -> None:
    unit = CatalogHardware().hardware("ascend-910a")  # no memory figures: countable, not modelled
    assert (unit.chip, unit.chips) == ("ascend-910a", 1)
    with pytest.raises(InputError) as e:
        CatalogHardware().hardware("dgx-h10")
    assert "dgx-h100" in (e.value.hint or "")
