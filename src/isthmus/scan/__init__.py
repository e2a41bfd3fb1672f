"""`isthmus scan`: find (and fix) CUDA-only code in a repository, precisely and fast.

Public API:
- `scan(paths, options) -> ScanResult`, `scan_source(source, path, options) -> FileResult`, `ScanOptions`;
- `fix_file(path, rel, options, unsafe, write) -> FixResult`, `fix_source(...)`, `write_fix(path, result)`;
- `all_rules()`, `get_rule(code)`, `rules_in(category)`, `check_codes(codes)`: the rule classes (code, category,
  severity, message, explain(), cases, to_json());
- `to_json(result)`, `to_sarif(result)`; text for people as lines and rows (`text_lines`, `summary_text`,
  `statistics_rows`, `rule_rows`); `load_config(start)` for `[tool.isthmus.scan]`.

Importing this package does not import torch.
"""

from __future__ import annotations

from isthmus.scan.config import ScanConfig, load_config
from isthmus.scan.engine import ScanOptions, scan, scan_source, selected_rules
from isthmus.scan.fixer import FixResult, fix_file, fix_source, write_fix
from isthmus.scan.model import Edit, FileResult, Finding, Fix, ScanResult
from isthmus.scan.output import (
    RULE_COLUMNS,
    STATISTICS_COLUMNS,
    rule_rows,
    statistics_rows,
    summary,
    summary_text,
    text_lines,
    to_json,
    to_sarif,
)
from isthmus.scan.rules import all_rules, check_codes, get_rule, rules_in

__all__ = [
    "RULE_COLUMNS",
    "STATISTICS_COLUMNS",
    "Edit",
    "FileResult",
    "Finding",
    "Fix",
    "FixResult",
    "ScanConfig",
    "ScanOptions",
    "ScanResult",
    "all_rules",
    "check_codes",
    "fix_file",
    "fix_source",
    "get_rule",
    "load_config",
    "rule_rows",
    "rules_in",
    "scan",
    "scan_source",
    "selected_rules",
    "statistics_rows",
    "summary",
    "summary_text",
    "text_lines",
    "to_json",
    "to_sarif",
    "write_fix",
]
