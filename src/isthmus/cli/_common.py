"""Small helpers shared by the CLI command modules (output format option, shape parsing, JSON printing, consoles)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from isthmus.errors import InputError

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines (on stdout).",
)


def parse_shape(_ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> tuple[int, ...] | None:
    """Click callback for shape options (`--input-shape 1,128`): a tuple of positive ints, or None when not given.

    Anything but comma-separated positive integers is an InputError (one line, exit 2) that says how to write it.
    """
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if not all(p.isdecimal() and int(p) > 0 for p in parts):
        option = param.opts[0] if param is not None and param.opts else "--input-shape"
        raise InputError(f"{option} {value!r}: use comma-separated positive integers, e.g. 1,128")
    return tuple(int(p) for p in parts)


def echo_json(obj: Any) -> None:
    """Print `obj` as JSON on stdout."""
    click.echo(json.dumps(obj, indent=2, default=str))


def stderr_console() -> Any:
    """A rich Console on stderr for progress and summaries (imported lazily: rich costs ~50 ms)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> Any:
    """A rich Console on stdout for tables of results."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True)
