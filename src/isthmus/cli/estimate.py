"""`isthmus estimate train|serve|models|calibration`: the performance model on the command line.

Exit code 0 when the estimate is feasible, 1 when it is not (out of memory, latency target missed), 2 on bad input.
"""

from __future__ import annotations

from typing import Any

import click

from isthmus.cli._common import echo_json, format_option, stdout_console

_TRAIN_EXAMPLE = "Example: isthmus estimate train llama3-70b dgx-h100 64 --seq-len 8192"
_SERVE_EXAMPLE = (
    "Example: isthmus estimate serve deepseek-r1 cloudmatrix-384 16 --precision int8 "
    "--prompt-len 2048 --output-len 512 --tpot-ms 50"
)


@click.group(epilog=_SERVE_EXAMPLE)
def command() -> None:
    """Estimate LLM training and serving performance on NVIDIA and Ascend systems.

    MODEL is a built-in name (`isthmus estimate models`) or a Hugging Face config.json; SYSTEM a catalogue system
    or chip (`isthmus hw`). Every answer says where the time goes (compute, memory, communication) and which
    bound dominates.
    """


def _gib(x: float) -> str:
    return f"{x:,.1f} GiB"


def _breakdown_rows(bd: Any) -> list[tuple[str, str]]:
    total = bd.total_s or 1.0
    return [
        (name, f"{v * 1e3:,.2f} ms ({v / total:.0%})")
        for name, v in (
            ("compute-bound", bd.compute_s),
            ("memory-bound", bd.memory_s),
            ("communication (exposed)", bd.comm_s),
            ("pipeline bubble", bd.bubble_s),
        )
    ] + [("communication (all)", f"{bd.comm_total_s * 1e3:,.2f} ms")]


def _print(title: str, rows: list[tuple[str, str]], ok: bool, reason: str) -> None:
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for k, v in rows:
        table.add_row(k, v)
    con = stdout_console()
    con.print(table)
    if not ok:
        con.print(f"[red]infeasible:[/red] {reason}")


@command.command("train", epilog=_TRAIN_EXAMPLE)
@click.argument("model")
@click.argument("system")
@click.argument("devices", type=click.IntRange(min=1))
@click.option("--precision", default="bf16", show_default=True, help="bf16, fp16, fp8 (matmuls).")
@click.option("--seq-len", default=4096, show_default=True, type=click.IntRange(min=1))
@click.option("--global-batch-tokens", type=click.IntRange(min=1), help="Tokens per step [max(4 Mi, devices x seq)].")
@click.option("--stack", help="Efficiency set: cuda, cann, ideal [from the chip's vendor].")
@format_option
def train_cmd(
    model: str,
    system: str,
    devices: int,
    precision: str,
    seq_len: int,
    global_batch_tokens: int | None,
    stack: str | None,
    fmt: str,
) -> int:
    """Step time, tokens/s and MFU of the best layout (TP x PP x DP x EP, micro-batch, recompute, ZeRO)."""
    from isthmus.plan.perfmodel import estimate_train, get_model

    spec = get_model(model)
    est = estimate_train(
        spec,
        system,
        devices,
        precision=precision,
        seq_len=seq_len,
        global_batch_tokens=global_batch_tokens,
        stack=stack,
    )
    if fmt == "json":
        echo_json({"model": spec.summary(), "system": system, **est.to_json()})
    else:
        rows = [
            ("layout", str(est.layout)),
            ("tokens/s", f"{est.tokens_per_s:,.0f}"),
            ("step time", f"{est.step_time_s:,.3f} s"),
            ("MFU", f"{est.mfu:.1%}"),
            ("TFLOPS / device", f"{est.tflops_per_device:,.0f}"),
            ("memory / device", f"{_gib(est.memory_gib)} of {_gib(est.capacity_gib)} usable"),
            ("bound", est.bound),
            *_breakdown_rows(est.breakdown),
        ]
        _print(
            f"train {spec.name} on {devices} x {system} ({precision}, seq {seq_len})", rows, est.feasible, est.reason
        )
    return 0 if est.feasible else 1


@command.command("serve", epilog=_SERVE_EXAMPLE)
@click.argument("model")
@click.argument("system")
@click.argument("devices", type=click.IntRange(min=1))
@click.option("--precision", default="bf16", show_default=True, help="bf16, fp16, fp8, int8 (W8A8), w4a8.")
@click.option("--prompt-len", required=True, type=click.IntRange(min=1), help="Mean prompt tokens.")
@click.option("--output-len", required=True, type=click.IntRange(min=1), help="Mean generated tokens.")
@click.option("--tpot-ms", type=click.FloatRange(min=0, min_open=True), help="Time-per-output-token target.")
@click.option("--ttft-ms", type=click.FloatRange(min=0, min_open=True), help="Time-to-first-token target.")
@click.option("--kv-dtype", help="KV-cache dtype: bf16, fp8, int8 [from the precision].")
@click.option("--stack", help="Efficiency set: cuda, cann, ideal [from the chip's vendor].")
@format_option
def serve_cmd(
    model: str,
    system: str,
    devices: int,
    precision: str,
    prompt_len: int,
    output_len: int,
    tpot_ms: float | None,
    ttft_ms: float | None,
    kv_dtype: str | None,
    stack: str | None,
    fmt: str,
) -> int:
    """Maximum output tokens/s within the latency targets (instance shape and batch searched)."""
    from isthmus.plan.perfmodel import estimate_serve, get_model

    spec = get_model(model)
    est = estimate_serve(
        spec,
        system,
        devices,
        precision=precision,
        prompt_len=prompt_len,
        output_len=output_len,
        tpot_ms=tpot_ms,
        ttft_ms=ttft_ms,
        stack=stack,
        kv_dtype=kv_dtype,
    )
    if fmt == "json":
        echo_json({"model": spec.summary(), "system": system, **est.to_json()})
    else:
        rows = [
            ("instance", f"{est.layout} x {est.instances}"),
            ("output tokens/s", f"{est.tokens_per_s:,.0f}"),
            ("per device", f"{est.tokens_per_s / devices:,.0f}"),
            ("TPOT", f"{est.tpot_ms:,.1f} ms"),
            ("TTFT", f"{est.ttft_ms:,.0f} ms"),
            ("sequences in flight", f"{est.batch:,}"),
            ("batch limited by", est.limited_by),
            ("weights / device", _gib(est.weights_gib_per_device)),
            ("KV cache / device", f"{_gib(est.kv_gib_per_device)} (usable {_gib(est.capacity_gib)})"),
            ("bound", est.bound),
            *_breakdown_rows(est.breakdown),
        ]
        _print(
            f"serve {spec.name} on {devices} x {system} ({precision}, {prompt_len}->{output_len})",
            rows,
            est.feasible,
            est.reason,
        )
    return 0 if est.feasible else 1


@command.command("models", epilog="Example: isthmus estimate models --format json")
@format_option
def models_cmd(fmt: str) -> int:
    """List the built-in models with their parameter counts and sources."""
    from isthmus.plan.perfmodel import get_model, list_models

    rows = [get_model(k).summary() | {"key": k} for k in list_models()]
    if fmt == "json":
        echo_json(rows)
        return 0
    from rich.table import Table

    table = Table("key", "kind", "attention", "total B", "active B", "source")
    for r in rows:
        table.add_row(
            r["key"], r["kind"], r["attention"], f"{r['total_params_b']:,}", f"{r['active_params_b']:,}", r["source"]
        )
    stdout_console().print(table)
    return 0


@command.command("calibration", epilog="Example: isthmus estimate calibration")
@format_option
def calibration_cmd(fmt: str) -> int:
    """Every published measurement the model is fitted on: measured, estimate, error (1 if any is over 25 %)."""
    from isthmus.plan.perfmodel.calibration import table

    rows = table()
    if fmt == "json":
        echo_json(
            [
                {
                    "id": r.id,
                    "stack": r.stack,
                    "measured": r.measured,
                    "estimate": r.estimate,
                    "error": r.error,
                    "unit": r.unit,
                }
                for r in rows
            ]
        )
    else:
        from rich.table import Table

        t = Table("record", "stack", "measured", "estimate", "error", "unit")
        for r in rows:
            t.add_row(r.id, r.stack, f"{r.measured:,.1f}", f"{r.estimate:,.1f}", f"{r.error:+.1%}", r.unit)
        stdout_console().print(t)
    return 0 if all(abs(r.error) <= 0.25 for r in rows) else 1
