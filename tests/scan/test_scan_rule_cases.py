"""Every VALID/INVALID case of every rule, as a test (the rule classes are the single source of examples)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from isthmus.scan import FileResult, ScanOptions, all_rules, fix_source, scan, scan_source
from isthmus.scan.rules import Case, Rule

ALL = ScanOptions()


def _cases(valid: bool) -> list[tuple[type[Rule], Case]]:
    return [(r, c) for r in all_rules() for c in r.cases(valid)]


def _scan_case(case: Case, tmp_path: Path) -> FileResult:
    """One file on its own, or (cases of the cross-file rules) the whole tree it belongs to."""
    if not case.others:
        return scan_source(case.code, case.path, ALL)
    for rel, text in ((case.path, case.code), *case.others):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    result = scan([str(tmp_path)], ScanOptions(root=str(tmp_path)))
    return next(r for r in result.files if r.path == case.path)


def _ids(valid: bool) -> list[str]:
    return [f"{r.code}-{i}" for r in all_rules() for i, _ in enumerate(r.cases(valid))]


@pytest.mark.parametrize("item", _cases(valid=True), ids=_ids(valid=True))
def test_valid_case_has_no_finding(item: tuple[type[Rule], Case], tmp_path: Path) -> None:
    rule, case = item
    result = _scan_case(case, tmp_path)
    assert result.error is None
    assert [f for f in result.findings if f.code == rule.code] == []


@pytest.mark.parametrize("item", _cases(valid=False), ids=_ids(valid=False))
def test_invalid_case_is_found_and_fixed_as_documented(item: tuple[type[Rule], Case], tmp_path: Path) -> None:
    rule, case = item
    result = _scan_case(case, tmp_path)
    assert result.error is None
    mine = [f for f in result.findings if f.code == rule.code]
    assert mine, f"{rule.code} did not fire on:\n{case.code}"
    assert all(f.severity in ("error", "warning", "info") and f.message for f in mine)
    if not case.path.endswith(".py") or case.others:
        return
    fixed = fix_source(case.code.encode(), case.path, ALL, unsafe=True)
    assert fixed.error is None
    if case.fixed is None:
        assert all(f.fix is None for f in mine), f"{rule.code} offers a fix; document it in the case"
    else:
        assert fixed.fixed.decode() == case.fixed
        ast.parse(fixed.fixed)
        again = fix_source(fixed.fixed, case.path, ALL, unsafe=True)
        assert again.fixed == fixed.fixed, "fixing twice must change nothing"
        assert not [f for f in scan_source(fixed.fixed, case.path, ALL).findings if f.code == rule.code]


def test_catalogue_is_complete_and_consistent() -> None:
    rules = all_rules()
    assert len(rules) >= 45
    codes = [r.code for r in rules]
    assert len(set(codes)) == len(codes)
    names = [r.name for r in rules]
    assert len(set(names)) == len(names)
    prefixes = {
        "device": "IST1",
        "memory": "IST2",
        "amp": "IST3",
        "distributed": "IST4",
        "kernels": "IST5",
        "dtypes": "IST6",
        "thirdparty": "IST7",
        "deps": "IST8",
        "ops": "IST9",
    }
    for r in rules:
        assert r.severity in ("error", "warning", "info")
        assert r.code.startswith(prefixes[r.category]) or (r.category == "kernels" and r.code == "IST806")
        text = r.explain()
        assert "Bad:" in text and "Good:" in text, f"{r.code} explain text needs Bad/Good examples"
        assert r.VALID, f"{r.code} has no VALID case"
        assert r.INVALID or r.code == "IST901", f"{r.code} has no INVALID case"
    assert sum(r.fixable() for r in rules) >= 20
