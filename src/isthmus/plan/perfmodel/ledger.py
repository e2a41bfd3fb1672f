"""The back-test ledger (`plan/data/perf_ledger.yaml`): published measurements as questions, and how the model does.

`backtest()` answers every expressible record through `ask.answer` (the CLI's own path) and returns its
prediction, error and assumptions; `summary()` gives the median |error| in- and out-of-sample, by vendor and by
phase. The split into fit and held-out records is fixed in the data by `split_rule` before any fitting.
"""

from __future__ import annotations

import functools
import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import yaml

from isthmus.plan.perfmodel.ask import Answer, Question, answer
from isthmus.plan.perfmodel.efficiency import Efficiency


def split_rule(record_id: str) -> str:
    """held-out when sha256(id) is divisible by 3, else fit (the rule the data file's `split` fields follow)."""
    return "held-out" if int(hashlib.sha256(record_id.encode()).hexdigest(), 16) % 3 == 0 else "fit"


@dataclass(frozen=True)
class LedgerRecord:
    id: str
    source: str
    vendor: str
    stack: str
    phase: str  # train | prefill | decode
    metric: str
    measured: float
    unit: str
    notes: str
    split: str
    question: Question | None  # None: not expressible
    missing: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def ledger_data() -> dict[str, Any]:
    text = (resources.files("isthmus.plan") / "data" / "perf_ledger.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@functools.lru_cache(maxsize=1)
def load_records() -> tuple[LedgerRecord, ...]:
    out = []
    for raw in ledger_data()["records"]:
        q = raw.get("question")
        question = None if q is None else Question.from_mapping({**q, "stack": q.get("stack", raw["stack"])})
        out.append(
            LedgerRecord(
                raw["id"],
                raw["source"],
                raw["vendor"],
                raw["stack"],
                raw["phase"],
                raw["metric"],
                float(raw["measured"]),
                raw["unit"],
                raw.get("notes", ""),
                raw["split"],
                question,
                tuple(raw.get("missing", ())),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class LedgerRow:
    record: LedgerRecord
    estimate: float | None  # None: not expressible
    assumptions: tuple[str, ...]
    feasible: bool

    @property
    def error(self) -> float | None:
        """(estimate - measured) / measured; None when the record cannot be asked."""
        return None if self.estimate is None else (self.estimate - self.record.measured) / self.record.measured

    columns: ClassVar[tuple[str, ...]] = (
        "record",
        "vendor",
        "stack",
        "phase",
        "split",
        "measured",
        "estimate",
        "error",
        "unit",
    )

    def cells(self) -> list[str]:
        """The table row for people (`columns`): the error, or what the record lacks when it cannot be asked."""
        rec = self.record
        est = "-" if self.estimate is None else f"{self.estimate:,.0f}"
        err = "missing: " + "; ".join(rec.missing) if self.error is None else f"{self.error:+.1%}"
        return [rec.id, rec.vendor, rec.stack, rec.phase, rec.split, f"{rec.measured:,.0f}", est, err, rec.unit]

    def to_json(self) -> dict[str, Any]:
        rec = self.record
        return {
            "id": rec.id,
            "vendor": rec.vendor,
            "stack": rec.stack,
            "phase": rec.phase,
            "split": rec.split,
            "metric": rec.metric,
            "measured": rec.measured,
            "estimate": self.estimate,
            "error": self.error,
            "unit": rec.unit,
            "source": rec.source,
            "assumptions": list(self.assumptions) + ([rec.notes] if rec.notes else []),
            "missing": list(rec.missing),
        }


def predict(rec: LedgerRecord, effs: Mapping[str, Efficiency] | None = None) -> Answer:
    """The answer to `rec`'s question (optionally under other efficiencies, keyed by stack, for fitting)."""
    if rec.question is None:
        raise ValueError(f"{rec.id} is not expressible: {', '.join(rec.missing)}")
    if effs and rec.stack in effs:
        from isthmus.plan.perfmodel import ask

        return ask.answer(rec.question, eff_override=effs[rec.stack])
    return answer(rec.question)


def backtest(
    records: Iterable[LedgerRecord] | None = None, effs: Mapping[str, Efficiency] | None = None
) -> list[LedgerRow]:
    rows = []
    for rec in records if records is not None else load_records():
        if rec.question is None:
            rows.append(LedgerRow(rec, None, (), False))
            continue
        a = predict(rec, effs)
        rows.append(LedgerRow(rec, a.metrics[rec.metric], a.assumptions, a.feasible))
    return rows


def _median(xs: Sequence[float]) -> float | None:
    return statistics.median(xs) if xs else None


def summary(rows: Sequence[LedgerRow]) -> dict[str, Any]:
    """Median |error| and median signed error per split, vendor and phase; the share of expressible records."""
    done = [r for r in rows if r.error is not None]

    def stats(sel: list[LedgerRow]) -> dict[str, Any]:
        errs = [r.error for r in sel if r.error is not None]
        return {"n": len(errs), "median_abs": _median([abs(e) for e in errs]), "median": _median(errs)}

    out: dict[str, Any] = {
        "records": len(rows),
        "expressible": len(done),
        "expressible_share": len(done) / len(rows) if rows else 0.0,
        "missing_features": sorted({m for r in rows for m in r.record.missing}),
    }
    for split in ("fit", "held-out"):
        mine = [r for r in done if r.record.split == split]
        out[split] = {"all": stats(mine)}
        for key, attr in (("vendor", "vendor"), ("phase", "phase")):
            for v in sorted({getattr(r.record, attr) for r in mine}):
                out[split][f"{key}:{v}"] = stats([r for r in mine if getattr(r.record, attr) == v])
    return out


def summary_lines(summ: Mapping[str, Any]) -> list[str]:
    """`summary()` in words: the median |error| per split (all, by vendor, by phase), then the expressible share."""
    lines = []
    for sp in ("fit", "held-out"):
        parts = [
            f"{k.replace(':', '=')}: {v['median_abs']:.1%} (n {v['n']}, signed {v['median']:+.1%})"
            for k, v in summ[sp].items()
            if v["n"]
        ]
        lines.append(f"{sp} median |error|  " + "; ".join(parts))
    lines.append(f"expressible: {summ['expressible']} of {summ['records']} ({summ['expressible_share']:.0%})")
    return lines
