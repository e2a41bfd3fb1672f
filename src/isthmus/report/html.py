"""Self-contained HTML for the assess report: inline CSS, inline SVG charts, no scripts, no network.

Sections build their fragments with `esc`, `table`, `bar_chart` and `line_chart`; every string that comes from
user data goes through `esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from isthmus.report.model import AssessReport, SectionResult

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c5cbd6}main{max-width:1100px;margin:0 auto;padding:16px 32px}
nav{margin:12px 0}nav a{margin-right:14px;color:#2456a6;text-decoration:none}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 20px;margin:16px 0}
section h2{margin:0 0 6px;font-size:18px}.summary{color:#4a5363;margin:0 0 10px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
th,td{border-bottom:1px solid #e6e9ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f3f4f7;padding:8px;overflow-x:auto;border-radius:4px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.pass{background:#2e8b57}.warn{background:#c98a00}.fail{background:#c0392b}.skipped{background:#8a93a3}
.error{background:#6c2bd9}.muted{color:#6b7280}svg text{font:11px system-ui,sans-serif;fill:#1d2430}
"""


def esc(value: object) -> str:
    """HTML-escape any value's string form."""
    return html.escape(str(value), quote=True)


def badge(status: str) -> str:
    return f'<span class="badge {esc(status)}">{esc(status)}</span>'


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped; column indexes in `numeric` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(items: Sequence[tuple[str, float]], unit: str = "", width: int = 640, color: str = "#2456a6") -> str:
    """Horizontal bar chart as inline SVG: one bar per (label, value)."""
    if not items:
        return '<p class="muted">no data</p>'
    bar_h, gap, label_w, value_w = 18, 6, 200, 90
    vmax = max((v for _, v in items), default=0.0) or 1.0
    plot_w = width - label_w - value_w
    height = len(items) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(0.0, plot_w * value / vmax)
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{esc(label[:32])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{value:,.4g}{esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: Sequence[tuple[str, Sequence[float]]],
    log_y: bool = False,
    width: int = 820,
    height: int = 240,
    y_label: str = "",
) -> str:
    """Line chart as inline SVG: several named series over a shared integer x axis (e.g. layer index)."""
    points = [v for _, vs in series for v in vs if math.isfinite(v) and (v > 0 or not log_y)]
    if not points:
        return '<p class="muted">no data</p>'
    pad_l, pad_r, pad_t, pad_b = 56, 190, 10, 24

    def ty(v: float) -> float:
        return math.log10(v) if log_y else v

    lo, hi = ty(min(points)), ty(max(points))
    if hi == lo:
        hi = lo + 1.0
    n = max(len(vs) for _, vs in series)
    colors = ["#2456a6", "#c0392b", "#2e8b57", "#c98a00", "#6c2bd9"]
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{pw}" height="{ph}" fill="none" stroke="#dde1e8"/>',
    ]
    for frac, val in ((0.0, lo), (1.0, hi)):
        label = f"1e{val:.0f}" if log_y else f"{val:.3g}"
        parts.append(f'<text x="{pad_l - 4}" y="{pad_t + ph * (1 - frac) + 4:.1f}" text-anchor="end">{label}</text>')
    parts.append(f'<text x="4" y="{pad_t + 10}">{esc(y_label)}</text>')
    for k, (name, vs) in enumerate(series):
        color = colors[k % len(colors)]
        coords = []
        for i, v in enumerate(vs):
            if not math.isfinite(v) or (log_y and v <= 0):
                continue
            x = pad_l + (pw * i / max(1, n - 1))
            y = pad_t + ph * (1 - (ty(v) - lo) / (hi - lo))
            coords.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(coords)}"/>')
        parts.append(f'<text x="{width - pad_r + 6}" y="{pad_t + 14 + 14 * k}" fill="{color}">{esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_section(s: SectionResult) -> str:
    return (
        f'<section id="sec-{esc(s.key)}" data-status="{esc(s.status)}"><h2>{esc(s.title)} {badge(s.status)}</h2>'
        f'<p class="summary">{esc(s.summary)}</p>{s.html}</section>'
    )


def render_page(report: AssessReport) -> str:
    """The whole report page."""
    nav = "".join(f'<a href="#sec-{esc(s.key)}">{esc(s.title)}</a>' for s in report.sections)
    overview = table(
        ["section", "status", "summary", "seconds"],
        [(s.title, s.status, s.summary, f"{s.seconds:.1f}") for s in report.sections],
        numeric=(3,),
    )
    body = "".join(render_section(s) for s in report.sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>isthmus readiness report: {esc(report.project)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Readiness report: {esc(report.project)}</h1>"
        f"<p>targets {esc(', '.join(report.targets))} · {esc(report.created)} · isthmus {esc(report.version)}</p>"
        f'</header><main><nav>{nav}</nav><section id="sec-overview"><h2>Overview {badge(report.worst)}</h2>'
        f"{overview}</section>{body}</main></body></html>\n"
    )
