"""The summary as the report's first screen: one verdict line per side, the ranked blockers, the costs."""

from __future__ import annotations

from typing import Any

from isthmus.assess.summary import SIDE_NAMES, Summary
from isthmus.blocks import number
from isthmus.report.html import esc, table

READINESS_CLASS = {"ready": "pass", "ready with caveats": "warn", "not ready": "fail", "not assessed": "skipped"}
TOP_BLOCKERS = 8  # the summary lists this many; the rest are in their sections


def _money(x: Any) -> str:
    return "no price in catalogue" if x is None else f"${number(float(x))}"


def _per_kwh(x: Any) -> str:
    return "no power figure" if x is None else number(float(x))


def _where(row: dict[str, Any]) -> str:
    allowed, refused = row.get("allowed_today", []), row.get("not_allowed", [])
    if not allowed and not refused:
        return "not checked"
    text = ", ".join(allowed) if allowed else "none of the regions checked"
    names = [r.split(" (")[0] for r in refused]
    return (text + (f"; not {', '.join(names)}" if names else "")).replace("_", " ")


def cost_rows(costs: tuple[dict[str, Any], ...]) -> list[tuple[str, ...]]:
    """One row per system: training and serving cost per million tokens, serving tokens per kWh, where allowed."""
    by_system: dict[str, dict[str, Any]] = {}
    for r in costs:
        entry = by_system.setdefault(r["system"], {"side": r.get("side", ""), "where": _where(r)})
        entry[r["task"].split()[0]] = r
    rows: list[tuple[str, ...]] = []
    for system, e in by_system.items():
        train, serve = e.get("train", {}), e.get("serve", {})
        rows.append(
            (
                SIDE_NAMES.get(e["side"], ""),
                system,
                _money(train.get("usd_per_m_tokens")),
                _money(serve.get("usd_per_m_tokens")),
                _per_kwh(serve.get("tokens_per_kwh")),
                e["where"],
            )
        )
    return rows


def render_summary(s: Summary) -> str:
    """HTML of the summary section (id `sec-summary`)."""
    lines = []
    for v in s.sides:
        cls = READINESS_CLASS[v.readiness]
        lines.append(
            f'<div class="verdict"><span class="badge {cls}">{esc(v.readiness)}</span> '
            f"<b>{esc(SIDE_NAMES.get(v.side, v.side))}</b> ({esc(', '.join(v.targets))}): {esc(v.why)}</div>"
        )
    if s.not_run:
        lines.append(f'<p class="muted">Not assessed (the section failed): {esc(", ".join(s.not_run))}.</p>')
    parts = ['<section id="sec-summary"><h2>Summary</h2>', *lines]
    if s.blockers:
        rows = [
            (i + 1, SIDE_NAMES.get(b.side, "both"), b.severity, b.what.replace("_", " "), b.fix, b.effort)
            for i, b in enumerate(s.blockers[:TOP_BLOCKERS])
        ]
        parts.append("<h3>What blocks it, cheapest fix first</h3>")
        parts.append(table(["#", "side", "kind", "what", "fix", "effort"], rows, numeric=(0,)))
        more = len(s.blockers) - TOP_BLOCKERS
        if more > 0:
            parts.append(f'<p class="muted">{more} more in the sections below.</p>')
    else:
        parts.append("<p>Nothing blocks the project on its targets.</p>")
    parts.append("<h3>What it would cost (estimate, today's rules)</h3>")
    if s.costs:
        head = ["side", "system", "train: USD / M tokens", "serve: USD / M tokens", "serve: tokens / kWh"]
        parts.append(table([*head, "allowed today"], cost_rows(s.costs), numeric=(2, 3, 4)))
    parts.append(f'<p class="muted">{esc(s.cost_note)}</p></section>')
    return "".join(parts)
