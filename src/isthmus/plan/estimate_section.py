"""Assess section "estimate": one model trained and served on an NVIDIA and an Ascend system, side by side.

The comparison is fixed so that reports are comparable between projects: Llama 3.1 70B, training on 64 devices at
sequence 8,192 and serving on 8 devices (2,048-token prompts, 512-token answers, TPOT <= 50 ms), each on a DGX H100
and a CloudMatrix 384 (Ascend 910C), at the precision each chip supports best (FP8 on H100, INT8 W8A8 on 910C).
"""

from __future__ import annotations

from typing import Any

from isthmus.report.html import bar_chart, esc, table
from isthmus.report.model import AssessContext, SectionResult, SectionStatus

MODEL = "llama3-70b"
SYSTEMS = (("dgx-h100", "fp8"), ("cloudmatrix-384", "int8"))
TRAIN_DEVICES, SEQ_LEN = 64, 8192
SERVE_DEVICES, PROMPT, OUTPUT, TPOT_MS = 8, 2048, 512, 50.0


def _rows() -> list[dict[str, Any]]:
    from isthmus.plan.perfmodel import estimate_serve, estimate_train, get_model

    spec = get_model(MODEL)
    rows: list[dict[str, Any]] = []
    for system, serve_precision in SYSTEMS:
        tr = estimate_train(spec, system, TRAIN_DEVICES, seq_len=SEQ_LEN)
        rows.append(
            {
                "system": system,
                "task": f"train {TRAIN_DEVICES} devices, bf16, seq {SEQ_LEN}",
                "feasible": tr.feasible,
                "tokens_per_s": tr.tokens_per_s,
                "detail": f"MFU {tr.mfu:.0%}, {tr.layout}",
                "bound": tr.bound,
                "reason": tr.reason,
                "breakdown": tr.breakdown.to_json(),
            }
        )
        sv = estimate_serve(
            spec,
            system,
            SERVE_DEVICES,
            precision=serve_precision,
            prompt_len=PROMPT,
            output_len=OUTPUT,
            tpot_ms=TPOT_MS,
        )
        rows.append(
            {
                "system": system,
                "task": f"serve {SERVE_DEVICES} devices, {serve_precision}, TPOT<={TPOT_MS:g}ms",
                "feasible": sv.feasible,
                "tokens_per_s": sv.tokens_per_s,
                "detail": f"{sv.layout} x {sv.instances}, batch {sv.batch}, TTFT {sv.ttft_ms:.0f} ms",
                "bound": sv.bound,
                "reason": sv.reason,
                "breakdown": sv.breakdown.to_json(),
            }
        )
    return rows


def section(ctx: AssessContext) -> SectionResult:
    """Estimate the reference comparison and render it with its bound breakdown."""
    rows = _rows()
    status: SectionStatus = "pass" if all(r["feasible"] for r in rows) else "warn"
    by_task: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_task.setdefault(r["task"].split()[0], []).append(r)
    ratios = []
    for task, pair in by_task.items():
        nv, asc = pair[0]["tokens_per_s"], pair[1]["tokens_per_s"]
        if nv > 0 and asc > 0:
            ratios.append(f"{task}: 910C/H100 per device {asc / nv:.2f}x")
    summary = f"{MODEL} on {SYSTEMS[0][0]} vs {SYSTEMS[1][0]}: " + "; ".join(ratios)
    html = table(
        ["system", "task", "tokens/s", "bound", "layout / detail", "note"],
        [(r["system"], r["task"], f"{r['tokens_per_s']:,.0f}", r["bound"], r["detail"], r["reason"]) for r in rows],
        numeric=[2],
    )
    html += bar_chart([(f"{r['system']} {r['task'].split()[0]}", r["tokens_per_s"]) for r in rows], " tok/s")
    html += (
        '<p class="muted">Estimates from isthmus.plan.perfmodel with efficiencies fitted on published '
        f"measurements (docs/perfmodel.md); not measured on this machine. Model {esc(MODEL)}.</p>"
    )
    return SectionResult("estimate", "Performance estimate", status, summary, {"model": MODEL, "rows": rows}, html)
