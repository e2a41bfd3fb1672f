"""What `isthmus scan` and `isthmus rules` print for people, built by the library from a real in-memory scan."""

from __future__ import annotations

import json

import pytest

from isthmus.errors import InputError
from isthmus.scan import (
    RULE_COLUMNS,
    STATISTICS_COLUMNS,
    FileResult,
    ScanResult,
    all_rules,
    check_codes,
    get_rule,
    rule_rows,
    rules_in,
    scan_source,
    statistics_rows,
    summary_text,
    text_lines,
)

SOURCE = "import torch\nx = torch.zeros(2).cuda()\ny = torch.ones(2).cuda()\ntorch.cuda.synchronize()\n"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    found = scan_source(SOURCE, "b.py")
    return ScanResult((found, FileResult("a.py", error="not UTF-8")), seconds=0.125)


def test_text_lines_one_per_finding_in_file_order(result: ScanResult) -> None:
    lines = text_lines(result)
    assert len(lines) == len(result.findings) >= 3
    positions = [tuple(int(n) for n in line.split(":")[1:3]) for line in lines]
    assert positions == sorted(positions)
    for line in lines:
        f = next(f for f in result.findings if line.startswith(f"b.py:{f.line}:{f.column}: {f.code} "))
        assert line.endswith("[fixable]") is bool(f.fix and f.fix.safe)


def test_summary_text_counts_severities_and_unscanned_files(result: ScanResult) -> None:
    text = summary_text(result)
    e, w = result.count("error"), result.count("warning")
    assert text.startswith(f"2 files, {result.lines:,} lines in 0.12 s: {e} error(s), {w} warning(s)")
    assert text.endswith("; 1 file(s) not scanned")
    assert "not scanned" not in summary_text(ScanResult(result.files[:1]))


def test_statistics_rows_most_frequent_first(result: ScanResult) -> None:
    rows = statistics_rows(result)
    assert all(len(r) == len(STATISTICS_COLUMNS) for r in rows)
    counts = [int(r[0]) for r in rows]
    assert counts == sorted(counts, reverse=True) and sum(counts) == len(result.findings)
    for count, code, name, severity, fixable in rows:
        rule = get_rule(code)
        assert rule is not None and (name, severity) == (rule.name, rule.severity)
        assert int(count) == sum(1 for f in result.findings if f.code == code)
        assert int(fixable) == sum(1 for f in result.findings if f.code == code and f.fix)


def test_rule_catalogue_rows_and_json() -> None:
    device = rules_in("device")
    assert device and all(r.category == "device" for r in device) and len(device) < len(all_rules())
    rows = rule_rows(device)
    assert all(len(r) == len(RULE_COLUMNS) for r in rows)
    for rule, row in zip(device, rows, strict=True):
        data = json.loads(json.dumps(rule.to_json()))
        assert row == [data["code"], data["name"], data["category"], data["severity"],
                       "yes" if data["fixable"] else "", data["summary"]]  # fmt: skip
        assert rule.heading().startswith(f"{rule.code} {rule.name} [device, {rule.severity}, ")
    with pytest.raises(InputError, match="unknown category"):
        rules_in("nosuch")


def test_check_codes_accepts_prefixes_and_refuses_typos() -> None:
    check_codes(("ALL", "IST1", all_rules()[0].code))
    with pytest.raises(InputError, match="unknown rule code 'ISTX'"):
        check_codes(("IST1", "ISTX"))
