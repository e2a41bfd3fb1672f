"""Small helpers shared by the CLI command modules (output format option, JSON printing, stderr console)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines (on stdout).",
)


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
