"""Document blocks: what a report section (or a plan page) says, as data; `isthmus.report` renders them to HTML.

Capabilities and the assess sections build these frozen dataclasses and never HTML: every string in a block is
plain text (the renderer escapes it), so no markup from user data reaches a page. Inline text is a sequence of
`Inline` parts: plain strings plus `Span` (code, bold, emphasis, small print) and `Link`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

# inline styles: code, b (bold), strong (the sentence that matters), em, small
SpanStyle = Literal["code", "b", "strong", "em", "small"]
# how a bar chart writes its values: table notation, one decimal, or US dollars in table notation
ValueFormat = Literal["number", "fixed1", "usd"]


@dataclass(frozen=True)
class Span:
    """Text in an inline style."""

    text: str
    style: SpanStyle = "code"


@dataclass(frozen=True)
class Link:
    """A link to a file of the report (relative) or a page."""

    href: str
    text: str


Inline: TypeAlias = "str | Span | Link"


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Inline, ...]
    muted: bool = False  # secondary text (notes, sources)


@dataclass(frozen=True)
class Heading:
    parts: tuple[Inline, ...]
    level: int = 3  # sections have level-2 titles of their own: blocks start at 3


@dataclass(frozen=True)
class BulletList:
    items: tuple[tuple[Inline, ...], ...]
    muted: bool = False


@dataclass(frozen=True)
class Table:
    """Cells are shown as `str(cell)`; column indexes in `numeric` are right-aligned."""

    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class Code:
    """Preformatted text: a diff, a traceback, a program's output."""

    text: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per (label, value); `highlight` names the bar drawn in the accent colour and
    `scale_max` fixes the full-width value (100 for percentages) instead of the largest value."""

    items: tuple[tuple[str, float], ...]
    unit: str = ""
    width: int = 640
    color: str = "#2456a6"
    title: str = ""
    note: str = ""
    highlight: str | None = None
    value_format: ValueFormat = "number"
    scale_max: float | None = None


@dataclass(frozen=True)
class LineChart:
    """Lines over a shared integer x axis (e.g. module index in execution order).

    `threshold` is a dashed horizontal line (value, label), `markers` dashed vertical lines (index, label); with
    `log_y`, values below `y_floor` are drawn at the floor.
    """

    series: tuple[tuple[str, tuple[float, ...]], ...]
    log_y: bool = False
    width: int = 820
    height: int = 260
    y_label: str = ""
    title: str = ""
    threshold: tuple[float, str] | None = None
    markers: tuple[tuple[int, str], ...] = ()
    x_label: str = ""
    y_floor: float | None = None
    tick_format: str = "{:g}"


@dataclass(frozen=True)
class Details:
    """Blocks folded away behind a one-line summary."""

    summary: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Row:
    """Blocks side by side (charts that answer one question for two cases)."""

    blocks: tuple[Block, ...]


Block: TypeAlias = "Paragraph | Heading | BulletList | Table | Code | BarChart | LineChart | Details | Row"


def para(*parts: Inline, muted: bool = False) -> Paragraph:
    return Paragraph(tuple(parts), muted)


def heading(*parts: Inline, level: int = 3) -> Heading:
    return Heading(tuple(parts), level)


def code(text: object) -> Span:
    return Span(str(text), "code")


def bold(text: object) -> Span:
    return Span(str(text), "b")


def bullets(items: Iterable[Inline | Sequence[Inline]], muted: bool = False) -> BulletList:
    """A list; each item is one inline part or a sequence of them."""
    return BulletList(tuple((i,) if isinstance(i, str | Span | Link) else tuple(i) for i in items), muted)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> Table:
    return Table(tuple(headers), tuple(tuple(r) for r in rows), tuple(numeric))


def number(value: float) -> str:
    """A number the way the tables print it: thousands separators, no scientific notation."""
    a = abs(value)
    if a >= 100:
        return f"{value:,.0f}"
    if a >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if a == 0:
        return "0"
    digits = max(2, 1 - math.floor(math.log10(a)))  # two significant digits below 1
    return f"{value:.{digits}f}"
