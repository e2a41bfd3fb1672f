"""The calibration cases (`plan/data/calibration_cases.yaml`): published measurements as estimator inputs.

`predict(case)` runs the estimator the way the record was measured; `table()` gives record, measured, estimate and
error for every case. Only the peer comparison (benchmarks/compare_estimators.py) uses these eight cases now; the
same records, and 74 more, are in the back-test ledger (`ledger.py`), which the efficiency fit uses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from isthmus.plan.perfmodel import serve, train
from isthmus.plan.perfmodel.efficiency import Efficiency, get_efficiency
from isthmus.plan.perfmodel.hardware import resolve_hardware
from isthmus.plan.perfmodel.models import get_model
from isthmus.plan.perfmodel.precision import get_precision, kv_bytes


@dataclass(frozen=True)
class CalibrationCase:
    id: str
    stack: str
    kind: str  # train | prefill | decode | batch | serve
    metric: str
    measured: float
    unit: str
    source: str
    assumptions: str
    params: Mapping[str, Any]


@functools.lru_cache(maxsize=1)
def load_cases() -> tuple[CalibrationCase, ...]:
    text = (resources.files("isthmus.plan") / "data" / "calibration_cases.yaml").read_text(encoding="utf-8")
    out = []
    for raw in yaml.safe_load(text)["cases"]:
        head = {k: raw.pop(k) for k in ("id", "stack", "kind", "metric", "measured", "unit", "source")}
        out.append(CalibrationCase(**head, assumptions=raw.pop("assumptions", ""), params=raw))
    return tuple(out)


def predict(case: CalibrationCase, eff: Efficiency | None = None) -> float:
    """The estimate of `case.metric` under `eff` (default: the stack's fitted efficiency)."""
    p = case.params
    eff = eff or get_efficiency(case.stack)
    m, hw, prec = get_model(p["model"]), resolve_hardware(p["system"]), get_precision(p["precision"])
    if case.kind == "train":
        job = train._job(m, hw, eff, prec, p["devices"], p["seq_len"], p.get("global_batch_tokens", 4 * 2**20))
        est = train.search(job, constraints=p.get("layout"))
        return est.tflops_per_device if case.metric == "tflops_per_device" else est.tokens_per_s / p["devices"]
    setup = serve.Setup(m, hw, eff, prec, kv_bytes(prec, p.get("kv_dtype")))
    if case.kind == "prefill":
        return serve.prefill_throughput(
            setup, serve.ServeLayout(**p["instance"]), p["tokens_per_device"], p["prompt_len"]
        )
    if case.kind == "decode":
        return serve.decode_throughput(setup, serve.ServeLayout(**p["instance"]), p["batch_per_device"], p["context"])
    if case.kind == "batch":
        return serve.static_batch_throughput(
            setup,
            serve.ServeLayout(**p["instance"]),
            p["batch"],
            p["prompt_len"],
            p["output_len"],
            p.get("spec_tokens", 1),
            p.get("accepted", 1.0),
        )
    tpot, ttft = p.get("tpot_ms"), p.get("ttft_ms")
    targets = serve.Targets(
        p["prompt_len"], p["output_len"], tpot / 1e3 if tpot else None, ttft / 1e3 if ttft else None
    )
    served = serve.search(setup, targets, p["devices"])
    return served.tokens_per_s / (p["devices"] if case.metric == "tokens_per_s_per_device" else 1)


@dataclass(frozen=True)
class CalibrationRow:
    id: str
    stack: str
    measured: float
    estimate: float
    unit: str

    @property
    def error(self) -> float:
        """Relative error of the estimate, (estimate - measured) / measured."""
        return (self.estimate - self.measured) / self.measured


def table(effs: Mapping[str, Efficiency] | None = None) -> list[CalibrationRow]:
    """Every case with its measured value and estimate (under `effs` per stack, default the fitted file)."""
    return [
        CalibrationRow(c.id, c.stack, c.measured, predict(c, (effs or {}).get(c.stack)), c.unit) for c in load_cases()
    ]
