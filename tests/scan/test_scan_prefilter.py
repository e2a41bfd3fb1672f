"""The byte pre-filter (skip files without any rule token; walk only statements whose lines hold a token or an
import) must not hide findings: every rule's INVALID cases carry one of its own triggers, the cases give the
same findings with the pre-filter off, and on real files it hides nothing but the documented limit."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from isthmus.scan import ScanOptions, all_rules, scan, scan_source
from isthmus.scan.engine import LINKED_CODES
from isthmus.scan.rules import NameRule, NodeRule, Rule

PY_RULES = [r for r in all_rules() if issubclass(r, (NameRule, NodeRule))]


@pytest.mark.parametrize("rule", PY_RULES, ids=[r.code for r in PY_RULES])
def test_every_invalid_case_holds_one_of_its_rules_triggers(rule: type[Rule]) -> None:
    linked = rule.code in LINKED_CODES  # reported from the import statements, which every file's scan records
    assert rule.tokens or linked, f"{rule.code} declares no trigger tokens"
    for case in rule.cases(valid=False):
        triggers = (*rule.tokens, b"import") if linked else rule.tokens
        assert any(t in case.code.encode() for t in triggers), (rule.code, case.code)


def test_rule_cases_give_the_same_findings_without_the_prefilter() -> None:
    on, off = ScanOptions(), ScanOptions(prefilter=False)
    compared = 0
    for rule in all_rules():
        for case in (*rule.cases(valid=True), *rule.cases(valid=False)):
            with_filter = scan_source(case.code, case.path, on)
            without = scan_source(case.code, case.path, off)
            assert with_filter.findings == without.findings, (rule.code, case.code)
            compared += 1
    assert compared > 200


def _sample(package: str, n: int) -> tuple[Path, list[str]]:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        pytest.skip(f"{package} is not installed")
    root = Path(spec.origin).parent
    files = sorted(str(p) for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    rng = random.Random(4)
    cuda = [f for f in files if b"cuda" in Path(f).read_bytes()]  # half the sample where findings are likely
    picked = set(rng.sample(cuda, min(n // 2, len(cuda))))
    rest = [f for f in files if f not in picked]
    return root, sorted(picked | set(rng.sample(rest, min(n - len(picked), len(rest)))))


@pytest.mark.parametrize("package", ["torch", "transformers"])
def test_prefilter_hides_only_lines_without_their_rules_tokens_on_real_files(package: str) -> None:
    root, files = _sample(package, 100)
    fast = scan(files, ScanOptions(root=str(root), jobs=1))
    full = scan(files, ScanOptions(root=str(root), jobs=1, prefilter=False))
    assert full.findings, "the sample should hold findings, or it checks nothing"
    assert set(fast.findings) <= set(full.findings)
    tokens = {r.code: r.tokens for r in all_rules()}
    for f in set(full.findings) - set(fast.findings):  # the documented limit: an alias hides every keyword
        lines = (root / f.path).read_bytes().splitlines()[f.line - 1 : f.end_line]
        assert not any(t in line for t in tokens[f.code] for line in lines), f


def test_the_one_pass_token_search_finds_the_same_lines_as_token_by_token() -> None:
    """Aho-Corasick (ahocorasick_rs) and the pure-Python path agree on edge cases and on real files."""
    from isthmus.scan.engine import _matcher, token_lines

    tokens = (b"autocast", b"cuda", b"to(")
    matcher = _matcher(tokens)
    if matcher is None:
        pytest.skip("ahocorasick_rs is not installed")
    cases = [
        b"",
        b"import os\n",  # imports alone: no rule token, nothing to walk
        b"cuda",  # a token at the very start, no newline at the end
        b"x = 1\n\nimport os\ny.to(z)",
        b"a = autocast_cuda\nb = 2\nc = torch.autocast('cuda').to(d)\n",  # overlapping tokens on one line
        b"s = '''\ncuda\n'''\nimport torch\n",
        "é = 'cuda'\n".encode(),  # a multi-byte character before the token
    ]
    for data in cases:
        assert token_lines(data, tokens, matcher) == token_lines(data, tokens, None), data
    assert token_lines(b"a = autocast_cuda\nb = 2\nc.to(d)\n", tokens, matcher) == [1, 3]
    assert token_lines(b"import os\n", tokens, matcher) is None
    rs_tokens = tuple(t for r in all_rules() if issubclass(r, (NameRule, NodeRule)) for t in r.tokens)
    rs_tokens = tuple(sorted(set(rs_tokens)))
    every = _matcher(rs_tokens)
    files = sorted(Path(__file__).resolve().parents[2].joinpath("src", "isthmus").rglob("*.py"))
    assert len(files) > 100
    for f in files:
        data = f.read_bytes()
        assert token_lines(data, rs_tokens, every) == token_lines(data, rs_tokens, None), f
