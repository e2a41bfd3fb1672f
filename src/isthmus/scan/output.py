"""Output formats: text (people), JSON (machines) and SARIF 2.1.0 (code-scanning services).

Text is returned as lines and table rows of strings; the command line adds colour and prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from isthmus import __version__
from isthmus.scan.model import ScanResult
from isthmus.scan.rules import Rule, all_rules, get_rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def to_json(result: ScanResult) -> dict[str, Any]:
    return {
        "format": "isthmus-scan/1",
        "summary": summary(result),
        "findings": [f.to_json() for f in result.findings],
        "file_errors": [{"path": r.path, "error": r.error} for r in result.errors],
    }


def summary(result: ScanResult) -> dict[str, Any]:
    findings = result.findings
    return {
        "files": len(result.files),
        "lines": result.lines,
        "seconds": round(result.seconds, 3),
        "findings": len(findings),
        "by_severity": {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")},
        "by_category": dict(Counter(f.category for f in findings).most_common()),
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
        "fixable": sum(1 for f in findings if f.fix is not None),
        "file_errors": len(result.errors),
    }


def to_sarif(result: ScanResult) -> dict[str, Any]:
    rules = [r for r in all_rules() if r.code in set(result.rules) | {f.code for f in result.findings}]
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, -1),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": max(f.end_column, 1),
                        },
                    }
                }
            ],
        }
        if f.related:
            item["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": {"uri": site.rsplit(":", 1)[0]},
                        "region": {"startLine": int(site.rsplit(":", 1)[1])},
                    },
                }
                for i, site in enumerate(f.related)
            ]
        if f.fix is not None:
            item["properties"] = {"fix": f.fix.description, "safeFix": f.fix.safe}
        results.append(item)
    notifications = [{"level": "warning", "message": {"text": f"{r.path}: {r.error}"}} for r in result.errors]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "isthmus-scan",
                        "version": __version__,
                        "informationUri": "https://github.com/isthmus-project/isthmus",
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.message},
                                "fullDescription": {"text": r.summary()},
                                "help": {"text": r.explain()},
                                "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                                "properties": {"category": r.category, "fixable": r.fixable()},
                            }
                            for r in rules
                        ],
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }


# ------------------------------------------------------------------------------------------------ text


def text_lines(result: ScanResult) -> list[str]:
    """One 'path:line:col: CODE severity: message [fixable]' line per finding, in file order."""
    lines = []
    for f in sorted(result.findings, key=lambda f: (f.path, f.line, f.column, f.code)):
        mark = " [fixable]" if f.fix and f.fix.safe else " [unsafe fix]" if f.fix else ""
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity}: {f.message}{mark}")
    return lines


def summary_text(result: ScanResult) -> str:
    """'N files, L lines in S s: e error(s), w warning(s), i info; k fixable with --fix' (and unscanned files)."""
    e, w, i = (result.count(s) for s in ("error", "warning", "info"))
    fixable = sum(1 for f in result.findings if f.fix and f.fix.safe)
    unscanned = f"; {len(result.errors)} file(s) not scanned" if result.errors else ""
    return (
        f"{len(result.files)} files, {result.lines:,} lines in {result.seconds:.2f} s: "
        f"{e} error(s), {w} warning(s), {i} info; {fixable} fixable with --fix{unscanned}"
    )


STATISTICS_COLUMNS = ("count", "code", "rule", "severity", "fixable")


def statistics_rows(result: ScanResult) -> list[list[str]]:
    """Per rule, most frequent first: count, code, rule name, severity, findings with a fix (`STATISTICS_COLUMNS`)."""
    counts = Counter(f.code for f in result.findings)
    fixable = Counter(f.code for f in result.findings if f.fix)
    rows = []
    for code, n in counts.most_common():
        rule = get_rule(code)
        rows.append([str(n), code, rule.name if rule else "", rule.severity if rule else "", str(fixable[code])])
    return rows


RULE_COLUMNS = ("code", "name", "category", "severity", "fix", "what it flags")


def rule_rows(rules: Sequence[type[Rule]]) -> list[list[str]]:
    """The rule catalogue as table rows (`RULE_COLUMNS`)."""
    return [[r.code, r.name, r.category, r.severity, "yes" if r.fixable() else "", r.summary()] for r in rules]
