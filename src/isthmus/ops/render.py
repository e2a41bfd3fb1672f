"""Text rendering of an inventory for people: one rich table, the problems with module paths, a summary."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from isthmus.ops.inventory import Inventory, OpRow
from isthmus.ops.targets import RUNS, rank

_MARK = {"native": "native", "decomposed": "decomp", "unverified": "[cyan]unverified[/]",
         "fallback": "[yellow]FALLBACK[/]", "unsupported": "[red]UNSUPPORTED[/]"}  # fmt: skip
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def collapse(paths: Iterable[str], limit: int = 3) -> str:
    """`blocks.0.attn`, `blocks.1.attn` -> `blocks.*.attn (x2)`: repeated layers shown once, with a count."""
    groups: dict[str, int] = defaultdict(int)
    for p in paths:
        groups[_INDEX.sub("*", p)] += 1
    items = sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{g} (x{n})" if n > 1 else g for g, n in items[:limit]]
    more = f" +{len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def _rank(row: OpRow) -> tuple[int, int]:
    worst = max(rank(s.status) for _, s in row.support)
    return (-worst, -row.count)


def render_text(inv: Inventory, console: Any, problems_only: bool = False) -> None:
    """Print the operator table, the problems per target and the summary lines on `console`."""
    from rich.table import Table

    c = inv.capture
    if not console.is_terminal:  # pipes and files: wide enough that operator names are never cut
        console.width = max(console.width, 180)
    title = f"{c.model}: {len(c.ops)} operators, {c.calls} calls ({'+'.join(c.phases)}, on {c.device})"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("operator", no_wrap=True)
    table.add_column("calls", justify="right")
    table.add_column("dtypes")
    for t in inv.targets:
        table.add_column(t, no_wrap=True)
    table.add_column("where")
    for row in sorted(inv.rows, key=_rank):
        if problems_only and all(s.status in RUNS for _, s in row.support):
            continue
        marks = [_MARK[s.status] + (" (slow)" if s.slow and s.status != "fallback" else "") for _, s in row.support]
        table.add_row(row.op, str(row.count), ",".join(row.dtypes), *marks, collapse(p for p, _ in row.paths))
    console.print(table)
    if c.note:
        console.print(f"note: {c.note}")
    _problems(inv, console)
    for s in inv.summaries:
        console.print(s.line())


def _problems(inv: Inventory, console: Any) -> None:
    for target in inv.targets:
        lines = []
        for row in inv.rows:
            s = row.on(target)
            if s.status not in RUNS or s.slow:
                where = collapse((p for p, _ in row.paths), limit=4)
                lines.append(f"  {s.status.upper()} {row.op} x{row.count} in {where}: {s.note}")
                lines.append(f"    evidence: {s.evidence} [decided by: {s.source}]")
                for path, src, code in row.sources[:3]:
                    if src:
                        lines.append(f"    at {src} in {path}: {code}")
                if s.suggestion:
                    lines.append(f"    suggestion: {s.suggestion}")
        for d in inv.dtype_problems:
            if d.target == target:
                where = collapse((p for p, _ in d.paths), limit=4)
                into = f" to {d.to}" if d.to else ""
                lines.append(f"  DTYPE {d.dtype} {d.status}{into} in {where}: {d.note}")
                if d.suggestion:
                    lines.append(f"    suggestion: {d.suggestion}")
        if lines:
            console.print(f"[bold]{target}[/]:")
            for line in lines:
                console.print(line, markup=False)
