"""Rule base classes: one class per rule, its docstring is the `--explain` text, its cases are its tests.

A rule has a stable `code`, a `category`, a `severity` (error: fails on the target; warning: silently wrong or
slow there; info: not portable style) and a `message` that says what to do. `VALID` and `INVALID` hold inline
cases; `INVALID` cases carry the expected source after the fix where the rule can fix, and "can autofix" is
derived from them. Python rules are either `NameRule`s (a table of qualified names, resolved through imports)
or `NodeRule`s (a check on one AST node type); `FileRule`s read other files (requirements, launch scripts,
CUDA sources).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.model import Finding, Severity


@dataclass(frozen=True)
class Case:
    """An inline example: `code` in a file called `path`; `fixed` is the source after `--fix --unsafe-fixes`."""

    code: str
    fixed: str | None = None
    path: str = "example.py"
    others: tuple[tuple[str, str], ...] = ()  # (path, source) of other files in the same tree (cross-file rules)


class Rule:
    """Base of every rule."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    category: ClassVar[str] = ""
    severity: ClassVar[Severity] = "warning"
    message: ClassVar[str] = ""
    tokens: ClassVar[tuple[bytes, ...]] = ()  # a file without any of these cannot trigger the rule
    VALID: ClassVar[tuple[Case | str, ...]] = ()
    INVALID: ClassVar[tuple[Case | str, ...]] = ()

    @classmethod
    def explain(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.explain().split("\n", 1)[0]

    @classmethod
    def cases(cls, valid: bool) -> tuple[Case, ...]:
        raw = cls.VALID if valid else cls.INVALID
        return tuple(c if isinstance(c, Case) else Case(c) for c in raw)

    def finish(self, ctx: PyContext) -> None:
        """Called once per Python file after the walk (for rules that relate several nodes)."""

    @classmethod
    def fixable(cls) -> bool:
        """True when at least one INVALID case has an expected fix."""
        return any(c.fixed is not None for c in cls.cases(valid=False))

    @classmethod
    def to_json(cls) -> dict[str, Any]:
        """The catalogue entry of `isthmus rules --format json`."""
        return {
            "code": cls.code,
            "name": cls.name,
            "category": cls.category,
            "severity": cls.severity,
            "fixable": cls.fixable(),
            "message": cls.message,
            "summary": cls.summary(),
        }

    @classmethod
    def heading(cls) -> str:
        """'IST101 name [category, severity, fixable|no fix]': the first line of `isthmus scan --explain`."""
        fix = "fixable" if cls.fixable() else "no fix"
        return f"{cls.code} {cls.name} [{cls.category}, {cls.severity}, {fix}]"


class NameRule(Rule):
    """Flags references to qualified names (longest matching prefix wins, so each reference reports once).

    `names` maps a qualified name (or a prefix of one) to a replacement template for the reference itself
    ("{torch}.accelerator.synchronize"), or to None when there is no mechanical fix. `imports`: report the
    import statement instead of each use (for third-party packages).
    """

    names: ClassVar[dict[str, str | None]] = {}  # a template starting with "!" is an unsafe fix
    imports: ClassVar[bool] = False

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        template = self.names.get(matched)
        fix = None
        if template is not None:
            safe = not template.startswith("!")
            template = template.lstrip("!")
            rest = qualname[len(matched) :]
            fix = ctx.replace(
                node, template.format(torch=ctx.torch_name) + rest, f"use {template.format(torch='torch')}", safe=safe
            )
        ctx.report(self, node, self.message_for(qualname), fix)

    def message_for(self, qualname: str) -> str:
        return f"{qualname}: {self.message}"

    def import_message(self, module: str) -> str:
        return self.message

    def check_import(self, node: ast.Import | ast.ImportFrom, module: str, ctx: PyContext) -> None:
        guarded = id(node) in ctx.guarded_imports
        sev: Severity | None = None
        msg = f"import of {module}: {self.import_message(module)}"
        if guarded and self.severity == "error":
            sev = "warning"
            msg += " (guarded by `except ImportError`: the fallback path runs on the target)"
        ctx.report(self, node, msg, None, sev)


class NodeRule(Rule):
    """Checks every node of the types in `node_types` (with its parent)."""

    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        raise NotImplementedError


class FileRule(Rule):
    """Checks a whole non-Python file. `kinds`: which file kinds it reads (see engine.file_kind)."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        raise NotImplementedError


def finding(
    rule: type[Rule] | Rule,
    path: str,
    line: int,
    message: str,
    column: int = 1,
    end_column: int | None = None,
    related: tuple[str, ...] = (),
    severity: Severity | None = None,
) -> Finding:
    """A finding on one line of a non-Python file."""
    return Finding(
        path,
        line,
        column,
        line,
        end_column or column,
        rule.code,
        severity or rule.severity,
        rule.category,
        message,
        None,
        related,
    )


def devtype(ctx: PyContext, quote: str = '"') -> str:
    """An expression for the current accelerator's device type: "cuda" on CUDA hosts, "npu" on Ascend, "cpu"
    where there is none. It evaluates to exactly the string "cuda" wherever "cuda" worked, so swapping it in
    cannot change behaviour on CUDA."""
    t = ctx.torch_name
    return f"getattr({t}.accelerator.current_accelerator(), {quote}type{quote}, {quote}cpu{quote})"


def call_name(node: ast.Call) -> str | None:
    """The attribute name of a method call (`x.cuda()` -> "cuda")."""
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def kwarg(node: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in node.keywords if k.arg == name), None)


def is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
