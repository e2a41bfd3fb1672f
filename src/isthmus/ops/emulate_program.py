"""Emulation of whole programs (`isthmus run --emulate TARGET script.py`) and the human-readable report.

`program_emulation(...)` is a context-manager factory for `isthmus.accel.runner.run_program(contexts=...)`: it
emulates the target with device tracking on (host-side work such as data loading and module construction is not
checked), and writes the report when the program ends, however it ends. The runner enters it around the program,
so an exception the program raises leaves the emulation block and is recorded as the report's last entry.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from isthmus.files import atomic_write_json
from isthmus.ops.emulate import emulation
from isthmus.ops.emulate_report import KIND_ORDER, EmulateFinding, EmulationReport

if TYPE_CHECKING:
    import torch


def program_emulation(
    target: str,
    *,
    strict: bool = False,
    numerics: bool = False,
    compute_dtype: torch.dtype | None = None,
    report_path: Path | None = None,
    echo: Callable[[str], None] | None = None,
    sink: list[EmulationReport] | None = None,
) -> Callable[[], contextlib.AbstractContextManager[EmulationReport]]:
    """A factory of the emulation context for one program run; the report goes to `report_path` (JSON),
    `echo` (text) and `sink` (the object) when the program ends."""

    @contextlib.contextmanager
    def make() -> Iterator[EmulationReport]:
        report: EmulationReport | None = None
        try:
            with emulation(
                target, strict=strict, numerics=numerics, compute_dtype=compute_dtype, track_device=True
            ) as report:
                yield report
        finally:
            if report is not None:
                report.finish()
                if sink is not None:
                    sink.append(report)
                if report_path is not None:
                    atomic_write_json(report_path, report.to_json())
                if echo is not None:
                    echo(format_report(report))

    return make


_MAX_ROWS = 12  # per kind in the text report; the JSON report has every site


def _row(f: EmulateFinding, total: float) -> str:
    share = f"{100 * f.seconds / total:5.1f}%" if total > 0 and f.seconds else "    - "
    dts = ",".join(f.dtypes) or "-"
    return f"  {f.op:<40} {dts:<10} x{f.count:<5} {share}  {f.where} [{f.phase}]  {f.source}  -> {f.behaviour}"


def _rows(found: tuple[EmulateFinding, ...], total: float) -> list[str]:
    """Most-called sites first; the rest summed up in one line."""
    ranked = sorted(found, key=lambda f: -f.count)
    lines = [_row(f, total) for f in ranked[:_MAX_ROWS]]
    rest = ranked[_MAX_ROWS:]
    if rest:
        modules = len({f.module for f in rest})
        lines.append(
            f"  ... {len(rest)} more sites ({sum(f.count for f in rest)} calls, {modules} modules): see the JSON report"
        )
    return lines


def format_report(report: EmulationReport) -> str:
    """Plain-text report: one block per kind (most-called sites first), the crash last."""
    lines = [f"isthmus emulate: {report.summary()}", f"  registry: {report.registry_source}"]
    if report.numerics:
        lines.append(f"  numerics: {report.numerics_note}")
    titles = {
        "unsupported": "would fail (no kernel)",
        "fallback": "would fall back to the host CPU",
        "unverified": "unverified (ambiguous registry evidence)",
        "dtype": "dtypes the target lacks",
        "slow": "slow paths",
    }
    for kind in KIND_ORDER:
        found = report.of_kind(kind) if kind != "crash" else ()
        if found:
            lines.append(f"{titles[kind]} ({len(found)} sites):")
            lines += _rows(found, report.total_seconds)
            hints = {f.suggestion for f in found if f.suggestion}
            lines += [f"  hint: {h}" for h in sorted(hints)]
            if kind == "unverified":
                lines += [f"  {f.op}: {f.note}" for f in {f.op: f for f in found}.values()]
    if report.crash:
        c = report.crash
        lines.append(f"crashed: {c.op}: {c.note}")
        lines.append(f"  at {c.source or '?'}" + (f": {c.code}" if c.code else ""))
    return "\n".join(lines)


def echo_stderr(text: str) -> None:
    print(text, file=sys.stderr)
