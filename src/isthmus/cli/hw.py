"""`isthmus hw list|show|compare`: browse the hardware catalogue, every figure with its source and kind."""

from __future__ import annotations

import click

from isthmus.cli._common import echo_json, format_option, stdout_console


@click.group(epilog="Example: isthmus hw compare H100 910C")
def command() -> None:
    """Browse the hardware catalogue: dense throughput, memory, links, power, prices, each with its source."""


@command.command("list", epilog="Example: isthmus hw list --vendor huawei")
@click.option("--vendor", type=click.Choice(["nvidia", "huawei"]), help="Only this vendor's parts.")
@format_option
def list_(vendor: str | None, fmt: str) -> int:
    """List chips and systems with their default figures."""
    from rich.table import Table

    from isthmus.plan.catalog import load_catalog
    from isthmus.plan.catalog_views import listing

    found = listing(load_catalog(), vendor)
    if fmt == "json":
        echo_json(found.to_json())
        return 0
    table = Table(title=f"Chips (dense; defaults where sources conflict; data as of {found.data_date})")
    for i, col in enumerate(found.chip_columns):
        table.add_column(col, justify="right" if i >= 3 else "left")
    for row in found.chip_rows():
        table.add_row(*row)
    systems_table = Table(title="Systems")
    for col in found.system_columns:
        systems_table.add_column(col)
    for row in found.system_rows():
        systems_table.add_row(*row)
    console = stdout_console()
    console.print(table)
    console.print(systems_table)
    console.print("Every figure's source and kind: isthmus hw show KEY")
    return 0


@command.command("show", epilog="Example: isthmus hw show 910C")
@click.argument("name")
@format_option
def show(name: str, fmt: str) -> int:
    """Show every figure of a chip or system with its source, kind and notes (all conflicting values)."""
    from rich.table import Table

    from isthmus.plan.catalog import load_catalog
    from isthmus.plan.catalog_views import datasheet

    sheet = datasheet(load_catalog(), name)
    if fmt == "json":
        echo_json(sheet.to_json())
        return 0
    console = stdout_console()
    console.print(f"[bold]{sheet.item.name}[/bold] ({sheet.item.key})")
    for line in sheet.meta_lines():
        console.print(f"  {line}")
    table = Table(title="Figures (* = default used by the planner)")
    for col in sheet.figure_columns:
        table.add_column(col, no_wrap=col != "as published / note")
    for row in sheet.figure_rows():
        table.add_row(*row)
    console.print(table)
    console.print("Sources:")
    for line in sheet.source_lines():
        console.print(f"  {line}")
    return 0


@command.command("compare", epilog="Example: isthmus hw compare H100 910C H20")
@click.argument("names", nargs=-1, required=True)
@format_option
def compare(names: tuple[str, ...], fmt: str) -> int:
    """Compare chips side by side; ratios are relative to the first. A system (any name `hw show` accepts) is
    compared through the chip it is built from, per chip."""
    from rich.markup import escape
    from rich.table import Table

    from isthmus.plan.catalog import load_catalog
    from isthmus.plan.catalog_views import compare as compare_parts

    if len(names) < 2:
        raise click.UsageError("give at least two chips or systems to compare")
    cmp = compare_parts(load_catalog(), names)
    if fmt == "json":
        echo_json(cmp.to_json())
        return 0
    table = Table(title=f"Side by side (ratio = value / {cmp.names[0]}; dense figures, catalogue defaults)")
    table.add_column("figure")
    for label in cmp.names:
        table.add_column(escape(label), justify="right")
    for row in cmp.table_rows():
        table.add_row(*row[:1], *(escape(c) for c in row[1:]))
    console = stdout_console()
    console.print(table)
    console.print("\\[kind] marks a default figure that is not from an official source; see isthmus hw show KEY")
    return 0
