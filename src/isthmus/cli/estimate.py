"""`isthmus estimate train|serve|backtest|models|calibration`: the performance model on the command line.

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


def _emit(a: Any, title: str, fmt: str) -> int:
    if fmt == "json":
        echo_json(a.to_json())
    else:
        _print(title, a.rows(), a.feasible, a.reason)
    return 0 if a.feasible else 1


_STACK_HELP = (
    "Software stack whose fitted efficiencies apply: cuda, cann (vendor defaults), megatron, trtllm, sglang, vllm, "
    "deepseek, eager, compiled; mindspeed, mindformers, mindie, cm-infer, sglang (Ascend) [the vendor's default]."
)
_PREC_HELP = "bf16, fp16, fp8, mxfp8, int8/w8a8, w4a8, nvfp4, mxfp4, nvfp4-moe, mxfp4-moe."


@command.command("train", epilog=_TRAIN_EXAMPLE)
@click.argument("model")
@click.argument("system")
@click.argument("devices", type=click.IntRange(min=1))
@click.option("--precision", default="bf16", show_default=True, help=_PREC_HELP)
@click.option("--seq-len", default=4096, show_default=True, type=click.IntRange(min=1))
@click.option("--global-batch-tokens", type=click.IntRange(min=1), help="Tokens per step [max(4 Mi, devices x seq)].")
@click.option("--layout", help="Fix parts of the layout: tp=8,pp=16,dp=64,cp=1,ep=1,mb=1,zero=1 [searched].")
@click.option("--cp", type=click.IntRange(min=1), help="Context-parallel ranks per sequence (same as cp= in --layout).")
@click.option("--lora", is_flag=True, help="LoRA fine-tuning: frozen base weights, adapters only.")
@click.option("--stack", help=_STACK_HELP)
@format_option
def train_cmd(
    model: str,
    system: str,
    devices: int,
    precision: str,
    seq_len: int,
    global_batch_tokens: int | None,
    layout: str | None,
    cp: int | None,
    lora: bool,
    stack: str | None,
    fmt: str,
) -> int:
    """Step time, tokens/s and MFU of the best layout (TP x CP x PP x DP x EP, micro-batch, recompute, ZeRO)."""
    from isthmus.plan.perfmodel.ask import Question, answer, parse_layout

    fixed = parse_layout(layout or "", training=True)
    if cp is not None:
        fixed["cp"] = cp
    q = Question(
        "train",
        model,
        system,
        devices,
        precision,
        stack,
        fixed,
        seq_len=seq_len,
        global_batch_tokens=global_batch_tokens,
        lora=lora,
    )
    return _emit(answer(q), f"train {model} on {devices} x {system} ({precision}, seq {seq_len})", fmt)


@command.command("serve", epilog=_SERVE_EXAMPLE)
@click.argument("model")
@click.argument("system")
@click.argument("devices", type=click.IntRange(min=1))
@click.option("--precision", default="bf16", show_default=True, help=_PREC_HELP)
@click.option("--prompt-len", required=True, type=click.IntRange(min=1), help="Mean prompt tokens.")
@click.option("--output-len", type=click.IntRange(min=1), help="Mean generated tokens (not with --phase prefill).")
@click.option("--tpot-ms", type=click.FloatRange(min=0, min_open=True), help="Time-per-output-token target.")
@click.option("--ttft-ms", type=click.FloatRange(min=0, min_open=True), help="Time-to-first-token target.")
@click.option(
    "--phase",
    type=click.Choice(["mixed", "prefill", "decode", "both"]),
    default="mixed",
    show_default=True,
    help="mixed: one pool, continuous batching; prefill / decode: one disaggregated pool; both: prefill and "
    "decode pools with the KV transfer between them.",
)
@click.option("--batch", "--concurrency", "concurrency", type=click.IntRange(min=1), help="Fixed sequences in flight.")
@click.option("--max-concurrency", type=click.IntRange(min=1), help="Cap on sequences in flight [memory limit].")
@click.option("--layout", help="Instance shape: tp=4,dp=8 (dp = data-parallel attention) [searched].")
@click.option("--prefill-layout", help="With --phase both: the prefill instance shape.")
@click.option("--prefill-devices", type=click.IntRange(min=1), help="With --phase both: devices in the prefill pool.")
@click.option("--tokens-per-device", type=click.FloatRange(min=1), help="Prefill forward size [16,384].")
@click.option("--spec-decode", help="Speculative decoding mtp:K:ACCEPT (ACCEPT < 1: rate per draft; >= 1: length).")
@click.option("--eplb", type=click.FloatRange(min=1), default=1.0, show_default=True, help="Expert load max/mean.")
@click.option("--prefix-hit", type=click.FloatRange(min=0, max=1, max_open=True), default=0.0, show_default=True)
@click.option("--kv-dtype", help="KV-cache dtype: bf16, fp8, int8, fp4 [from the precision].")
@click.option("--stack", help=_STACK_HELP)
@format_option
def serve_cmd(
    model: str,
    system: str,
    devices: int,
    precision: str,
    prompt_len: int,
    output_len: int | None,
    tpot_ms: float | None,
    ttft_ms: float | None,
    phase: str,
    concurrency: int | None,
    max_concurrency: int | None,
    layout: str | None,
    prefill_layout: str | None,
    prefill_devices: int | None,
    tokens_per_device: float | None,
    spec_decode: str | None,
    eplb: float,
    prefix_hit: float,
    kv_dtype: str | None,
    stack: str | None,
    fmt: str,
) -> int:
    """Output tokens/s (prefill: prompt tokens/s) within the latency targets; shape and batch searched unless fixed."""
    from isthmus.errors import InputError
    from isthmus.plan.perfmodel.ask import Question, answer, parse_layout, parse_spec

    if output_len is None and phase != "prefill":
        raise InputError("--output-len is required", hint="give the mean generated tokens, or use --phase prefill")
    q = Question(
        "serve",
        model,
        system,
        devices,
        precision,
        stack,
        parse_layout(layout or "", training=False),
        phase=phase,
        prompt_len=prompt_len,
        output_len=output_len or 1,
        tpot_ms=tpot_ms,
        ttft_ms=ttft_ms,
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        spec=parse_spec(spec_decode) if spec_decode else None,
        eplb=eplb,
        prefix_hit=prefix_hit,
        kv_dtype=kv_dtype,
        tokens_per_device=tokens_per_device,
        prefill_devices=prefill_devices,
        prefill_layout=parse_layout(prefill_layout or "", training=False),
    )
    lengths = f"{prompt_len}" + (f"->{output_len}" if output_len else "")
    title = f"serve {model} on {devices} x {system} ({precision}, {lengths}, {phase})"
    return _emit(answer(q), title, fmt)


@command.command("backtest", epilog="Example: isthmus estimate backtest --split held-out")
@click.option("--split", type=click.Choice(["all", "fit", "held-out"]), default="all", show_default=True)
@format_option
def backtest_cmd(split: str, fmt: str) -> int:
    """Every published record of the ledger: prediction, error, assumptions; medians in and out of sample."""
    from isthmus.plan.perfmodel.ledger import LedgerRow, backtest, summary, summary_lines

    rows = backtest()
    summ = summary(rows)
    shown = [r for r in rows if split == "all" or r.record.split == split]
    if fmt == "json":
        echo_json({"summary": summ, "records": [r.to_json() for r in shown]})
        return 0
    from rich.table import Table

    t = Table(*LedgerRow.columns)
    for r in shown:
        t.add_row(*r.cells())
    con = stdout_console()
    con.print(t)
    con.print("[bold]assumed[/bold] (what each record does not state; the model's own defaults are in --format json)")
    for r in shown:
        con.print(f"  {r.record.id}: {r.record.notes}", markup=False, emoji=False)
    for line in summary_lines(summ):
        con.print(line, markup=False, emoji=False)
    return 0


@command.command("models", epilog="Example: isthmus estimate models --format json")
@format_option
def models_cmd(fmt: str) -> int:
    """List the built-in models with their parameter counts and sources."""
    from isthmus.plan.perfmodel.models import MODEL_COLUMNS, model_rows, model_summaries

    summaries = model_summaries()
    if fmt == "json":
        echo_json(summaries)
        return 0
    from rich.table import Table

    table = Table(*MODEL_COLUMNS)
    for row in model_rows(summaries):
        table.add_row(*row)
    stdout_console().print(table)
    return 0


# the ledger back-test supersedes the eight-record calibration table; the old name stays as an alias
command.add_command(backtest_cmd, "calibration")
