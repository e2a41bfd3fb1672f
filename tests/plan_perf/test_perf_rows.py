"""The lines `isthmus estimate` prints, built by the library from small hand-made answers and ledger rows."""

from __future__ import annotations

import json

from isthmus.plan.perfmodel.ask import Answer, Question
from isthmus.plan.perfmodel.ledger import LedgerRecord, LedgerRow, summary, summary_lines
from isthmus.plan.perfmodel.models import MODEL_COLUMNS, list_models, model_rows, model_summaries

_BREAKDOWN = {"total_s": 2.0, "bound": "compute", "compute_s": 1.5, "memory_s": 0.3, "comm_exposed_s": 0.2}


def _answer(detail: dict[str, object], band: tuple[float, float] | None = (-0.1, 0.2)) -> Answer:
    q = Question("train", "llama3-8b", "dgx-h100", 8)
    metrics = {"mfu": 0.412, "step_time_s": 1.23456, "not_shown": 7.0}
    return Answer(q, True, "", metrics, "megatron", ("seq 4096",), band, detail)


def test_answer_rows_show_metrics_stack_band_and_where_the_time_goes() -> None:
    detail = {"layout": {"text": "tp=8"}, "memory_gib": 61.25, "capacity_gib": 74.0}
    rows = _answer({**detail, "breakdown": {**_BREAKDOWN, "bubble_s": 0.0}}).rows()
    assert rows[:5] == [
        ("MFU", "41.2%"),
        ("step time", "1.235 s"),
        ("software stack", "megatron"),
        ("error band (held-out)", "-10% .. +20%"),
        ("assumes", "seq 4096"),
    ]
    shown = dict(rows)
    assert "not_shown" not in str(rows)
    assert shown["layout"] == "tp=8" and shown["memory / device"] == "61.2 GiB of 74.0 GiB usable"
    assert shown["bound"] == "compute" and shown["compute-bound"] == "1,500.00 ms (75%)"
    assert shown["pipeline bubble"] == "0.00 ms (0%)"


def test_answer_rows_of_disaggregated_pools_use_the_decode_pool() -> None:
    decode = {"layout": "tp=4", "limited_by": "memory", "breakdown": {**_BREAKDOWN, "bubble_s": 0.0}}
    detail = {
        "prefill_devices": 16,
        "decode_devices": 16,
        "limited_by": "decode",
        "kv_transfer_ms": 3.25,
        "decode": decode,
    }
    shown = dict(_answer(detail, band=None).rows())
    assert "error band (held-out)" not in shown
    assert shown["pools"] == "16 prefill + 16 decode devices"
    assert shown["limited by"] == "decode (KV transfer 3.2 ms/request)"
    assert shown["layout"] == "tp=4" and shown["batch limited by"] == "memory"


def _record(rid: str, split: str, missing: tuple[str, ...] = (), notes: str = "") -> LedgerRecord:
    return LedgerRecord(
        rid, "SRC", "nvidia", "vllm", "decode", "tokens_per_s", 100.0, "tok/s", notes, split, None, missing
    )


def test_ledger_rows_show_the_error_or_what_is_missing() -> None:
    ok = LedgerRow(_record("a", "fit", notes="batch assumed"), 110.0, ("fp8",), True)
    missing = LedgerRow(_record("b", "held-out", missing=("fp4 kv", "eagle")), None, (), False)
    assert ok.cells() == ["a", "nvidia", "vllm", "decode", "fit", "100", "110", "+10.0%", "tok/s"]
    assert missing.cells()[6:8] == ["-", "missing: fp4 kv; eagle"]
    assert len(ok.cells()) == len(LedgerRow.columns)
    data = json.loads(json.dumps(ok.to_json()))
    assert data["assumptions"] == ["fp8", "batch assumed"] and abs(data["error"] - 0.1) < 1e-12
    assert json.loads(json.dumps(missing.to_json()))["missing"] == ["fp4 kv", "eagle"]


def test_summary_lines_give_medians_per_split() -> None:
    rows = [
        LedgerRow(_record("a", "fit"), 110.0, (), True),
        LedgerRow(_record("b", "fit"), 80.0, (), True),
        LedgerRow(_record("c", "held-out", missing=("x",)), None, (), False),
    ]
    lines = summary_lines(summary(rows))
    assert lines[0].startswith("fit median |error|  all: 15.0% (n 2, signed -5.0%)")
    assert "vendor=nvidia: 15.0%" in lines[0]
    assert lines[1] == "held-out median |error|  "  # nothing expressible held out
    assert lines[2] == "expressible: 2 of 3 (67%)"


def test_model_rows_cover_every_built_in_model() -> None:
    summaries = model_summaries()
    rows = model_rows(summaries)
    assert [r[0] for r in rows] == list_models()
    assert all(len(r) == len(MODEL_COLUMNS) for r in rows)
    made = {"key": "k", "kind": "moe", "attention": "mla", "total_params_b": 1234.5, "active_params_b": 37.0}
    assert model_rows([{**made, "source": "S"}]) == [["k", "moe", "mla", "1,234.5", "37.0", "S"]]
