"""`isthmus emulate`: run a model on the CPU as if it were on another target and report what would break."""

from __future__ import annotations

from pathlib import Path

import click

from isthmus.cli._common import echo_json, format_option, stderr_console
from isthmus.errors import ExitCode, InputError, IsthmusError


def _shape(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        shape = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as e:
        raise InputError(f"--input-shape {text!r} is not a list of integers", hint="e.g. --input-shape 1,128") from e
    if not shape or any(n <= 0 for n in shape):
        raise InputError(f"--input-shape {text!r} needs positive sizes", hint="e.g. --input-shape 1,128")
    return shape


@click.command(
    "emulate",
    epilog="Example: isthmus emulate examples/tinygpt/model.py:tiny --target ascend-910b --train --report emu.json",
)
@click.argument("model")
@click.option("--target", "-t", default="ascend-910b", show_default=True, help="Target profile (see isthmus ops "
              "--list-targets).")  # fmt: skip
@click.option("--torch-npu-version", help="torch_npu release whose operator list Ascend targets use [default: newest].")
@click.option("--strict", is_flag=True, help="Stop at the first operator or dtype the target cannot run.")
@click.option("--numerics", is_flag=True, help="Emulate the target's matmul arithmetic (autocast dtype, HF32/TF32).")
@click.option("--compute-dtype", type=click.Choice(["auto", "float16", "bfloat16", "float32"]), default="auto",
              show_default=True, help="With --numerics: autocast dtype of matmul-class results (auto: the "
              "target's default, float16 on Ascend; float32: no autocast).")  # fmt: skip
@click.option("--train", is_flag=True, help="Run forward, backward and an AdamW step (default: forward only).")
@click.option("--steps", type=click.IntRange(1, 10_000), default=1, show_default=True, help="Steps to run.")
@click.option("--input-shape", help="Input shape, e.g. 1,128 (token ids for language models).")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON report to this file (written even when the model crashes).",
)
@format_option
def command(
    model: str, target: str, torch_npu_version: str | None, strict: bool, numerics: bool, compute_dtype: str,
    train: bool, steps: int, input_shape: str | None, report: Path | None, fmt: str,
) -> int:  # fmt: skip
    """Run MODEL for real on the CPU under TARGET's operator registry and dtype rules, and list every operator
    and dtype that would fail, fall back to the host or be slow there, with module path, source line, count
    and time share.

    MODEL is path/file.py:factory, package.module:factory, a Hugging Face directory with config.json, or a
    torch.export .pt2 file. Exit code 1 when something would fail or fall back (or the model crashed).
    """
    from isthmus.files import atomic_write_json
    from isthmus.ops.emulate import resolve_target
    from isthmus.ops.emulate_program import format_report
    from isthmus.ops.emulate_run import emulate_model
    from isthmus.ops.numerics import parse_dtype, policy_for

    profile = resolve_target(target, torch_npu_version)  # a typo fails before the model loads
    shape = _shape(input_shape)
    dtype = None
    if numerics:
        auto = policy_for(profile.device_type).autocast_dtype
        dtype = parse_dtype(auto if compute_dtype == "auto" else compute_dtype)
    what = "training steps" if train else "forward passes"
    with stderr_console().status(f"emulating {target}: {steps} {what} of {model}..."):
        outcome = emulate_model(model, profile, strict=strict, numerics=numerics, compute_dtype=dtype, train=train,
                                steps=steps, input_shape=shape)  # fmt: skip
    rep = outcome.report
    if report is not None:
        atomic_write_json(report, rep.to_json())
    if fmt == "json":
        echo_json(rep.to_json())
    else:
        click.echo(format_report(rep))
    if report is not None:
        click.echo(f"report: {report}", err=True)
    err = outcome.error
    if isinstance(err, InputError):
        raise err
    if err is not None and not isinstance(err, IsthmusError):
        raise InputError(f"{model}: {type(err).__name__}: {err}") from err
    return int(ExitCode.FINDINGS) if rep.problems or rep.crash else int(ExitCode.OK)
