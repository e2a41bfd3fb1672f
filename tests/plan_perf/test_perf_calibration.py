"""The back-test ledger: sourced records, a split fixed by its rule, fitted fractions inside their bounds, and the
acceptance targets on the held-out records (the full back-test is marked slow; `pytest -s` prints it)."""

from __future__ import annotations

import pytest

from isthmus.plan.perfmodel.efficiency import FRACTIONS, efficiency_data, get_efficiency, list_stacks, plausible_bounds
from isthmus.plan.perfmodel.ledger import backtest, ledger_data, load_records, split_rule, summary


def test_ledger_records_are_sourced_and_split_by_the_rule() -> None:
    records = load_records()
    sources = ledger_data()["sources"]
    assert len(records) >= 60 and len({r.id for r in records}) == len(records)
    for r in records:
        assert r.split == split_rule(r.id), r.id  # the split written in the data is the documented rule's
        src = sources[r.source]
        assert src["url"] and src["date"] and src["kind"] in ("official", "third-party"), r.id
        assert r.measured > 0 and r.unit and r.vendor in ("nvidia", "huawei")
        assert (r.question is None) == bool(r.missing), r.id  # a record is asked, or names what is missing
        if r.question is not None:
            assert r.phase == ("train" if r.question.mode == "train" else r.phase)
    expressible = sum(r.question is not None for r in records)
    assert expressible / len(records) >= 0.85
    held = sum(r.split == "held-out" for r in records)
    assert 0.2 <= held / len(records) <= 0.5


def test_split_rule_is_deterministic_and_balanced() -> None:
    ids = [f"record-{i}" for i in range(300)]
    assert [split_rule(i) for i in ids] == [split_rule(i) for i in ids]
    share = sum(split_rule(i) == "held-out" for i in ids) / len(ids)
    assert 0.25 < share < 0.42  # one in three, by construction


def test_fitted_fractions_are_inside_their_plausible_bounds() -> None:
    bounds = plausible_bounds()
    for stack in list_stacks():
        if stack == "ideal":
            continue
        e = get_efficiency(stack)
        assert e.vendor in ("nvidia", "huawei") and (e.base in ("cuda", "cann") or stack in ("cuda", "cann"))
        for k in FRACTIONS:
            lo, hi = bounds[stack][k]
            assert lo - 1e-9 <= getattr(e, k) <= hi + 1e-9, (stack, k, getattr(e, k), (lo, hi))
    assert bounds["cuda"]["compute"][1] <= 0.80 and bounds["cuda"]["memory"][1] <= 0.90


def test_error_bands_come_from_the_held_out_records() -> None:
    bands = efficiency_data()["error_band"]
    held = [r for r in load_records() if r.split == "held-out" and r.question is not None]
    for phase in ("train", "prefill", "decode"):
        band = bands[phase]
        assert band["low"] <= 0.0 <= band["high"] or band["n"] < 3
        assert band["n"] == sum(r.phase == phase for r in held)


@pytest.mark.slow
def test_backtest_meets_the_targets() -> None:
    rows = backtest()
    s = summary(rows)
    print()
    for r in rows:
        err = "missing: " + "; ".join(r.record.missing) if r.error is None else f"{r.error:+7.1%}"
        print(f"{r.record.id:34s} {r.record.split:8s} {r.record.measured:10.0f} {r.estimate or 0:10.0f} {err}")
    held = s["held-out"]
    print({k: (v["n"], round(v["median_abs"], 3), round(v["median"], 3)) for k, v in held.items()})
    assert s["expressible_share"] >= 0.85
    assert held["all"]["median_abs"] <= 0.15
    for vendor in ("nvidia", "huawei"):
        assert abs(held[f"vendor:{vendor}"]["median"]) <= 0.10, vendor
    # the file's error bands were computed from exactly these held-out errors
    bands = efficiency_data()["error_band"]
    for phase in ("train", "decode"):
        errs = sorted(
            r.error for r in rows if r.error is not None and r.record.split == "held-out" and r.record.phase == phase
        )
        assert errs[0] <= bands[phase]["low"] + 1e-3 and bands[phase]["high"] - 1e-3 <= errs[-1]
