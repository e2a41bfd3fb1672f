"""Apply fixes: byte-range edits from the findings, all applied in one pass per round, re-checked.

Each fix replaces the source range of one syntax-tree node, so every other byte (comments, formatting) is left
alone. Overlapping fixes wait for the next round (the file is re-scanned); rounds stop when nothing changes, so
applying fixes twice changes nothing. The result must compile (the running interpreter's own parser and
compiler), or the file is left as is.
Files are written atomically; `diff` shows the change without writing.
"""

from __future__ import annotations

import ast
import difflib
import os
from dataclasses import dataclass

from isthmus.files import atomic_write_bytes
from isthmus.scan.engine import ScanOptions, scan_source
from isthmus.scan.model import Edit, Finding

MAX_ROUNDS = 5


@dataclass(frozen=True)
class FixResult:
    """The outcome of fixing one file."""

    path: str
    original: bytes
    fixed: bytes
    applied: tuple[str, ...]  # codes of the fixes applied, in order
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        a = self.original.decode("utf-8", errors="replace").splitlines(keepends=True)
        b = self.fixed.decode("utf-8", errors="replace").splitlines(keepends=True)
        return "".join(difflib.unified_diff(a, b, f"a/{self.path}", f"b/{self.path}"))


def applicable(f: Finding, unsafe: bool) -> bool:
    return f.fix is not None and (f.fix.safe or unsafe)


def fix_source(source: bytes, path: str, options: ScanOptions, unsafe: bool = False) -> FixResult:
    """Fix one Python source in memory (rounds of scan + apply until nothing applies).

    Only UTF-8 sources are rewritten: the parser's columns are UTF-8 offsets of the decoded text, so in a file
    declared `latin-1` or `cp1252` they do not point at the file's bytes."""
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as e:
        return FixResult(path, source, source, (), f"not fixed: not UTF-8 (byte {e.start}); re-encode it as UTF-8")
    current = source
    applied: list[str] = []
    for _ in range(MAX_ROUNDS):
        result = scan_source(current, path, options)
        if result.error:
            return FixResult(path, source, source, (), result.error)
        todo = [f for f in result.findings if applicable(f, unsafe)]
        if not todo:
            break
        new, codes = _apply(current, todo)
        if new == current:
            break
        current = new
        applied.extend(codes)
    error = _check(current) if current != source else None
    if error:
        return FixResult(path, source, source, (), f"fix not applied: the result does not parse ({error})")
    return FixResult(path, source, current, tuple(applied))


def _apply(source: bytes, findings: list[Finding]) -> tuple[bytes, list[str]]:
    edits: list[tuple[Edit, str]] = []
    needs_import = False
    taken_until = -1
    for f in sorted(findings, key=lambda f: min(e.start for e in f.fix.edits)):  # type: ignore[union-attr]
        fix = f.fix
        assert fix is not None
        spans = sorted(fix.edits, key=lambda e: e.start)
        if spans[0].start < taken_until:  # overlaps an earlier fix: next round
            continue
        edits.extend((e, f.code) for e in spans)
        taken_until = spans[-1].end
        needs_import |= fix.needs_torch_import
    out = bytearray()
    pos = 0
    codes: list[str] = []
    for e, code in edits:
        out += source[pos : e.start] + e.text.encode()
        pos = e.end
        codes.append(code)
    out += source[pos:]
    result = bytes(out)
    if needs_import:
        result = add_torch_import(result)
    return result, codes


def add_torch_import(source: bytes) -> bytes:
    """Insert `import torch` after the last top-level import (or the docstring / __future__ imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    last = 0
    for i, st in enumerate(tree.body):
        is_doc = i == 0 and isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)
        if isinstance(st, (ast.Import, ast.ImportFrom)) or is_doc:
            last = st.end_lineno or st.lineno
        elif isinstance(st, ast.Try) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in st.body):
            continue
        else:
            break
    lines = source.splitlines(keepends=True)
    newline = b"\r\n" if b"\r\n" in source[:4096] else b"\n"
    if last and lines and not lines[last - 1].endswith((b"\n", b"\r")):
        lines[last - 1] += newline
    lines.insert(last, b"import torch" + newline)
    return b"".join(lines)


def _check(source: bytes) -> str | None:
    """Why the fixed source is not acceptable: it must compile to bytecode (stricter than `ast.parse`, which
    accepts a few statements the compiler rejects, and than libcst, which accepts `return` outside a function,
    duplicate arguments, `break` outside a loop...)."""
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        return f"{getattr(e, 'msg', e)} at line {getattr(e, 'lineno', '?')}"
    except RecursionError:
        return "nesting too deep to compile"
    return None


def fix_file(path: str, rel: str, options: ScanOptions, unsafe: bool = False, write: bool = True) -> FixResult:
    """Fix one file on disk; writes atomically (keeping its mode) only when something changed.

    A symbolic link is followed: its target is rewritten and the link stays a link."""
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as e:
        return FixResult(rel, b"", b"", (), f"cannot read: {e.strerror or e}")
    result = fix_source(source, rel, options, unsafe)
    if write:
        write_fix(path, result)
    return result


def write_fix(path: str, result: FixResult) -> bool:
    """Write a fixed file atomically over the real file `path` names (never over a link); True if written."""
    if not result.changed or result.error:
        return False
    real = os.path.realpath(path)
    mode = os.stat(real).st_mode & 0o7777
    atomic_write_bytes(real, result.fixed)
    os.chmod(real, mode)
    return True
