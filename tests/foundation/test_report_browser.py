"""The assess report in a real browser (headless Chromium): no console errors, the first screen answers "ready?,
what blocks, what it costs", every chart has data, and no text in a chart overlaps other text or leaves its chart."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        (shutil.which("chromium") or shutil.which("chromium-browser")) is None,
        reason="headless Chromium is not installed (make browser installs it as root)",
    ),
]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = {"width": 1200, "height": 900}
# every section but the unmodified run (a training subprocess): each chart kind is in these
SECTIONS = ("environment", "inventory", "scan", "ops", "emulate", "parity", "compliance", "estimate", "fleet")

# Every <text> of every chart SVG, and the chart's own box, in page coordinates.
CHART_GEOMETRY = """() => [...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg');
  const box = r => ({x: r.x, y: r.y, w: r.width, h: r.height});
  const cap = f.querySelector('figcaption');
  return {
    title: cap ? cap.textContent : '',
    caption: cap ? box(cap.getBoundingClientRect()) : null,
    svg: svg ? box(svg.getBoundingClientRect()) : null,
    texts: svg ? [...svg.querySelectorAll('text')]
      .map(t => ({s: t.textContent, ...box(t.getBoundingClientRect())})) : [],
    bars: svg ? [...svg.querySelectorAll('rect.bar')].filter(r => r.getBoundingClientRect().width > 0).length : 0,
    lines: svg ? [...svg.querySelectorAll('polyline.series')].filter(p => p.points.length >= 2).length : 0,
  };
})"""


def _overlap(a: dict[str, float], b: dict[str, float], slack: float = 0.5) -> bool:
    return (
        a["x"] + slack < b["x"] + b["w"]
        and b["x"] + slack < a["x"] + a["w"]
        and a["y"] + slack < b["y"] + b["h"]
        and b["y"] + slack < a["y"] + a["h"]
    )


def _inside(inner: dict[str, float], outer: dict[str, float], slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack
    )


@pytest.fixture(scope="module")
def rendered(tinygpt_dir: Path, tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Iterator[dict[str, Any]]:
    """Assess the example once, open the report in Chromium, and collect what the tests check."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    from isthmus.project import Project
    from isthmus.report import write_report

    out = tmp_path_factory.mktemp("browser") / "assess"
    write_report(Project.load(tinygpt_dir), out, only=frozenset(SECTIONS), quick=True)
    problems: list[str] = []
    shots = repo_root / "build"
    shots.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
        )
        page = browser.new_page(viewport=VIEWPORT)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "request",
            lambda r: problems.append(f"network request {r.url}") if not r.url.startswith(("file:", "data:")) else None,
        )
        page.goto((out / "report.html").as_uri())
        result = {
            "problems": problems,
            "expected": [s["key"] for s in json.loads((out / "report.json").read_text())["sections"]],
            "present": page.eval_on_selector_all("section[id^=sec-]", "els => els.map(e => e.id)"),
            "heights": page.eval_on_selector_all("section[id^=sec-]", "els => els.map(e => e.offsetHeight)"),
            "first_screen": page.eval_on_selector_all(
                "#sec-summary .verdict, #sec-summary h3",
                "els => els.map(e => ({text: e.textContent, top: e.getBoundingClientRect().top}))",
            ),
            "charts": page.evaluate(CHART_GEOMETRY),
        }
        page.screenshot(path=str(shots / "report-first-screen.png"))
        page.screenshot(path=str(shots / "report-full.png"), full_page=True)
        browser.close()
    yield result


def test_renders_every_section_without_console_errors(rendered: dict[str, Any]) -> None:
    assert rendered["problems"] == []
    assert rendered["present"] == ["sec-summary", "sec-overview"] + [f"sec-{k}" for k in rendered["expected"]]
    assert all(h > 30 for h in rendered["heights"])  # every section actually laid out, not collapsed


def test_first_screen_answers_ready_blocks_and_cost(rendered: dict[str, Any]) -> None:
    items = rendered["first_screen"]
    texts = " | ".join(i["text"] for i in items)
    assert "Ascend" in texts and "CUDA" in texts  # one verdict per side of the example's targets
    assert "What blocks it" in texts and "What it would cost" in texts
    assert all(i["top"] < VIEWPORT["height"] for i in items), items


def test_every_chart_has_a_title_and_data(rendered: dict[str, Any]) -> None:
    charts = rendered["charts"]
    titles = [c["title"] for c in charts]
    assert any("tolerance" in t for t in titles)  # parity: divergence against the dtype's tolerance
    assert any("faster" in t for t in titles) and any("cheaper" in t for t in titles)  # estimate
    for c in charts:
        assert c["svg"] is not None, f"chart without data: {c['title']}"
        assert c["bars"] + c["lines"] > 0, f"chart without data: {c['title']}"


def test_no_chart_text_overlaps_or_leaves_its_chart(rendered: dict[str, Any]) -> None:
    for c in rendered["charts"]:
        if c["svg"] is None:
            continue
        if c["caption"] is not None:
            assert not _overlap(c["caption"], c["svg"]), f"title drawn over the plot: {c['title']}"
        texts = [t for t in c["texts"] if t["w"] > 0]
        for t in texts:
            assert _inside(t, c["svg"]), f"{t['s']!r} is clipped in {c['title']!r}"
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert not _overlap(a, b), f"{a['s']!r} overlaps {b['s']!r} in {c['title']!r}"
