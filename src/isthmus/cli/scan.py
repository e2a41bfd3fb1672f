"""`isthmus scan` (find and fix CUDA-only code) and `isthmus rules` (the rule catalogue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from isthmus.cli._common import TargetName, echo_json, stderr_console, stdout_console


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


@click.command(
    "scan",
    epilog="Example: isthmus scan examples/tinygpt --fix --diff   (then: isthmus scan examples/tinygpt --format sarif)",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--target",
    type=TargetName(scan=True),
    default=None,
    help="Platform to port to: npu, cuda, any or a target (ascend-910c -> npu) [default: npu, or "
    "[tool.isthmus.scan].target].",
)
@click.option("--select", multiple=True, help="Rule codes or prefixes to run (comma-separated), e.g. IST1,IST401.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to skip (comma-separated).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text for people; json or SARIF 2.1.0 for machines (on stdout).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes (they cannot change behaviour on CUDA) in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff, also apply fixes that may change behaviour.")
@click.option("--diff", is_flag=True, help="Show the fixes as a unified diff (without --fix: write nothing).")
@click.option("--explain", "explain", metavar="CODE", help="Explain one rule (with bad/good examples) and exit.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of each finding.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default error).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="pyproject.toml to read [tool.isthmus.scan] from (default: the nearest one).",
)
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per CPU).")
def command(
    paths: tuple[Path, ...],
    target: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    explain: str | None,
    statistics: bool,
    exit_zero: bool,
    fail_on: str | None,
    config_path: Path | None,
    jobs: int | None,
) -> int:
    """Find CUDA-only code (and fix it with --fix): Python, requirements, launch scripts, CUDA sources."""
    from isthmus.errors import InputError
    from isthmus.scan import ScanOptions, check_codes, get_rule, load_config, to_json, to_sarif

    if explain:
        rule = get_rule(explain)
        if rule is None:
            raise InputError(f"unknown rule code {explain!r}", hint="list them with: isthmus rules")
        click.echo(f"{rule.heading()}\n\n{rule.explain()}")
        return 0
    paths = paths or (Path("."),)
    for p in paths:
        if not p.exists():  # a broken link named on the command line is the user's path, not a file in a tree
            what = "broken symbolic link (or a link loop)" if p.is_symlink() else "no such file or directory"
            raise InputError(f"{p}: {what}", hint="pass files or directories to scan")
    cfg = load_config(paths[0], config_path)
    options = ScanOptions(
        target=target or cfg.target or "npu",  # type: ignore[arg-type]
        select=_split(select) or cfg.select or ("ALL",),
        ignore=_split(ignore) + cfg.ignore,
        per_file_ignores=cfg.per_file_ignores,
        exclude=cfg.exclude,
        root=str(cfg.root or (paths[0] if paths[0].is_dir() else paths[0].parent)),
        jobs=jobs or 0,  # 0: one per CPU
    )
    check_codes(options.select + options.ignore)
    result = _run(paths, options)
    err = stderr_console()
    if fix or diff:
        written = _fix_all(result, options, unsafe_fixes, write=fix, diff=diff, err=err)
        if fix:
            result = _run(paths, options) if written else result
        elif diff:
            return 0
    threshold = fail_on or cfg.fail_on or "error"
    if fmt == "json":
        echo_json(to_json(result))
    elif fmt == "sarif":
        click.echo(json.dumps(to_sarif(result), indent=2))
    elif statistics:
        _print_statistics(result)
    else:
        _print_text(result)
    _print_summary(result, err)
    failing = result.at_or_above(threshold)
    return 0 if exit_zero or not failing else 1


def _fix_all(result: Any, options: Any, unsafe: bool, write: bool, diff: bool, err: Any) -> int:
    """Compute every file's fixes first, then write them (each file atomically, a symlink's target once).

    Nothing is written before every fix is known, so a file that cannot be fixed (not UTF-8, a result that
    does not compile) or an interrupt while fixing leaves every file as it was; the summary names what was
    written and what was not. Returns the number of files written."""
    import os

    from isthmus.scan import fix_file, write_fix

    root = Path(options.root)
    files = sorted({f.path for f in result.findings if f.fix and (f.fix.safe or unsafe)})
    seen: set[str] = set()
    todo = []
    for rel in files:
        full = str(root / rel)
        real = os.path.realpath(full)
        if real in seen:  # another path (a symlink) to a file already fixed
            err.print(f"{rel}: same file as another path here; fixed once", soft_wrap=True, highlight=False)
            continue
        seen.add(real)
        fr = fix_file(full, rel, options, unsafe=unsafe, write=False)
        if fr.error:
            err.print(f"[yellow]{rel}: {fr.error}[/]", soft_wrap=True, highlight=False)
        elif fr.changed:
            todo.append((full, fr))
    if diff:
        for _, fr in todo:
            click.echo(fr.diff(), nl=False)
    count = sum(len(fr.applied) for _, fr in todo)
    if not write:
        err.print(f"would fix {count} finding(s) in {len(todo)} file(s)", soft_wrap=True)
        return 0
    written = [fr.path for full, fr in todo if write_fix(full, fr)]
    err.print(f"fixed {count} finding(s) in {len(written)} file(s): {', '.join(written) or 'none'}", soft_wrap=True)
    return len(written)


def _run(paths: tuple[Path, ...], options: Any) -> Any:
    from rich.progress import Progress

    from isthmus.scan import scan

    with Progress(console=stderr_console(), transient=True) as progress:
        task = progress.add_task("scanning", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return scan([str(p) for p in paths], options, on_progress)


def _print_text(result: Any) -> None:
    from isthmus.scan import text_lines

    for line in text_lines(result):
        click.echo(line)


def _print_statistics(result: Any) -> None:
    from rich.table import Table

    from isthmus.scan import STATISTICS_COLUMNS, statistics_rows

    table = Table(*STATISTICS_COLUMNS)
    for row in statistics_rows(result):
        table.add_row(*row)
    stdout_console().print(table)


def _print_summary(result: Any, err: Any) -> None:
    from isthmus.scan import summary_text

    for r in result.errors:
        err.print(f"[yellow]{r.path}: {r.error}[/]", markup=True, highlight=False)
    err.print(summary_text(result), soft_wrap=True)


@click.command("rules", epilog="Example: isthmus rules --category device   (details: isthmus scan --explain IST101)")
@click.option("--category", default=None, help="Only this category (device, memory, amp, distributed, ...).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(category: str | None, fmt: str) -> int:
    """List the scan rules: code, name, category, severity, whether --fix can fix it."""
    from isthmus.scan import RULE_COLUMNS, rule_rows, rules_in

    selected = rules_in(category)
    if fmt == "json":
        echo_json([r.to_json() for r in selected])
        return 0
    from rich.table import Table

    table = Table(*RULE_COLUMNS)
    for row in rule_rows(selected):
        table.add_row(*row)
    stdout_console().print(table)
    return 0
