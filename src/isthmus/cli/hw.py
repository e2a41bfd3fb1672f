"""`isthmus hw list|show|compare`: browse the hardware catalogue, every figure with its source and kind."""

from __future__ import annotations

from typing import Any

import click

from isthmus.cli._common import echo_json, format_option, stdout_console

# (label, field, unit) of the columns shown by `list` and `compare`
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("BF16", "bf16_tflops", "TFLOPS"),
    ("FP16", "fp16_tflops", "TFLOPS"),
    ("FP8", "fp8_tflops", "TFLOPS"),
    ("INT8", "int8_tops", "TOPS"),
    ("FP4", "fp4_tflops", "TFLOPS"),
    ("Memory", "memory_gib", "GiB"),
    ("Mem BW", "memory_bw_tbs", "TB/s"),
    ("Scale-up", "scaleup_bw_gbs", "GB/s/dir"),
    ("Scale-out", "scaleout_bw_gbs", "GB/s/dir"),
    ("TDP", "tdp_w", "W"),
    ("Die", "die_area_mm2", "mm2"),
    ("Price", "price_usd", "USD"),
    ("Rent", "rent_usd_per_hour", "USD/h"),
)

_SYSTEM_PER_CHIP = ("scaleup_bw_gbs", "scaleout_bw_gbs")  # system figures that are per chip (compare uses them)


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    if v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.1f}" if v >= 100 else f"{v:,.4g}"


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

    cat = load_catalog()
    chips = [c for c in cat.chips.values() if vendor in (None, c.vendor)]
    systems = [s for s in cat.systems.values() if vendor in (None, s.vendor)]
    if fmt == "json":
        echo_json(
            {
                "data_date": cat.data_date.isoformat(),
                "chips": [
                    {
                        "key": c.key,
                        "name": c.name,
                        "vendor": c.vendor,
                        "status": c.status,
                        **{f: c.value(f) for _, f, _ in _COLUMNS},
                    }
                    for c in chips
                ],
                "systems": [
                    {
                        "key": s.key,
                        "name": s.name,
                        "chip": s.chip,
                        "chips": s.chips,
                        "scaleup_domain": s.scaleup_domain,
                        "power_kw": s.power_kw,
                    }
                    for s in systems
                ],
            }
        )
        return 0
    shown = (*_COLUMNS[:8], _COLUMNS[9])
    table = Table(title=f"Chips (dense; defaults where sources conflict; data as of {cat.data_date})")
    table.add_column("key")
    table.add_column("name")
    table.add_column("status")
    for label, _, unit in shown:
        table.add_column(f"{label}\n{unit}", justify="right")
    for c in chips:
        table.add_row(c.key, c.name, c.status, *(_num(c.value(f)) for _, f, _ in shown))
    systems_table = Table(title="Systems")
    for col in ("key", "name", "chip", "chips", "scale-up domain", "power kW"):
        systems_table.add_column(col)
    for s in systems:
        systems_table.add_row(s.key, s.name, s.chip, str(s.chips), str(s.scaleup_domain), _num(s.power_kw))
    console = stdout_console()
    console.print(table)
    console.print(systems_table)
    console.print("Every figure's source and kind: isthmus hw show KEY")
    return 0


def _figure_rows(item: Any) -> list[dict[str, Any]]:
    return [f.to_json() for name in item.fields for f in item.figures(name)]


@command.command("show", epilog="Example: isthmus hw show 910C")
@click.argument("name")
@format_option
def show(name: str, fmt: str) -> int:
    """Show every figure of a chip or system with its source, kind and notes (all conflicting values)."""
    from rich.table import Table

    from isthmus.plan.catalog import Chip, load_catalog

    cat = load_catalog()
    item = cat.chip_or_system(name)
    rows = _figure_rows(item)
    if isinstance(item, Chip):
        meta = {
            "key": item.key,
            "name": item.name,
            "vendor": item.vendor,
            "status": item.status,
            "datacenter": item.datacenter,
            "designer_hq": item.designer_hq,
            "process": item.process,
            "release": item.release,
            "aliases": list(item.aliases),
            "note": item.note,
        }
    else:
        meta = {
            "key": item.key,
            "name": item.name,
            "vendor": item.vendor,
            "status": item.status,
            "chip": item.chip,
            "chips": item.chips,
            "scaleup_domain": item.scaleup_domain,
            "aliases": list(item.aliases),
            "note": item.note,
        }
    if fmt == "json":
        echo_json({**meta, "figures": rows, "data_date": cat.data_date.isoformat()})
        return 0
    console = stdout_console()
    console.print(f"[bold]{item.name}[/bold] ({item.key})")
    for k, v in meta.items():
        if k not in ("key", "name") and v not in ("", [], None):
            console.print(f"  {k}: {', '.join(v) if isinstance(v, list) else v}")
    table = Table(title="Figures (* = default used by the planner)")
    for col in ("field", "value", "kind", "source"):
        table.add_column(col, no_wrap=True)
    table.add_column("as published / note")
    for r in rows:
        detail = "; ".join(x for x in (r["quoted"], r["note"]) if x)
        value = "n/a" if r["value"] is None else f"{_num(r['value'])} {r['unit'].split(' ')[0]}"
        table.add_row(("* " if r["default"] else "  ") + r["field"], value, r["kind"], r["source"], detail)
    console.print(table)
    used = sorted({r["source"] for r in rows})
    console.print("Sources:")
    for sid in used:
        src = cat.sources.get(sid)
        if src:
            console.print(f"  {sid}: {src.title} ({src.kind}, {src.date or 'undated'}) {src.url}")
    return 0


@command.command("compare", epilog="Example: isthmus hw compare H100 910C H20")
@click.argument("names", nargs=-1, required=True)
@format_option
def compare(names: tuple[str, ...], fmt: str) -> int:
    """Compare chips side by side; ratios are relative to the first. A system (any name `hw show` accepts) is
    compared through the chip it is built from, per chip."""
    from rich.markup import escape
    from rich.table import Table

    from isthmus.plan.catalog import Chip, load_catalog

    if len(names) < 2:
        raise click.UsageError("give at least two chips or systems to compare")
    cat = load_catalog()
    items = [cat.chip_or_system(n) for n in names]
    chips = [item if isinstance(item, Chip) else cat.chip(item.chip) for item in items]
    labels = [item.key if isinstance(item, Chip) else f"{item.key} (per {item.chip})" for item in items]
    rows: list[dict[str, Any]] = []
    for label, field, unit in _COLUMNS:
        # a system's own per-chip bandwidths replace its chip's; every other figure is the chip's
        holders = [
            item if field in _SYSTEM_PER_CHIP and not isinstance(item, Chip) and item.value(field) is not None else c
            for item, c in zip(items, chips, strict=True)
        ]
        values = [h.value(field) for h in holders]
        b = values[0]
        ratios = [None if (v is None or not b) else v / b for v in values]
        rows.append(
            {
                "field": field,
                "label": label,
                "unit": unit,
                "values": values,
                "ratios": ratios,
                "kinds": [
                    h.figure(field).kind if v is not None else None for h, v in zip(holders, values, strict=True)
                ],
            }
        )
    if fmt == "json":
        echo_json({"chips": [c.key for c in chips], "names": labels, "baseline": labels[0], "rows": rows})
        return 0
    table = Table(title=f"Side by side (ratio = value / {labels[0]}; dense figures, catalogue defaults)")
    table.add_column("figure")
    for label in labels:
        table.add_column(escape(label), justify="right")
    for r in rows:
        cells = []
        for i, (v, ratio, kind) in enumerate(zip(r["values"], r["ratios"], r["kinds"], strict=True)):
            mark = "" if kind in (None, "official") else escape(f" [{kind}]")
            cells.append(_num(v) + ("" if ratio is None or i == 0 else f" ({ratio:.2f}x)") + mark)
        table.add_row(f"{r['label']} {r['unit']}", *cells)
    console = stdout_console()
    console.print(table)
    console.print("\\[kind] marks a default figure that is not from an official source; see isthmus hw show KEY")
    return 0
