"""The real-world manifest is well formed, and the runner's comparisons and docs table do what they say.

The scripts themselves need repository snapshots and other stacks, so they run outside the test suite
(`tools/realworld/run.py`); this checks what the suite can: the manifest and the runner's pure functions.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "realworld"
MANIFEST = json.loads((TOOLS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = MANIFEST["scripts"]
KNOWN = {
    "name", "repo", "commit", "paths", "args", "cuda_args", "cpu_args", "compare", "expect", "data", "script",
    "module", "requires", "pythonpath", "note", "launcher", "env", "cpu_env", "before", "files", "executables",
    "ignore", "same_stdout_as",
}  # fmt: skip


@pytest.fixture(scope="module")
def runner(monkeypatch_module: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch_module.syspath_prepend(str(TOOLS))
    spec = importlib.util.spec_from_file_location("realworld_run", TOOLS / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        yield mp
        for name in ("gen_hf", "gen_inference", "gen_lit"):
            sys.modules.pop(name, None)


def test_every_entry_is_complete_and_pinned() -> None:
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)) and len(ENTRIES) >= 12
    for i, e in enumerate(ENTRIES):
        assert set(e) <= KNOWN, (e["name"], set(e) - KNOWN)
        assert re.fullmatch(r"[0-9a-f]{40}", e["commit"]), e["name"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", e["repo"]) and e["paths"], e["name"]
        assert ("script" in e) != ("module" in e), e["name"]  # exactly one way to start it
        assert e["expect"] in {"match", "runs"}, e["name"]
        assert (e["expect"] == "match") == (e["cpu_args"] is not None), e["name"]  # "match" needs a CPU mode
        if e["compare"] not in {"stdout", "files"}:
            assert re.compile(e["compare"]).groups >= 1, e["name"]
        if e["compare"] == "files":
            assert len(e["files"]) == 2, e["name"]
        if "same_stdout_as" in e:  # compared with an entry that runs before it
            assert e["same_stdout_as"] in names[:i], e["name"]
        assert all(re.fullmatch(r"[\w.\[\]-]+(==[\w.+]+)?", r) for r in e.get("requires", [])), e["name"]


def test_each_entry_names_a_registered_generator(runner: ModuleType) -> None:
    assert {e["data"] for e in ENTRIES if e.get("data")} <= set(runner.DATA)


def test_losses_match_only_within_the_tolerance(runner: ModuleType) -> None:
    entry = {"compare": r"loss ([0-9.]+)"}
    assert runner.compare(entry, "loss 2.0000\nloss 1.5000\n", "loss 2.0000\nloss 1.5010\n")[0]  # 7e-4 relative
    assert not runner.compare(entry, "loss 2.0000\nloss 1.5000\n", "loss 2.0000\nloss 1.5030\n")[0]  # 2e-3
    ok, detail = runner.compare(entry, "loss 2.0\n", "loss 2.0\nloss 1.0\n")
    assert not ok and "1 values vs 2" in detail
    assert not runner.compare(entry, "no numbers here\n", "loss 2.0\n")[0]


def test_stdout_comparison_ignores_only_the_lines_it_is_told_to(runner: ModuleType) -> None:
    entry = {"compare": "stdout", "ignore": r"^device:"}
    assert runner.compare(entry, "device: cuda\nw1 w2\n", "device: cpu\nw1 w2\n")[0]
    assert not runner.compare(entry, "device: cuda\nw1 w2\n", "device: cpu\nw1 w3\n")[0]


def test_the_docs_table_has_a_row_per_result_in_manifest_order(runner: ModuleType) -> None:
    first, last = ENTRIES[0], ENTRIES[-1]
    result = {"result": "match", "detail": "3 values, max rel diff 0.0e+00", "redirected": 4, "seconds": 2.4}
    results = {last["name"]: {**result, "result": "runs"}, first["name"]: result}
    rows = runner.docs_table(ENTRIES, results)
    assert len(rows) == 2 + 2 and rows[2].startswith(f"| 1 | {first['name']} |")
    assert "**same losses**: 3 values" in rows[2] and rows[3].startswith(f"| {len(ENTRIES)} | {last['name']} |")
    assert "runs (exit 0)" in rows[3]
