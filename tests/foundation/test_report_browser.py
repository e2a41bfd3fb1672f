"""The assess report renders in a real browser (headless Chromium) with no console errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (make test installs it as root)")
def test_report_renders_without_console_errors(run_cli, tinygpt_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    out = tmp_path / "assess"
    code, _, err = run_cli(
        "assess", str(tinygpt_dir), "--out", str(out), "--quick", "--only", "environment", "--only", "inventory"
    )
    assert code == 0, err
    expected = [s["key"] for s in __import__("json").loads((out / "report.json").read_text())["sections"]]

    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "request",
            lambda r: problems.append(f"network request {r.url}") if not r.url.startswith(("file:", "data:")) else None,
        )
        page.goto((out / "report.html").as_uri())
        present = page.eval_on_selector_all("section[id^=sec-]", "els => els.map(e => e.id)")
        heights = page.eval_on_selector_all("section[id^=sec-]", "els => els.map(e => e.offsetHeight)")
        shot = repo_root / "build" / "report-screenshot.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()

    assert problems == []
    assert present == ["sec-overview"] + [f"sec-{k}" for k in expected]
    assert all(h > 30 for h in heights)  # every section actually laid out, not collapsed
