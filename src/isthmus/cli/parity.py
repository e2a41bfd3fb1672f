"""`isthmus parity record|compare`: portable activation records and cross-platform comparison."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from isthmus.cli._common import TargetName, echo_json, format_option, parse_shape, stderr_console
from isthmus.errors import ExitCode, InputError

if TYPE_CHECKING:
    from isthmus.parity.format import Record


def _looks_like_model(arg: str) -> bool:
    """Whether `compare`'s first argument is a model spec rather than a record directory.

    A model is `file.py:factory` / `package.module:factory` (a ':'), a Hugging Face directory with config.json, or
    a `.pt2` file. Anything else that looks like a path (it exists or has a path separator) is meant as a record,
    so a mistyped record directory gets "no such record", not a complaint about model specs.
    """
    path = Path(arg)
    if path.suffix == ".pt2" or (path.is_dir() and (path / "config.json").is_file()):
        return True
    looks_like_path = path.exists() or "/" in arg or os.sep in arg
    return ":" in arg or not looks_like_path


def _load_run(arg: str) -> Record:
    """The record at `arg`, with a plain "no such record directory" for a path that does not exist."""
    from isthmus.parity import load_record

    if not Path(arg).exists():
        raise InputError(
            f"{arg}: no such record directory",
            hint="pass a directory written by `isthmus parity record`, or MODEL as path/file.py:factory",
        )
    return load_record(arg)


def _run_options(f: Any) -> Any:
    """Options shared by `record` and the on-the-fly side of `compare`."""
    f = click.option("--emulate", type=TargetName(), help="Emulate TARGET's arithmetic (e.g. ascend-910b).")(f)
    f = click.option("--autocast", metavar="DTYPE", help="Run under torch.autocast in bf16 or fp16.")(f)
    f = click.option("--dtype", metavar="DTYPE", help="Cast model and float inputs: fp32, bf16, fp16, fp64.")(f)
    device_help = "cpu, cuda[:N], npu[:N] or an accelerator plugin's name."
    f = click.option("--device", default="cpu", show_default=True, help=device_help)(f)
    return f


@click.group(epilog="Example: isthmus parity record examples/tinygpt/model.py:tiny -o runs/cpu")
def command() -> None:
    """Record activations on one platform, compare on another, find the first divergent module."""


@command.command(epilog="Example: isthmus parity record examples/tinygpt/model.py:tiny --autocast bf16 -o runs/bf16")
@click.argument("model")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="Record directory.")
@click.option("--inputs", type=click.Path(path_type=Path), help="Inputs: a safetensors file (input_0, input_1...).")
@click.option("--seed", default=0, show_default=True, help="Seed for the model, generated inputs and the run.")
@click.option("--input-shape", callback=parse_shape, help="Generate inputs of this shape from --seed (e.g. 1,512).")
@_run_options
@click.option("--backward", is_flag=True, help="Also record input and parameter gradients of one backward.")
@click.option("--full", multiple=True, metavar="PATTERN", help="Keep whole outputs of modules matching this glob.")
@click.option("--samples", default=4096, show_default=True, help="Elements sampled per tensor.")
@format_option
def record(
    model: str,
    out: Path,
    inputs: Path | None,
    seed: int,
    input_shape: tuple[int, ...] | None,
    device: str,
    dtype: str | None,
    autocast: str | None,
    emulate: str | None,
    backward: bool,
    full: tuple[str, ...],
    samples: int,
    fmt: str,
) -> int:
    """Run MODEL once and write a portable record (manifest.json + tensors.safetensors) to --out.

    MODEL is path/file.py:factory, package.module:factory, a Hugging Face directory with config.json, or a
    torch.export .pt2 file. MODEL runs as code: a .pt2 file can run code when loaded, like a .py factory, so only
    load files you trust. Records themselves are JSON and safetensors, never pickle.
    """
    import time

    from isthmus.extras import require

    require("torch", "isthmus parity")
    from isthmus.parity import InputSpec, RecordOptions, record_model, save_record, written_line, written_summary

    if inputs is not None and input_shape is not None:
        raise InputError("--inputs and --input-shape both given", hint="use one source of inputs")
    opts = RecordOptions(
        device=device,
        dtype=dtype,
        autocast=autocast,
        backward=backward,
        full=full,
        samples=samples,
        seed=seed,
        emulate=emulate,
    )
    t0 = time.perf_counter()
    with stderr_console().status(f"recording {model} on {device}"):
        rec = record_model(model, InputSpec(file=inputs, shape=input_shape), opts)
        save_record(rec, out)
    info = written_summary(rec, out, time.perf_counter() - t0)
    if fmt == "json":
        echo_json(info)
    else:
        click.echo(written_line(rec, info))
    return int(ExitCode.OK)


@command.command(
    epilog="Example: isthmus parity compare runs/cpu runs/bf16   "
    "(or: isthmus parity compare examples/tinygpt/model.py:tiny runs/cpu --device cuda)"
)
@click.argument("first")
@click.argument("second")
@_run_options
@click.option("--allow-mismatch", is_flag=True, help="Compare even when weights or inputs differ.")
@click.option("--save", "save_b", type=click.Path(path_type=Path), help="Keep the on-the-fly record here.")
@click.option("--all", "show_all", is_flag=True, help="Show every row, not only the failures.")
@format_option
def compare(
    first: str,
    second: str,
    device: str,
    dtype: str | None,
    autocast: str | None,
    emulate: str | None,
    allow_mismatch: bool,
    save_b: Path | None,
    show_all: bool,
    fmt: str,
) -> int:
    """Compare RUN_A with RUN_B, or record MODEL on --device with RUN_A's inputs and compare (FIRST SECOND).

    Exit status 1 when any module is outside tolerance or missing, 0 when all pass.
    """
    from isthmus.extras import require

    require("torch", "isthmus parity")
    from isthmus.parity import compare as compare_records
    from isthmus.parity import is_record_dir, record_against, save_record, text_lines, to_json

    if is_record_dir(Path(first)) or not _looks_like_model(first):
        a, b = _load_run(first), _load_run(second)
        if save_b is not None:
            raise InputError("--save applies only when recording on the fly (compare MODEL RUN_A)")
    else:
        a = _load_run(second)
        with stderr_console().status(f"recording {first} on {device}"):
            b = record_against(first, a, device=device, dtype=dtype, autocast=autocast, emulate=emulate)
        if save_b is not None:
            save_record(b, save_b)
    result = compare_records(a, b, allow_mismatch=allow_mismatch)
    if fmt == "json":
        echo_json(to_json(result))
    else:
        click.echo("\n".join(text_lines(result, show_all=show_all)))
    return int(ExitCode.OK if result.passed else ExitCode.FINDINGS)
