"""docs/rules.md is generated from the rule classes and must be up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_rules_doc_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_rules_doc", REPO / "tools" / "gen_rules_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    assert "| [IST101](#ist101) |" in expected
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run .venv/bin/python tools/gen_rules_doc.py"
    )
