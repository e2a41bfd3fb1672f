"""`isthmus compliance check|matrix|classify|rules`: export-control verdicts from dated rule data.

Not legal advice: every output carries the rule data's date and says so, and answers for a date after it carry a
staleness warning. No date is refused: dates before the first AI-chip measure are answered with a caveat.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import click

from isthmus.cli._common import echo_json, format_option, stdout_console
from isthmus.errors import ExitCode, InputError

DEFAULT_REGIONS = ("US", "DE", "JP", "SG", "IN", "AE", "SA", "VN", "MY", "CN", "RU")
DEFAULT_CHIPS = ("a100", "h100-sxm", "h800", "h20", "h200", "b200", "rtx-pro-6000d", "ascend-910b2", "ascend-910c")


def _date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"bad date {value!r}", hint="use YYYY-MM-DD, e.g. 2026-03-01") from e


def _actor(pairs: tuple[str, ...]) -> dict[str, Any]:
    """Parse --actor hq=DE --actor state_funded=yes ... (also comma-separated in one option)."""
    out: dict[str, Any] = {
        "hq": "US",
        "state_funded": False,
        "us_person": False,
        "entity": None,
        "listed_affiliate": False,
    }
    truthy = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
    for item in (p for pair in pairs for p in pair.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        key, value = key.strip().lower().replace("-", "_"), value.strip()
        key = "listed_affiliate" if key == "affiliate" else key
        if not sep or key not in out:
            raise InputError(
                f"bad --actor {item!r}",
                hint="use hq=CC, state_funded=yes|no, us_person=yes|no, entity=NAME, listed_affiliate=yes|no",
            )
        if key in ("state_funded", "us_person", "listed_affiliate"):
            if value.lower() not in truthy:
                raise InputError(f"bad --actor {item!r}", hint=f"{key} takes yes or no")
            out[key] = truthy[value.lower()]
        else:
            out[key] = value
    return out


scenario_option = click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(path_type=Path),
    help="YAML file that adds, ends or changes rules (repeatable).",
)
actor_option = click.option(
    "--actor",
    "actor",
    multiple=True,
    metavar="KEY=VALUE",
    help="Actor attributes: hq=CC (headquarters / ultimate parent), state_funded=yes, "
    "us_person=yes, entity=huawei, listed_affiliate=yes (>= 50 % owned by Entity List / MEU / certain SDN "
    "parties: the Affiliates rule). Default hq=US.",
)


@click.group(epilog="Example: isthmus compliance check --chip H20 --to CN --actor hq=DE --date 2026-03-01")
def command() -> None:
    """Export-control verdicts, chip x region matrices and ECCN 3A090 classification (not legal advice)."""


@command.command(
    "check",
    epilog="Example: isthmus compliance check --chip H20 --to CN --actor hq=DE --action deploy --date 2026-03-01",
)
@click.option("--chip", required=True, help="Chip key or alias (see isthmus hw list).")
@click.option("--to", "destination", required=True, help="Destination country (ISO 3166-1 alpha-2).")
@actor_option
@click.option(
    "--action", default="deploy", show_default=True, help="export | reexport | transfer | purchase | deploy | use"
)
@click.option("--date", "date_", help="Date of the question, YYYY-MM-DD (default: today).")
@scenario_option
@format_option
def check_cmd(
    chip: str,
    destination: str,
    actor: tuple[str, ...],
    action: str,
    date_: str | None,
    scenarios: tuple[Path, ...],
    fmt: str,
) -> int:
    """Verdict for one chip, destination, actor, action and date, with every rule that fired.

    Exit code 0 when allowed (or only discouraged), 1 when a licence is needed or it is prohibited.
    """
    from isthmus.plan.policy import check

    a = _actor(actor)
    v = check(
        chip,
        destination,
        actor_hq=a["hq"],
        action=action,
        on=_date(date_),
        state_funded=a["state_funded"],
        us_person=a["us_person"],
        entity=a["entity"],
        listed_affiliate=a["listed_affiliate"],
        scenarios=scenarios,
    )
    if fmt == "json":
        echo_json(v.to_json())
    else:
        _print_verdict(v)
    return int(ExitCode.OK if v.allowed else ExitCode.FINDINGS)


def _print_verdict(v: Any) -> None:
    from rich.markup import escape

    console = stdout_console()
    colour = {"allowed": "green", "discouraged": "yellow"}.get(v.effect, "red")
    console.print(
        f"{v.chip} -> {v.destination}, actor hq={v.actor_hq}, {v.action}, on {v.on.isoformat()}: "
        f"[bold {colour}]{v.effect}[/] (confidence {v.confidence})"
    )
    if v.classification is not None:
        c = v.classification
        pd = "n/a" if c.pd is None else f"{c.pd:.2f}"
        tpp_text = "n/a" if c.tpp is None else f"{c.tpp:,.0f}"
        console.print(f"  3A090 ({c.vintage.key} vintage): {c.eccn} ({escape(c.paragraph)}), TPP {tpp_text}, PD {pd}")
    if v.scenarios:
        console.print(f"  scenarios: {', '.join(v.scenarios)}")
    if not v.rules:
        console.print("  no rule in the data applies")
    for r in v.rules:
        state = "" if r.enforced else " (not enforced)"
        state += f" (superseded by {r.superseded_by})" if r.superseded_by else ""
        console.print(f"  - {r.id} [{r.jurisdiction}] {r.effect}{state}, evidence {r.evidence}: {escape(r.title)}")
        console.print(f"      source: {escape(r.source)}")
        if r.note:
            console.print(f"      note: {escape(r.note)}")
    for reason in v.reasons:
        console.print(f"  confidence: {escape(reason)}")
    for w in v.warnings:
        console.print(f"  [yellow]warning[/]: {escape(w)}")
    console.print(f"Rule data as of {v.data_date.isoformat()}. {v.notice}")


@command.command("matrix", epilog="Example: isthmus compliance matrix --date 2026-03-01 --actor hq=US")
@click.option("--date", "date_", help="Date, YYYY-MM-DD (default: today).")
@click.option("--chips", help=f"Comma-separated chips (default: {','.join(DEFAULT_CHIPS)}).")
@click.option("--regions", help=f"Comma-separated ISO country codes (default: {','.join(DEFAULT_REGIONS)}).")
@actor_option
@click.option("--action", default="deploy", show_default=True)
@scenario_option
@format_option
def matrix_cmd(
    date_: str | None,
    chips: str | None,
    regions: str | None,
    actor: tuple[str, ...],
    action: str,
    scenarios: tuple[Path, ...],
    fmt: str,
) -> int:
    """Chips x regions: the effect for each pair on one date."""
    from rich.table import Table

    from isthmus.plan.policy import matrix

    a = _actor(actor)
    chip_list = [c.strip() for c in (chips.split(",") if chips else DEFAULT_CHIPS) if c.strip()]
    region_list = [r.strip().upper() for r in (regions.split(",") if regions else DEFAULT_REGIONS) if r.strip()]
    on = _date(date_)
    grid = matrix(
        chip_list,
        region_list,
        on=on,
        actor_hq=a["hq"],
        action=action,
        state_funded=a["state_funded"],
        scenarios=scenarios,
        us_person=a["us_person"],
        entity=a["entity"],
        listed_affiliate=a["listed_affiliate"],
    )
    first = grid[0][0]
    if fmt == "json":
        echo_json(
            {
                "on": on.isoformat(),
                "actor_hq": a["hq"],
                "action": action,
                "regions": region_list,
                "rows": [
                    {
                        "chip": row[0].chip,
                        "cells": [
                            {
                                "region": v.destination,
                                "effect": v.effect,
                                "confidence": v.confidence,
                                "rules": [r.id for r in v.deciding],
                            }
                            for v in row
                        ],
                    }
                    for row in grid
                ],
                "warnings": list(first.warnings),
                "data_date": first.data_date.isoformat(),
                "notice": first.notice,
            }
        )
        return 0
    short = {
        "allowed": "ok",
        "discouraged": "disc",
        "licence_required": "lic",
        "case_by_case": "cbc",
        "presumption_of_denial": "deny",
        "prohibited": "PROH",
    }
    colour = {"ok": "green", "disc": "yellow", "lic": "yellow", "cbc": "yellow"}
    table = Table(
        title=f"{action} on {on.isoformat()}, actor hq={a['hq']}" + (", state-funded" if a["state_funded"] else "")
    )
    table.add_column("chip", no_wrap=True)
    for r in region_list:
        table.add_column(r, justify="center")
    for row in grid:
        cells = []
        for v in row:
            s = short[v.effect] + ("?" if v.confidence == "low" else "")
            cells.append(f"[{colour.get(short[v.effect], 'red')}]{s}[/]")
        table.add_row(row[0].chip, *cells)
    console = stdout_console()
    console.print(table)
    console.print(
        "ok allowed, disc discouraged, lic licence required, cbc case-by-case licence, deny presumption "
        "of denial, PROH prohibited; ? = low confidence (press reports only). Reasons: isthmus compliance "
        "check --chip C --to R --date D"
    )
    for w in first.warnings:
        console.print(f"[yellow]warning[/]: {w}")
    console.print(f"Rule data as of {first.data_date.isoformat()}. {first.notice}")
    return 0


@command.command(
    "classify",
    epilog="Example: isthmus compliance classify H20   |   isthmus compliance classify "
    "--tflops 312 --bits 16 --die-area 826",
)
@click.argument("chip", required=False)
@click.option("--tflops", "tflops", multiple=True, type=float, help="Dense TFLOPS/TOPS (repeat, paired with --bits).")
@click.option("--bits", "bits", multiple=True, type=int, help="Bit length of each --tflops figure.")
@click.option("--die-area", type=float, help="Applicable (non-planar logic) die area in mm2.")
@click.option("--consumer", is_flag=True, help="Not designed or marketed for data centres (3A090 Note 2).")
@click.option("--io-bw", type=float, help="Aggregate bidirectional I/O in GB/s (Oct-2022 test).")
@click.option("--dram-bw", type=float, help="DRAM bandwidth in GB/s (Jan-2026 H200-class gate).")
@click.option("--date", "date_", help="Classify under the vintage in force on this date (default: every vintage).")
@format_option
def classify_cmd(
    chip: str | None,
    tflops: tuple[float, ...],
    bits: tuple[int, ...],
    die_area: float | None,
    consumer: bool,
    io_bw: float | None,
    dram_bw: float | None,
    date_: str | None,
    fmt: str,
) -> int:
    """TPP, performance density and the ECCN 3A090 class, with the arithmetic shown."""
    from isthmus.plan import tpp
    from isthmus.plan.policy import date_warnings, load_rules

    if chip and tflops:
        raise click.UsageError("give a CHIP or --tflops/--bits figures, not both")
    _check_figures(tflops, die_area, io_bw, dram_bw)
    rules = load_rules()
    vintages = tpp.VINTAGES
    on = _date(date_) if date_ else None
    warnings = date_warnings(on, rules) if on else ()
    if on is not None:
        v = tpp.vintage_on(on)
        vintages = (v,) if v else ()
        if v is None:
            first = tpp.VINTAGES[0].effective_from.isoformat()
            warnings = (f"no 3A090 rule was in force on {on.isoformat()} (the first starts {first}): not classified",)
    if chip:
        from isthmus.plan.catalog import load_catalog

        c = load_catalog().chip(chip)
        label = f"{c.name} ({c.key})"
        results = [tpp.classify_chip(c, vintage=v) for v in vintages]
    else:
        if not tflops or len(tflops) != len(bits):
            raise InputError("give a CHIP, or --tflops and --bits in pairs", hint="e.g. --tflops 312 --bits 16")
        by_bits = {b: p for p, b in tpp.BITS.items() if p not in ("bf16", "tf32", "int8")}
        bad = [b for b in bits if b not in by_bits]
        if bad:
            raise InputError(f"unsupported --bits {bad}", hint="use 4, 8, 16, 32 or 64")
        rates: dict[str, float | None] = {by_bits[b]: t for t, b in zip(tflops, bits, strict=True)}
        label = "custom part"
        results = [
            tpp.classify(
                rates, die_area_mm2=die_area, datacenter=not consumer, io_bw_gbs=io_bw, dram_bw_gbs=dram_bw, vintage=v
            )
            for v in vintages
        ]
    if fmt == "json":
        echo_json(
            {
                "part": label,
                "on": on.isoformat() if on else None,
                "warnings": list(warnings),
                "data_date": rules.data_date.isoformat(),
                "classifications": [
                    {
                        "vintage": r.vintage.key,
                        "title": r.vintage.title,
                        "effective_from": r.vintage.effective_from,
                        "eccn": r.eccn,
                        "paragraph": r.paragraph,
                        "tpp": r.tpp,
                        "pd": r.pd,
                        "h200_gate": r.h200_gate,
                        "steps": list(r.steps),
                    }
                    for r in results
                ],
            }
        )
        return 0
    from rich.markup import escape

    console = stdout_console()
    console.print(f"[bold]{escape(label)}[/bold]")
    for r in results:
        end = r.vintage.effective_to.isoformat() if r.vintage.effective_to else "now"
        console.print(
            f"\n{r.vintage.effective_from.isoformat()} .. {end}: [bold]{r.eccn}[/bold] ({escape(r.paragraph)})"
        )
        for step in r.steps[1:-1]:
            console.print(f"  {escape(step)}")
    for w in warnings:
        console.print(f"[yellow]warning[/]: {escape(w)}")
    console.print(
        "\nTPP = 2 x MacTOPS x bit length = dense TOPS x bits (88 FR 73458); PD = TPP / die area. "
        f"Rule data as of {rules.data_date.isoformat()}. Not legal advice."
    )
    return 0


def _check_figures(
    tflops: tuple[float, ...], die_area: float | None, io_bw: float | None, dram_bw: float | None
) -> None:
    """Every figure must be a finite, positive number (a zero, negative or NaN rate would classify as 'not 3A090')."""
    named = [("--tflops", t) for t in tflops] + [
        (opt, v) for opt, v in (("--die-area", die_area), ("--io-bw", io_bw), ("--dram-bw", dram_bw)) if v is not None
    ]
    for opt, value in named:
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"{opt} {value}: not a finite positive number", hint=f"give {opt} as a number > 0")


@command.command("rules", epilog="Example: isthmus compliance rules --jurisdiction CN")
@click.option("--jurisdiction", help="Only rules of this jurisdiction (US, CN, TW...).")
@scenario_option
@format_option
def rules_cmd(jurisdiction: str | None, scenarios: tuple[Path, ...], fmt: str) -> int:
    """List the rule data: ids, dates, effects, evidence grades."""
    from rich.markup import escape
    from rich.table import Table

    from isthmus.plan.policy import load_rules

    rs = load_rules()
    if scenarios:
        rs = rs.with_scenarios(scenarios)
    rules = [r for r in rs.rules if jurisdiction is None or r.jurisdiction == jurisdiction.upper()]
    if fmt == "json":
        echo_json({"data_date": rs.data_date, "notice": rs.notice, "rules": [r.model_dump(mode="json") for r in rules]})
        return 0
    table = Table(title=f"Rules (data as of {rs.data_date.isoformat()})")
    for col in ("id", "from", "to", "effect", "ev.", "title"):
        table.add_column(col, no_wrap=col != "title")
    for r in rules:
        to = r.effective_to.isoformat() if r.effective_to else ""
        effect = r.effect if r.enforced else f"{r.effect} (not enforced)"
        table.add_row(r.id, r.effective_from.isoformat(), to, effect, r.evidence, escape(r.title))
    console = stdout_console()
    console.print(table)
    console.print(rs.notice)
    return 0
