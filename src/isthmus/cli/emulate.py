"""`isthmus emulate`: run a model on the CPU as if it were on another target and report what would break."""

from __future__ import annotations

from pathlib import Path

import click

from isthmus.cli._common import TargetName, echo_json, format_option, parse_shape, stderr_console
from isthmus.errors import ExitCode, InputError, IsthmusError


@click.command(
    "emulate",
    epilog="Example: isthmus emulate examples/tinygpt/model.py:tiny --target ascend-910b --train --report emu.json",
)
@click.argument("model")
@click.option("--target", "-t", default="ascend-910b", show_default=True, type=TargetName(),
              help="Target profile (see isthmus ops --list-targets).")  # fmt: skip
@click.option("--torch-npu-version", help="torch_npu release whose operator list Ascend targets use [default: newest].")
@click.option("--strict", is_flag=True, help="Stop at the first operator or dtype the target cannot run.")
@click.option("--numerics", is_flag=True, help="Emulate the target's matmul arithmetic (autocast dtype, HF32/TF32).")
@click.option("--compute-dtype", type=click.Choice(["auto", "float16", "bfloat16", "float32"]), default="auto",
              show_default=True, help="With --numerics: autocast dtype of matmul-class results (auto: the "
              "target's default, float16 on Ascend; float32: no autocast).")  # fmt: skip
@click.option("--train", is_flag=True, help="Run forward, backward and an AdamW step (default: forward only).")
@click.option("--fail-unverified", is_flag=True, help="Exit 1 when some operator is unverified (ambiguous registry "
              "evidence), as for a fallback.")  # fmt: skip
@click.option("--steps", type=click.IntRange(1, 10_000), default=1, show_default=True, help="Steps to run.")
@click.option("--input-shape", callback=parse_shape, help="Input shape, e.g. 1,128 (token ids for language models).")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON report to this file (written even when the model crashes).",
)
@format_option
def command(
    model: str, target: str, torch_npu_version: str | None, strict: bool, numerics: bool, compute_dtype: str,
    train: bool, fail_unverified: bool, steps: int, input_shape: tuple[int, ...] | None, report: Path | None,
    fmt: str,
) -> int:  # fmt: skip
    """Run MODEL for real on the CPU under TARGET's operator registry and dtype rules, and list every operator
    and dtype that would fail, fall back to the host or be slow there, with module path, source line, count
    and time share.

    MODEL is path/file.py:factory, package.module:factory, a Hugging Face directory with config.json, or a
    torch.export .pt2 file. MODEL runs as code: a .pt2 file can run code when loaded, like a .py factory, so only
    load files you trust. Exit code 1 when something would fail or fall back, or the model crashed while it ran
    (with --fail-unverified also when an operator's registry evidence is ambiguous);
    2 for bad input (unknown target, a MODEL that cannot be found, imported or built: nothing is written).
    """
    from isthmus.extras import require
    from isthmus.files import atomic_write_json, check_output_file
    from isthmus.models import check_spec

    require("torch", "isthmus emulate")
    from isthmus.ops.emulate import resolve_target
    from isthmus.ops.emulate_program import format_report
    from isthmus.ops.emulate_run import emulate_model
    from isthmus.ops.numerics import parse_dtype, policy_for

    profile = resolve_target(target, torch_npu_version)  # a typo fails before the model loads
    check_spec(model)  # so does a model path that does not exist: one line, nothing written
    if report is not None:
        check_output_file(report, "--report file")
    dtype = None
    if numerics:
        auto = policy_for(profile.device_type).autocast_dtype
        dtype = parse_dtype(auto if compute_dtype == "auto" else compute_dtype)
    what = "training steps" if train else "forward passes"
    with stderr_console().status(f"emulating {target}: {steps} {what} of {model}..."):
        outcome = emulate_model(model, profile, strict=strict, numerics=numerics, compute_dtype=dtype, train=train,
                                steps=steps, input_shape=input_shape)  # fmt: skip
    rep, err = outcome.report, outcome.error
    if isinstance(err, InputError):
        # load_model reports every failure to import, call or build the model as InputError: nothing ran, so
        # there is no summary to print (it would read "no problems in 0 calls") and no report to write
        raise err
    if report is not None:
        atomic_write_json(report, rep.to_json())  # even when the model crashed: the crash is the last entry
        click.echo(f"report: {report}", err=True)
    if fmt == "json":
        echo_json(rep.to_json())
    else:
        click.echo(format_report(rep))
    if err is not None and not isinstance(err, IsthmusError):
        click.echo(f"isthmus: {model} raised {type(err).__name__} during the emulated run: {err}", err=True)
    failed = rep.problems or rep.crash or (fail_unverified and rep.unverified)
    return int(ExitCode.FINDINGS) if failed else int(ExitCode.OK)
