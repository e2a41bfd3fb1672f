"""`isthmus plan`: plan a fleet from FLEET.yaml, re-plan under scenarios, or run a sweep of many."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from isthmus.cli._common import echo_json, format_option, stderr_console, stdout_console
from isthmus.errors import ExitCode, InputError


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"--date {value!r}: not a date", hint="write it as YYYY-MM-DD") from e


@click.command(
    "plan",
    epilog="Example: isthmus plan examples/fleet.yaml --scenario examples/scenario-us-gp10-2027.yaml "
    "--out build/plan\n\n"
    "Example: isthmus plan --sweep examples/sweep.yaml",
)
@click.argument("fleet", required=False, type=click.Path(path_type=Path))
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Scenario file (rule changes); all given files apply together. Repeatable.",
)
@click.option("--date", "date", metavar="YYYY-MM-DD", help="Planning date (default: the file's date, else today).")
@click.option("--out", type=click.Path(path_type=Path), help="Write plan.json, plan.md and plan.html here.")
@click.option("--sweep", type=click.Path(path_type=Path), help="Run the scenarios of a SWEEP.yaml in parallel.")
@click.option(
    "--ray",
    "ray",
    is_flag=False,
    flag_value="auto",
    default=None,
    metavar="[ADDRESS]",
    help="Run the sweep on a Ray cluster (address, or 'auto'); needs the ray extra.",
)
@click.option("--workers", type=click.IntRange(1, 256), help="Local worker processes for --sweep (default: CPUs).")
@format_option
def command(
    fleet: Path | None,
    scenarios: tuple[Path, ...],
    date: str | None,
    out: Path | None,
    sweep: Path | None,
    ray: str | None,
    workers: int | None,
    fmt: str,
) -> int:
    """Plan a fleet: what to deploy in each region, at what cost, under which rules.

    Solves a mixed-integer program (HiGHS) over the offers and workloads in FLEET, says why each offer was left
    out (or why no plan exists), prices the split against a world where any chip may go anywhere, and with
    --scenario re-plans and prints the difference.
    """
    on = _date(date)
    if sweep is not None:
        if fleet is not None or scenarios or out is not None:
            raise InputError("--sweep takes no FLEET, --scenario or --out", hint="the sweep file names its fleet")
        return _sweep(sweep, ray, workers, on, fmt)
    if ray is not None:
        raise InputError("--ray only applies to --sweep")
    if fleet is None:
        raise InputError("missing FLEET.yaml", hint="isthmus plan examples/fleet.yaml")
    from isthmus.plan.fleet import load_fleet, plan_fleet
    from isthmus.plan.fleet.render import print_report

    for s in scenarios:
        if not s.is_file():
            raise InputError(f"--scenario {s}: no such file")
    spec = load_fleet(fleet)
    with stderr_console().status("planning (performance model, rules, HiGHS)..."):
        report = plan_fleet(spec, on=on, scenarios=scenarios)
    if out is not None:
        _write(report, out)
        stderr_console().print(f"wrote {out}/plan.json, plan.md, plan.html")
    if fmt == "json":
        echo_json(report.to_json())
    else:
        print_report(report, stdout_console())
    return int(ExitCode.OK if report.base.feasible else ExitCode.FINDINGS)


def _write(report: object, out: Path) -> None:
    from isthmus.files import atomic_output_dir, atomic_write_json, atomic_write_text
    from isthmus.plan.fleet import plan_blocks, plan_title
    from isthmus.plan.fleet.render import markdown
    from isthmus.report import render_document

    with atomic_output_dir(out) as tmp:
        atomic_write_json(tmp / "plan.json", report.to_json())  # type: ignore[attr-defined]
        atomic_write_text(tmp / "plan.md", markdown(report))
        atomic_write_text(tmp / "plan.html", render_document(plan_title(report), plan_blocks(report)))


def _sweep(path: Path, ray: str | None, workers: int | None, on: dt.date | None, fmt: str) -> int:
    from isthmus.plan.fleet.sweep import load_sweep, print_sweep, run_sweep

    spec = load_sweep(path)
    console = stderr_console()
    with console.status(f"sweep: {len(spec.runs)} runs on {'Ray' if ray else 'local processes'}..."):
        results = run_sweep(spec, ray_address=ray, workers=workers, on=on)
    if fmt == "json":
        echo_json({"format": "isthmus-sweep/1", "runs": [r.to_json() for r in results]})
    else:
        print_sweep(results, stdout_console())
    return int(ExitCode.OK)
