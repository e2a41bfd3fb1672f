"""Per-file analysis state for Python rules: import/alias resolution, byte spans and finding construction.

Names are resolved through the file's imports (`import torch as th`, `from torch import cuda`,
`from torch.cuda.amp import autocast`), module-wide and scope-insensitive: cheap, and right for the way imports
are written in practice. Rules never see comments, and string constants only where a rule asks for them in a
device context, so docstrings and unrelated strings are not flagged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Protocol

from isthmus.scan.model import Edit, Finding, Fix, Severity

_SUPPRESS = re.compile(rb"#\s*isthmus:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass
class PyContext:
    """What a rule sees while the engine walks one parsed file."""

    path: str
    source: bytes
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    guarded_imports: set[int] = field(default_factory=set)  # id() of imports under `except ImportError`
    findings: list[Finding] = field(default_factory=list)
    # constant CUDA device strings assigned to names: name -> (literal node, target node)
    cuda_assignments: list[tuple[str, ast.expr, ast.AST]] = field(default_factory=list)
    device_context_names: set[str] = field(default_factory=set)
    branch_of: dict[int, ast.IfExp] = field(
        default_factory=dict
    )  # id(CUDA literal) -> the conditional it is a branch of
    nccl_assignments: list[tuple[str, ast.expr]] = field(default_factory=list)  # (name, "nccl" literal)
    backend_names: set[str] = field(default_factory=set)  # names passed as init_process_group(backend=...)
    built: list[str] = field(default_factory=list)  # extension modules built from CUDA sources (IST505)
    ext_aliases: set[str] = field(default_factory=set)  # local names bound to CUDA extension modules (IST517)
    target: str = "npu"
    _line_starts: list[int] | None = None
    _qn_node: ast.AST | None = None  # the outermost attribute the walk last resolved, and its qualified name
    _qn: str | None = None
    _branches: dict[int, ast.IfExp | ast.If] | None = None

    # --- names --------------------------------------------------------------------------------------------
    @property
    def torch_name(self) -> str:
        """The local name bound to the `torch` module ("torch" if none: the fixer then adds the import)."""
        for local, qual in self.aliases.items():
            if qual == "torch":
                return local
        return "torch"

    @property
    def has_torch(self) -> bool:
        return any(q == "torch" for q in self.aliases.values())

    def qualname(self, node: ast.AST) -> str | None:
        """`th.cuda.synchronize` -> "torch.cuda.synchronize" when `th` is an imported name, else None."""
        if node is self._qn_node:
            return self._qn
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.aliases.get(node.id)
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def enclosing_branch(self, test: ast.AST) -> ast.IfExp | ast.If | None:
        """The conditional (`a if test else b`, `if test:`) whose test is exactly `test`, if any.

        During the engine's walk the conditionals are those it has entered (`note_branch`): a node being checked
        lies inside every conditional around it, and the walk enters those first. Elsewhere the whole tree is read.
        """
        if self._branches is None:
            self._branches = {id(n.test): n for n in ast.walk(self.tree) if isinstance(n, (ast.IfExp, ast.If))}
        return self._branches.get(id(test))

    def start_walk(self) -> None:
        """The engine's walk begins: conditionals are noted as it enters them."""
        self._branches = {}

    def note_branch(self, node: ast.IfExp | ast.If) -> None:
        assert self._branches is not None  # start_walk() first
        self._branches[id(node.test)] = node

    def remember_qualname(self, node: ast.AST, qualname: str | None) -> None:
        """Keep the walk's answer for `node`, so the rules checking the same node do not resolve it again."""
        self._qn_node, self._qn = node, qualname

    # --- positions ----------------------------------------------------------------------------------------
    def offset(self, line: int, col: int) -> int:
        """Byte offset of (1-based line, 0-based byte column)."""
        if self._line_starts is None:
            # bytes.splitlines breaks at \r\n, \r and \n, as the tokenizer does; the running sum is line starts
            self._line_starts = list(accumulate(map(len, self.source.splitlines(keepends=True)), initial=0))
        return self._line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end].decode("utf-8", errors="replace")

    def _char_col(self, line: int, byte_col: int) -> int:
        start = self.offset(line, 0)
        return len(self.source[start : start + byte_col].decode("utf-8", errors="replace")) + 1

    # --- findings -----------------------------------------------------------------------------------------
    def report(
        self,
        rule: RuleInfo,
        node: ast.AST,
        message: str | None = None,
        fix: Fix | None = None,
        severity: Severity | None = None,
    ) -> None:
        line, end_line = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        col = self._char_col(line, node.col_offset)  # type: ignore[attr-defined]
        end_col = self._char_col(end_line, node.end_col_offset or 0)  # type: ignore[attr-defined]
        self.findings.append(
            Finding(
                self.path,
                line,
                col,
                end_line,
                end_col,
                rule.code,
                severity or rule.severity,
                rule.category,
                message or rule.message,
                fix,
            )
        )

    def replace(self, node: ast.AST, text: str, description: str, safe: bool = True) -> Fix:
        """A fix that replaces `node`'s source with `text` (which may name `torch`)."""
        start, end = self.span(node)
        return self.fix((Edit(start, end, text),), description, safe)

    def fix(self, edits: Iterable[Edit], description: str, safe: bool = True) -> Fix:
        needs = not self.has_torch and any("torch." in e.text for e in edits)
        return Fix(description, tuple(edits), safe, needs)


class RuleInfo(Protocol):
    """The attributes of a rule that findings copy (every Rule class provides them)."""

    @property
    def code(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def message(self) -> str: ...


def add_import(node: ast.Import | ast.ImportFrom, aliases: dict[str, str]) -> None:
    """Record the names an import statement binds (relative imports bind nothing we track)."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                aliases[a.asname] = a.name
            else:
                top = a.name.partition(".")[0]
                aliases[top] = top
    elif node.module and not node.level:
        for a in node.names:
            if a.name != "*":
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"


def mark_guarded(node: ast.Try, guarded: set[int]) -> None:
    """Imports directly inside `try:` with an `except ImportError` are optional: the code runs without them."""
    if any(_catches_import_error(h) for h in node.handlers):
        for st in node.body:
            if isinstance(st, (ast.Import, ast.ImportFrom)):
                guarded.add(id(st))


def _catches_import_error(h: ast.ExceptHandler) -> bool:
    if h.type is None:
        return True
    types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
    return any(isinstance(t, ast.Name) and t.id in _IMPORT_ERRORS for t in types)


def suppressions(source: bytes) -> dict[int, frozenset[str] | None]:
    """Line -> suppressed codes (None: every code) from `# isthmus: ignore[IST101]` comments."""
    if b"isthmus" not in source:
        return {}
    out: dict[int, frozenset[str] | None] = {}
    for m in _SUPPRESS.finditer(source):
        line = source.count(b"\n", 0, m.start()) + 1
        codes = m.group(1)
        out[line] = None if codes is None else frozenset(c.strip().upper() for c in codes.decode().split(",") if c)
    return out
