"""`isthmus doctor`: what this machine can run, and whether its versions work together."""

from __future__ import annotations

import click

from isthmus.cli._common import echo_json, format_option, stdout_console
from isthmus.errors import ExitCode


@click.command(epilog="Example: isthmus doctor --format json")
@format_option
def command(fmt: str) -> int:
    """Show Python, torch and its build, GPUs/NPUs, CANN and its environment, installed extras, what each capability
    is missing, and whether the installed versions work together (with the nearest compatible set when they do not).

    Exit code 0 when nothing is broken, 1 when a check is an error (an incompatible set, torch that cannot import).
    """
    from isthmus.doctor import run_doctor

    report = run_doctor()
    code = int(ExitCode.FINDINGS if any(c.status == "error" for c in report.checks) else ExitCode.OK)
    if fmt == "json":
        echo_json(report.to_json())
        return code
    from rich.markup import escape
    from rich.table import Table

    marks = {
        "ok": "[green]ok[/]",
        "absent": "[dim]--[/]",
        "warn": "[yellow]warn[/]",
        "error": "[red]error[/]",
    }
    table = Table(show_header=True, header_style="bold", box=None)
    for col in ("group", "check", "status", "detail"):
        table.add_column(col)
    for c in report.checks:
        table.add_row(c.group, escape(c.name), marks[c.status], escape(c.detail))
    stdout_console().print(table)
    return code
