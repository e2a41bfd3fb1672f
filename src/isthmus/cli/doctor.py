"""`isthmus doctor`: what this machine can run."""

from __future__ import annotations

import click

from isthmus.cli._common import echo_json, format_option, stdout_console


@click.command(epilog="Example: isthmus doctor --format json")
@format_option
def command(fmt: str) -> None:
    """Show Python, torch and its build, GPUs/NPUs, installed extras and what each capability is missing."""
    from isthmus.doctor import run_doctor

    report = run_doctor()
    if fmt == "json":
        echo_json(report.to_json())
        return
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
