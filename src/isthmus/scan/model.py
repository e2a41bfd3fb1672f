"""Result types of a scan: findings, fixes and per-file results (frozen dataclasses, JSON-ready)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from isthmus.targets import ScanFamily

Severity = Literal["error", "warning", "info"]
Target = ScanFamily  # the rule family a scan checks for (isthmus.targets maps targets to it)
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
CATEGORIES = ("device", "memory", "amp", "distributed", "kernels", "dtypes", "thirdparty", "deps", "ops")


@dataclass(frozen=True)
class Edit:
    """Replace source bytes [start, end) with `text` (UTF-8 byte offsets into the original file)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A rewrite for one finding. `safe`: it cannot change behaviour on CUDA, so plain `--fix` applies it."""

    description: str
    edits: tuple[Edit, ...]
    safe: bool = True
    needs_torch_import: bool = False  # the replacement names `torch` and the module does not bind it yet

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "safe": self.safe,
            "edits": [{"start": e.start, "end": e.end, "text": e.text} for e in self.edits],
        }


@dataclass(frozen=True)
class Finding:
    """One rule violation at a source range (lines and columns are 1-based; columns count characters)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: Severity
    category: str
    message: str
    fix: Fix | None = None
    related: tuple[str, ...] = ()  # e.g. the Python call sites of a CUDA kernel file

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
            "fix": self.fix.to_json() if self.fix else None,
            "related": list(self.related),
        }


@dataclass(frozen=True)
class ImportRef:
    """One imported module: `module` as written (leading dots for relative imports), the names taken from it,
    and where the statement stands (1-based line, 0-based column)."""

    module: str
    names: tuple[str, ...]
    line: int
    column: int


@dataclass(frozen=True)
class FileResult:
    """What the scan found in one file, or why it could not read it (`error`; the scan goes on)."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    lines: int = 0
    kind: str = "python"  # python | requirements | pyproject | launch | cuda
    cu_refs: tuple[tuple[str, int], ...] = ()  # (file name ending .cu/.cuh, line) named in Python source
    imports: tuple[ImportRef, ...] = ()  # every import statement (the cross-file rules read them)
    built: tuple[str, ...] = ()  # names of the CUDA extension modules this file builds (setup.py, load())
    triton_kernels: bool = False  # the file defines Triton kernels (`@triton.jit`, `@triton.autotune`)


@dataclass(frozen=True)
class ScanResult:
    """Every file's result plus the totals the CLI and the assess section print."""

    files: tuple[FileResult, ...]
    seconds: float = 0.0
    rules: tuple[str, ...] = field(default=())  # the codes that ran

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.files for f in r.findings)

    @property
    def errors(self) -> tuple[FileResult, ...]:
        return tuple(r for r in self.files if r.error)

    @property
    def lines(self) -> int:
        return sum(r.lines for r in self.files)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def at_or_above(self, severity: str) -> tuple[Finding, ...]:
        rank = SEVERITY_RANK[severity]
        return tuple(f for f in self.findings if SEVERITY_RANK[f.severity] >= rank)
