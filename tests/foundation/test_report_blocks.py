"""Document blocks: sections and plans return data; only `isthmus.report` turns it into HTML."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from isthmus.blocks import (
    BarChart,
    Code,
    Details,
    LineChart,
    Link,
    Row,
    Span,
    bold,
    bullets,
    code,
    heading,
    number,
    para,
    table,
)
from isthmus.report import render_blocks, render_document

TAG = re.compile(r"<(p|table|h[1-6]|ul|li|pre|div|svg|code|a|section|b|em|small|strong|details)[ >/]")


def test_text_from_blocks_is_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script>'
    html = render_blocks(
        [
            para("a ", code(evil), " ", bold(evil), " ", Link(f'x" onclick="{evil}', evil), muted=True),
            heading(evil, level=4),
            bullets([evil, (code(evil), evil)]),
            table([evil], [[evil]], numeric=[0]),
            Code(evil),
            Details(evil, (para(evil),)),
            Row((BarChart(((evil, 1.0),), title=evil, note=evil),)),
            LineChart(((evil, (1.0, 2.0)),), title=evil, markers=((0, evil),), x_label=evil),
        ]
    )
    assert "<script" not in html and 'onclick="' not in html
    assert html.count("&lt;script&gt;") >= 12


def test_each_block_renders_its_element() -> None:
    html = render_blocks(
        [
            para("Target ", code("npu"), "; 3 files.", muted=True),
            heading("What ", code("isthmus scan --fix"), " would change", level=4),
            bullets([code("train.py"), "b"], muted=True),
            table(["file", "n"], [["a.py", 3]], numeric=[1]),
            para(Span("note", "small"), Span("key", "strong"), Span("so", "em")),
            Details("tolerance table", (Code("x = 1"),)),
            Row((BarChart((("a", 1.5),), unit="%", value_format="fixed1"),)),
        ]
    )
    assert '<p class="muted">Target <code>npu</code>; 3 files.</p>' in html
    assert "<h4>What <code>isthmus scan --fix</code> would change</h4>" in html
    assert '<ul class="muted"><li><code>train.py</code></li><li>b</li></ul>' in html
    assert '<td>a.py</td><td class="num">3</td>' in html
    assert "<small>note</small><strong>key</strong><em>so</em>" in html
    assert "<details><summary>tolerance table</summary><pre>x = 1</pre></details>" in html
    assert html.count('<div class="charts">') == 1 and ">1.5%</text>" in html


def test_bar_values_in_dollars_and_table_notation() -> None:
    html = render_blocks([BarChart((("H100", 1234567.0), ("910B", 0.0123)), value_format="usd")])
    assert "$1,234,567" in html and "$0.012" in html and number(1234567.0) == "1,234,567"


def test_a_document_is_one_self_contained_page() -> None:
    page = render_document("Fleet plan: <co>", [para("hello")])
    assert page.startswith("<!doctype html>") and page.endswith("</html>\n")
    assert "<title>Fleet plan: &lt;co&gt;</title>" in page and "<p>hello</p>" in page and "<script" not in page


def test_no_html_is_built_outside_the_renderer() -> None:
    """Every string literal (f-string parts included) outside isthmus/report/ is free of HTML tags."""
    root = Path(__file__).resolve().parents[2] / "src" / "isthmus"
    found = []
    for path in root.rglob("*.py"):
        if "report" in path.relative_to(root).parts:
            continue
        text = path.read_text(encoding="utf-8")
        if not TAG.search(text):  # most files: nothing that even looks like a tag
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TAG.search(node.value):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, f"HTML built outside isthmus.report: {found}"


def test_a_section_whose_capability_is_not_built_is_left_out(
    monkeypatch: pytest.MonkeyPatch, tinygpt_dir: Path, tmp_path: Path
) -> None:
    from isthmus.assess import runner
    from isthmus.project import Project

    (tmp_path / "absent_section.py").write_text("from isthmus.not_built import thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "absent_section", raising=False)
    monkeypatch.setattr(
        runner,
        "SECTIONS",
        (
            ("absent", "Absent", "absent_section:section"),
            ("inventory", "Project inventory", "isthmus.assess.sections.inventory:section"),
        ),
    )
    report = runner.run_assess(Project.load(tinygpt_dir), tmp_path / "work")
    assert [s.key for s in report.sections] == ["inventory"]
    assert report.sections[0].status == "pass" and report.sections[0].blocks
