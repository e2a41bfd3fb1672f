"""One concept, one home: a class name means one thing across the package, validated files share one base, and
validation errors are worded in one place (`isthmus.schema`)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "isthmus"
SCHEMA = PACKAGE / "schema.py"


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_the_walk_sees_the_package() -> None:
    assert SCHEMA in MODULES and len(MODULES) > 100


def test_no_top_level_class_name_is_defined_twice() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for path, tree in MODULES.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                homes[node.name].append(_rel(path))
    reused = {name: where for name, where in homes.items() if len(where) > 1}
    assert not reused, f"class names defined in more than one module (merge them, or rename one): {reused}"


def _base_names(node: ast.ClassDef) -> set[str]:
    return {b.id if isinstance(b, ast.Name) else b.attr for b in node.bases if isinstance(b, (ast.Name, ast.Attribute))}


def test_every_pydantic_model_derives_from_the_one_strict_base() -> None:
    direct = [
        f"{_rel(path)}:{node.name}"
        for path, tree in MODULES.items()
        if path != SCHEMA
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and "BaseModel" in _base_names(node)
    ]
    assert not direct, f"derive these from isthmus.schema.StrictModel: {direct}"


def _catches_validation_errors(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "pydantic"
        and any(a.name == "ValidationError" for a in node.names)
        for node in ast.walk(tree)
    )


def test_validation_errors_are_worded_in_one_place() -> None:
    # in a module that handles pydantic's ValidationError, only isthmus.schema.describe reads its errors
    readers = [
        f"{_rel(path)}:{node.lineno}"
        for path, tree in MODULES.items()
        if path != SCHEMA and _catches_validation_errors(tree)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("errors", "error_count")
    ]
    assert not readers, f"word validation errors with isthmus.schema.describe: {readers}"
