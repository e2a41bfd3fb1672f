"""`isthmus ops`: the operators a model executes, checked against each target's operator registry."""

from __future__ import annotations

import click

from isthmus.cli._common import (
    TargetName,
    echo_json,
    format_option,
    parse_shape,
    stderr_console,
    stdout_console,
)
from isthmus.errors import ExitCode, InputError

_DTYPES = ("float32", "float16", "bfloat16", "float64")


@click.command(
    "ops",
    epilog="Example: isthmus ops examples/tinygpt/model.py:tiny --target cuda --target ascend-910b --train",
)
@click.argument("model", required=False)
@click.option("--target", "-t", "targets", multiple=True, type=TargetName(), help="Target to check (repeatable; "
              "isthmus ops --list-targets). [default: cuda, ascend-910b]")  # fmt: skip
@click.option("--torch-npu-version", help="torch_npu release whose operator list Ascend targets use [default: newest].")
@click.option("--input-shape", callback=parse_shape, help="Input shape, e.g. 1,128 (token ids for language models).")
@click.option("--dtype", type=click.Choice(_DTYPES), help="Cast the model and float inputs to this dtype.")
@click.option("--train", is_flag=True, help="Also capture backward and an AdamW optimizer step.")
@click.option(
    "--problems-only", is_flag=True, help="Show only operators that fall back, fail or are unverified somewhere."
)
@click.option("--fail-unverified", is_flag=True, help="Exit 1 when some operator is unverified (ambiguous registry "
              "evidence), as for a fallback.")  # fmt: skip
@click.option("--list-targets", is_flag=True, help="List the targets and their registries, then exit.")
@format_option
def command(
    model: str | None, targets: tuple[str, ...], torch_npu_version: str | None, input_shape: tuple[int, ...] | None,
    dtype: str | None, train: bool, problems_only: bool, fail_unverified: bool, list_targets: bool, fmt: str,
) -> int:  # fmt: skip
    """List the aten operators MODEL executes (captured on meta tensors: no weights, no memory) and whether
    each runs natively, decomposed, through a CPU fallback, or not at all on each target.

    MODEL is path/file.py:factory, package.module:factory, a Hugging Face directory with config.json, or a
    torch.export .pt2 file. MODEL runs as code: a .pt2 file can run code when loaded, like a .py factory, so only
    load files you trust. Exit code 1 when any target has fallbacks, failures or dtype problems (or, with
    --fail-unverified, operators whose registry evidence is ambiguous: listed only as their out= variant or only
    by older torch_npu releases).
    """
    from isthmus.ops.targets import get_target, targets_json, targets_lines
    from isthmus.targets import defaults

    if list_targets:
        if fmt == "json":
            echo_json(targets_json(torch_npu_version))
        else:
            click.echo("\n".join(targets_lines(torch_npu_version)))
        return int(ExitCode.OK)
    if not model:
        raise InputError("missing MODEL", hint="e.g. isthmus ops examples/tinygpt/model.py:tiny")
    chosen = targets or defaults()
    for t in chosen:  # fail fast on a typo, before any model is loaded
        get_target(t, torch_npu_version)

    from isthmus.extras import require

    require("torch", "isthmus ops")
    import torch

    from isthmus.ops.inventory import inventory
    from isthmus.ops.render import render_text

    with stderr_console().status(f"capturing the operators of {model} on meta tensors..."):
        inv = inventory(model, chosen, input_shape=input_shape, dtype=getattr(torch, dtype) if dtype else None,
                        train=train, torch_npu_version=torch_npu_version)  # fmt: skip
    if fmt == "json":
        echo_json(inv.to_json())
    else:
        render_text(inv, stdout_console(), problems_only)
    failed = inv.has_problems or (fail_unverified and inv.has_unverified)
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)
