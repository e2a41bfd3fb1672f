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


class _AxisOption(click.Option):
    """--chips / --regions: the help names the default matrix axis, read from the data file only when shown."""

    def __init__(self, *args: Any, axis: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.axis, self.what = axis, kwargs.get("help", "")

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from isthmus.plan.compliance_views import default_axes

        self.help = f"{self.what} (default: {','.join(default_axes()[self.axis])})."
        return super().get_help_record(ctx)


def _split(value: str | None) -> list[str] | None:
    return value.split(",") if value else None


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
@click.option("--chips", cls=_AxisOption, axis=0, help="Comma-separated chips")
@click.option("--regions", cls=_AxisOption, axis=1, help="Comma-separated ISO country codes")
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

    from isthmus.plan.compliance_views import MATRIX_LEGEND, verdict_matrix

    a = _actor(actor)
    m = verdict_matrix(
        _split(chips),
        _split(regions),
        on=_date(date_),
        actor_hq=a["hq"],
        action=action,
        state_funded=a["state_funded"],
        scenarios=scenarios,
        us_person=a["us_person"],
        entity=a["entity"],
        listed_affiliate=a["listed_affiliate"],
    )
    if fmt == "json":
        echo_json(m.to_json())
        return 0
    colour = {"ok": "green", "disc": "yellow", "lic": "yellow", "cbc": "yellow"}
    table = Table(title=m.title)
    table.add_column("chip", no_wrap=True)
    for r in m.regions:
        table.add_column(r, justify="center")
    for chip, *cells in m.cells():
        table.add_row(chip, *(f"[{colour.get(c.rstrip('?'), 'red')}]{c}[/]" for c in cells))
    console = stdout_console()
    console.print(table)
    console.print(MATRIX_LEGEND)
    for w in m.warnings:
        console.print(f"[yellow]warning[/]: {w}")
    console.print(f"Rule data as of {m.data_date.isoformat()}. {m.notice}")
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
    from isthmus.plan.compliance_views import TPP_NOTE, classification_report

    if chip and tflops:
        raise click.UsageError("give a CHIP or --tflops/--bits figures, not both")
    _check_figures(tflops, die_area, io_bw, dram_bw)
    report = classification_report(
        chip,
        _date(date_) if date_ else None,
        tflops=tflops,
        bits=bits,
        die_area_mm2=die_area,
        datacenter=not consumer,
        io_bw_gbs=io_bw,
        dram_bw_gbs=dram_bw,
    )
    if fmt == "json":
        echo_json(report.to_json())
        return 0
    from rich.markup import escape

    console = stdout_console()
    console.print(f"[bold]{escape(report.part)}[/bold]")
    for r in report.classifications:
        end = r.vintage.effective_to.isoformat() if r.vintage.effective_to else "now"
        console.print(
            f"\n{r.vintage.effective_from.isoformat()} .. {end}: [bold]{r.eccn}[/bold] ({escape(r.paragraph)})"
        )
        for step in r.steps[1:-1]:
            console.print(f"  {escape(step)}")
    for w in report.warnings:
        console.print(f"[yellow]warning[/]: {escape(w)}")
    console.print(f"\n{TPP_NOTE} Rule data as of {report.data_date.isoformat()}. Not legal advice.")
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

    from isthmus.plan.compliance_views import rule_listing

    listing = rule_listing(jurisdiction, scenarios)
    if fmt == "json":
        echo_json(listing.to_json())
        return 0
    table = Table(title=listing.title)
    for col in listing.columns:
        table.add_column(col, no_wrap=col != "title")
    for row in listing.rows():
        table.add_row(*row[:-1], escape(row[-1]))
    console = stdout_console()
    console.print(table)
    console.print(listing.notice)
    return 0
