"""Small helpers shared by the CLI command modules (output format option, shape parsing, JSON printing, consoles)."""

from __future__ import annotations

import json
import sys
from typing import Any, get_args

import click

from isthmus.errors import InputError


class TargetName(click.ParamType):  # type: ignore[type-arg]
    """A target of the registry (data/targets.yaml) or one of its aliases, converted to the registry's name.

    `scan=True` also takes scan's rule families (npu, cuda, any) and converts a target to its family."""

    name = "target"

    def __init__(self, scan: bool = False) -> None:
        self.scan = scan

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "TARGET"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from isthmus import targets

        text = str(value).strip().lower()
        if self.scan:
            return text if text in get_args(targets.ScanFamily) else targets.get(text).scan
        return targets.get(text).name

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from isthmus import targets

        names = [*(get_args(targets.ScanFamily) if self.scan else ()), *targets.names()]
        return [CompletionItem(n) for n in names if n.startswith(incomplete)]


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
