"""Self-contained HTML from document blocks (`isthmus.blocks`): inline CSS, inline SVG charts, no scripts, no network.

`render_blocks` turns what a section (or a plan) returned into HTML; `render_page` is the assess report's page and
`render_document` a plain page of blocks (`plan.html`). Every string that comes from a block goes through `esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from isthmus.assess import AssessReport, SectionResult, summarize
from isthmus.blocks import (
    BarChart,
    Block,
    BulletList,
    Code,
    Details,
    Heading,
    Inline,
    LineChart,
    Link,
    Paragraph,
    Row,
    Span,
    Table,
    ValueFormat,
    number,
)

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
figure.chart{margin:10px 0 14px}figure.chart svg{display:block;max-width:100%;height:auto}
.chart-title{font-weight:600;margin:0 0 4px}.chart-note{margin:2px 0 0;font-size:12px}
.legend{font-size:12px;margin:4px 0 0}.key{margin-right:14px;white-space:nowrap}
.verdict{margin:4px 0;font-size:15px}section h3{font-size:15px;margin:12px 0 4px}
.charts{display:flex;flex-wrap:wrap;gap:0 28px}.charts figure{flex:1 1 420px;min-width:0}
.key i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;vertical-align:middle}
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


CHAR_W = 6.6  # px per character of the 11 px chart font (an upper bound for digits and lower-case text)
PALETTE = ("#2456a6", "#c0392b", "#2e8b57", "#c98a00", "#6c2bd9")
THRESHOLD_COLOR = "#1d2430"  # the limit line (tolerance), dark so that no series colour is mistaken for it


def text_width(text: str) -> float:
    """Width in px that `text` takes at most in the chart font."""
    return CHAR_W * len(text)


def figure(svg: str, title: str = "", legend: Sequence[tuple[str, str]] = (), note: str = "") -> str:
    """An SVG chart with its title above and its legend below, in HTML so text never lands on the plot."""
    head = f'<figcaption class="chart-title">{esc(title)}</figcaption>' if title else ""
    keys = "".join(f'<span class="key"><i style="background:{c}"></i>{esc(name)}</span>' for name, c in legend)
    legend_html = f'<div class="legend">{keys}</div>' if keys else ""
    note_html = f'<p class="muted chart-note">{esc(note)}</p>' if note else ""
    return f'<figure class="chart">{head}{svg}{legend_html}{note_html}</figure>'


def bar_chart(
    items: Sequence[tuple[str, float]],
    unit: str = "",
    width: int = 640,
    color: str = "#2456a6",
    title: str = "",
    note: str = "",
    highlight: str | None = None,
    fmt: Callable[[float], str] = number,
    scale_max: float | None = None,
) -> str:
    """Horizontal bar chart: one bar per (label, value), value written after the bar in table notation.

    The label and value columns are as wide as their longest text, so nothing is clipped; `highlight` names the
    label drawn in the accent colour (the answer the chart is about); `scale_max` fixes the full-width value
    (100 for percentages) instead of the largest value.
    """
    if not items:
        return figure('<p class="muted">no data</p>', title)
    bar_h, gap = 18, 6
    labels = [label[:40] for label, _ in items]
    values = [f"{fmt(v)}{unit}" for _, v in items]
    label_w = max(text_width(x) for x in labels) + 10
    value_w = max(text_width(x) for x in values) + 8
    vmax = scale_max or max((v for _, v in items), default=0.0) or 1.0
    plot_w = max(120.0, width - label_w - value_w)
    total_w = label_w + plot_w + value_w
    height = len(items) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{height}" role="img" '
        f'viewBox="0 0 {total_w:.0f} {height}">'
    ]
    for i, ((label, value), short, shown) in enumerate(zip(items, labels, values, strict=True)):
        y = gap + i * (bar_h + gap)
        w = max(0.0, plot_w * value / vmax)
        fill = "#c98a00" if highlight is not None and label == highlight else color
        parts.append(f'<text x="{label_w - 6:.1f}" y="{y + 13}" text-anchor="end">{esc(short)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w:.1f}" y="{y}" width="{max(w, 1.0):.1f}" height="{bar_h}" '
            f'fill="{fill}" rx="2"/>'
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{esc(shown)}</text>')
    parts.append("</svg>")
    return figure("".join(parts), title, note=note)


def _decades(lo: float, hi: float) -> list[float]:
    """Powers of ten from 10**floor(lo) to 10**ceil(hi) (log10 bounds)."""
    return [10.0**k for k in range(math.floor(lo), math.ceil(hi) + 1)]


def line_chart(
    series: Sequence[tuple[str, Sequence[float]]],
    log_y: bool = False,
    width: int = 820,
    height: int = 260,
    y_label: str = "",
    title: str = "",
    threshold: tuple[float, str] | None = None,
    markers: Sequence[tuple[int, str]] = (),
    x_label: str = "",
    y_floor: float | None = None,
    tick_format: str = "{:g}",
) -> str:
    """Line chart as inline SVG over a shared integer x axis (e.g. module index in execution order).

    `threshold` draws a dashed horizontal line (value, label), `markers` dashed vertical lines at x indexes
    (index, label); with `log_y`, values below `y_floor` are drawn at the floor so that the range is spent on
    the values that matter. Title and legend are HTML around the SVG, never drawn over the plot.
    """
    floor = y_floor if (log_y and y_floor) else None
    clean = [(name, [max(v, floor) if floor and math.isfinite(v) else v for v in vs]) for name, vs in series]
    points = [v for _, vs in clean for v in vs if math.isfinite(v) and (v > 0 or not log_y)]
    if not points:
        return figure('<p class="muted">no data</p>', title)

    def ty(v: float) -> float:
        return math.log10(v) if log_y else v

    extra = [threshold[0]] if threshold else []
    lo, hi = ty(min(points + extra)), ty(max(points + extra))
    if log_y:
        ticks = _decades(lo, hi)
        lo, hi = ty(ticks[0]), ty(ticks[-1])
    else:
        ticks = [lo, hi]
    if hi == lo:
        hi = lo + 1.0
    tick_text = [tick_format.format(t) for t in ticks]
    pad_l = max(text_width(t) for t in tick_text) + 12
    pad_r, pad_t, pad_b = 16, 16, 34
    n = max(len(vs) for _, vs in clean)
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b

    def px(i: int) -> float:
        return pad_l + pw * i / max(1, n - 1)

    def py(v: float) -> float:
        return pad_t + ph * (1 - (ty(v) - lo) / (hi - lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect x="{pad_l:.1f}" y="{pad_t}" width="{pw:.1f}" height="{ph}" fill="none" stroke="#dde1e8"/>',
    ]
    for t, label in zip(ticks, tick_text, strict=True):
        y = py(t)
        parts.append(f'<line x1="{pad_l:.1f}" x2="{pad_l + pw:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef0f3"/>')
        parts.append(f'<text x="{pad_l - 5:.1f}" y="{y + 4:.1f}" text-anchor="end">{esc(label)}</text>')
    if threshold is not None:
        y = py(threshold[0])
        parts.append(
            f'<line x1="{pad_l:.1f}" x2="{pad_l + pw:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{THRESHOLD_COLOR}" '
            'stroke-width="1.5" stroke-dasharray="6,3"/>'
        )
    for i, label in markers:
        x = px(i)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad_t}" y2="{pad_t + ph}" stroke="#6b7280" stroke-dasharray="3,3"/>'
        )
        anchor = "end" if x > pad_l + pw / 2 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(f'<text x="{x + dx:.1f}" y="{pad_t + 12}" text-anchor="{anchor}">{esc(label)}</text>')
    parts.append(f'<text x="{pad_l:.1f}" y="{height - 6}">{esc(x_label)}</text>' if x_label else "")
    legend = []
    for k, (name, vs) in enumerate(clean):
        color = PALETTE[k % len(PALETTE)]
        legend.append((name, color))
        coords = [f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(vs) if math.isfinite(v) and (v > 0 or not log_y)]
        parts.append(
            f'<polyline class="series" fill="none" stroke="{color}" stroke-width="1.8" points="{" ".join(coords)}"/>'
        )
    parts.append("</svg>")
    if threshold is not None:
        legend.append((threshold[1], THRESHOLD_COLOR))
    return figure("".join(parts), title, legend, note=y_label)


def render_inline(parts: Sequence[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Span):
            out.append(f"<{part.style}>{esc(part.text)}</{part.style}>")
        elif isinstance(part, Link):
            out.append(f'<a href="{esc(part.href)}">{esc(part.text)}</a>')
        else:
            out.append(esc(part))
    return "".join(out)


def _fixed1(value: float) -> str:
    return f"{value:.1f}"


def _usd(value: float) -> str:
    return "$" + number(value)


_MUTED = ' class="muted"'
VALUE_FORMATS: dict[ValueFormat, Callable[[float], str]] = {"number": number, "fixed1": _fixed1, "usd": _usd}


def render_block(block: Block) -> str:
    """One block as HTML."""
    if isinstance(block, Paragraph):
        return f"<p{_MUTED if block.muted else ''}>{render_inline(block.parts)}</p>"
    if isinstance(block, Heading):
        return f"<h{block.level}>{render_inline(block.parts)}</h{block.level}>"
    if isinstance(block, BulletList):
        items = "".join(f"<li>{render_inline(i)}</li>" for i in block.items)
        return f"<ul{_MUTED if block.muted else ''}>{items}</ul>"
    if isinstance(block, Table):
        return table(block.headers, block.rows, block.numeric)
    if isinstance(block, Code):
        return f"<pre>{esc(block.text)}</pre>"
    if isinstance(block, BarChart):
        b = block
        return bar_chart(
            b.items, b.unit, b.width, b.color, b.title, b.note, b.highlight, VALUE_FORMATS[b.value_format], b.scale_max
        )
    if isinstance(block, LineChart):
        c = block
        return line_chart(
            c.series, c.log_y, c.width, c.height, c.y_label, c.title, c.threshold, c.markers, c.x_label, c.y_floor,
            c.tick_format,
        )  # fmt: skip
    if isinstance(block, Details):
        return f"<details><summary>{esc(block.summary)}</summary>{render_blocks(block.blocks)}</details>"
    if isinstance(block, Row):
        return f'<div class="charts">{render_blocks(block.blocks)}</div>'
    raise TypeError(f"not a block: {block!r}")


def render_blocks(blocks: Sequence[Block]) -> str:
    return "".join(render_block(b) for b in blocks)


def render_section(s: SectionResult) -> str:
    return (
        f'<section id="sec-{esc(s.key)}" data-status="{esc(s.status)}"><h2>{esc(s.title)} {badge(s.status)}</h2>'
        f'<p class="summary">{esc(s.summary)}</p>{render_blocks(s.blocks)}</section>'
    )


def render_page(report: AssessReport) -> str:
    """The whole report page: the summary first (ready?, what blocks, what it costs), then every section."""
    from isthmus.report.summary_html import render_summary

    nav = "".join(f'<a href="#sec-{esc(s.key)}">{esc(s.title)}</a>' for s in report.sections)
    overview = table(
        ["section", "status", "summary", "seconds"],
        [(s.title, s.status, s.summary, f"{s.seconds:.1f}") for s in report.sections],
        numeric=(3,),
    )
    body = "".join(render_section(s) for s in report.sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>isthmus readiness report: {esc(report.project)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Readiness report: {esc(report.project)}</h1>"
        f"<p>targets {esc(', '.join(report.targets))} · {esc(report.created)} · isthmus {esc(report.version)}</p>"
        f"</header><main>{render_summary(summarize(report))}<nav>{nav}</nav>"
        f'<section id="sec-overview"><h2>Sections {badge(report.worst)}</h2>'
        f"{overview}</section>{body}</main></body></html>\n"
    )


def render_document(title: str, blocks: Sequence[Block]) -> str:
    """A self-contained page of blocks under a title (`isthmus plan --out` writes plan.html with it)."""
    head = esc(title)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{head}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{head}</h1></header><main><section>{render_blocks(blocks)}</section></main>"
        "</body></html>\n"
    )
