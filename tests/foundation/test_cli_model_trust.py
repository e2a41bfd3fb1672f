"""A .pt2 MODEL can run code when loaded (torch.export.load unpickles), like a .py factory: the help and docs say so."""

from __future__ import annotations

from pathlib import Path

import pytest

import isthmus.models

WARNING = "a .pt2 file can run code when loaded, like a .py factory"


@pytest.mark.parametrize("command", [("ops",), ("emulate",), ("parity", "record")])
def test_help_where_model_is_described_warns_about_pt2(run_cli, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli(*command, "--help")
    text = " ".join(out.split())  # click rewraps the help text
    assert code == 0 and ".pt2" in text and WARNING in text and "only load files you trust" in text


def test_docs_and_loader_say_pt2_is_trusted_code(repo_root: Path) -> None:
    docs = " ".join((repo_root / "docs" / "ops.md").read_text(encoding="utf-8").split())
    assert f"{WARNING} (`torch.export.load` unpickles parts of the archive): only load files you trust" in docs
    doc = " ".join((isthmus.models.__doc__ or "").split())
    assert "`.pt2` archive is no safer" in doc and "like a `.py` factory" in doc
