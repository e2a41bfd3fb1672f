"""`isthmus assess`: the main job: every capability on one project, one report."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from isthmus.cli._common import TargetName, echo_json, format_option, stderr_console
from isthmus.errors import ExitCode


@click.command(epilog="Example: isthmus assess examples/tinygpt --out build/assess")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build/assess"),
    show_default=True,
    help="Directory for report.json, report.html and artefacts (replaced atomically).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    type=TargetName(),
    help="Target to assess for (repeatable). Default: isthmus.toml.",
)
@click.option("--only", multiple=True, help="Run only these sections (repeatable), e.g. --only scan.")
@click.option("--quick", is_flag=True, help="Fewer steps and smaller inputs (for CI).")
@click.option("--strict", is_flag=True, help="Exit 1 when any section fails or errors.")
@format_option
def command(
    path: Path,
    out: Path,
    targets: tuple[str, ...],
    only: tuple[str, ...],
    quick: bool,
    strict: bool,
    fmt: str,
) -> int:
    """Run every available capability on the project at PATH and write report.json and report.html."""
    from isthmus.assess import SECTIONS
    from isthmus.project import Project
    from isthmus.report import write_report
    from isthmus.targets import canonical

    project = Project.load(path)
    project.check_config()
    chosen = canonical(targets or project.config.targets)
    known = {key for key, _, _ in SECTIONS}
    bad = sorted(set(only) - known)
    if bad:
        raise click.BadParameter(
            f"unknown section(s) {', '.join(bad)}; choose from {', '.join(sorted(known))}",
            param_hint="--only",
        )
    console = stderr_console()
    quiet = stdout_to_stderr() if fmt == "json" else contextlib.nullcontext()
    with quiet, console.status("assessing…") as status:
        report = write_report(
            project,
            out,
            chosen,
            frozenset(only) if only else None,
            quick,
            on_section=lambda key, title: status.update(f"assess: {title}…"),
        )
    if fmt == "json":
        echo_json(report.to_json())
    else:
        colors = {"pass": "green", "warn": "yellow", "fail": "red", "skipped": "dim", "error": "magenta"}
        from rich.markup import escape  # summaries hold "[assess]" and other brackets that are not markup

        for s in report.sections:
            console.print(f"[{colors[s.status]}]{s.status:>7}[/]  {s.title:<22} {escape(s.summary)}")
        from isthmus.assess import SIDE_NAMES, summarize

        marks = {"ready": "green", "ready with caveats": "yellow", "not ready": "red", "not assessed": "dim"}
        for v in summarize(report).sides:
            side = f"{SIDE_NAMES.get(v.side, v.side)} ({', '.join(v.targets)})"
            console.print(f"[{marks[v.readiness]}]{v.readiness}[/]: {escape(side)}: {escape(v.why)}")
        console.print(f"report: {out / 'report.html'}")
    if strict and report.worst in ("fail", "error"):
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout meanwhile (Python or native code, e.g. a solver banner) to stderr,
    so that `--format json` prints only JSON on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
