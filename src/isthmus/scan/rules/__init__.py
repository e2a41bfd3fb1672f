"""The rule catalogue: every rule class of every family, in code order."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from isthmus.errors import InputError
from isthmus.scan.model import CATEGORIES
from isthmus.scan.rules import (
    amp,
    compat,
    cuda_sources,
    deps,
    device,
    distributed,
    dtypes,
    extensions,
    kernels,
    launch,
    memory,
    ops,
    thirdparty,
)
from isthmus.scan.rules.base import Case, FileRule, NameRule, NodeRule, Rule

FAMILIES = (
    device,
    memory,
    amp,
    distributed,
    kernels,
    extensions,
    dtypes,
    thirdparty,
    deps,
    launch,
    cuda_sources,
    ops,
    compat,
)

__all__ = ["Case", "FileRule", "NameRule", "NodeRule", "Rule", "all_rules", "check_codes", "get_rule", "rules_in"]


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every concrete rule class, sorted by code."""
    found: dict[str, type[Rule]] = {}
    for module in FAMILIES:
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj.__module__ == module.__name__ and obj.code:
                if obj.code in found:
                    raise RuntimeError(f"duplicate rule code {obj.code}")
                found[obj.code] = obj
    return tuple(found[c] for c in sorted(found))


def get_rule(code: str) -> type[Rule] | None:
    return next((r for r in all_rules() if r.code == code.upper()), None)


def rules_in(category: str | None = None) -> tuple[type[Rule], ...]:
    """Every rule, or only `category`'s (InputError naming the categories when it is not one)."""
    if category is not None and category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}", hint=f"use one of: {', '.join(CATEGORIES)}")
    return tuple(r for r in all_rules() if category is None or r.category == category)


def check_codes(codes: Iterable[str]) -> None:
    """Every code is ALL or a prefix of some rule's code (InputError otherwise: a typo must not select nothing)."""
    known = [r.code for r in all_rules()]
    for c in codes:
        if c != "ALL" and not any(k.startswith(c) for k in known):
            raise InputError(f"unknown rule code {c!r}", hint="use codes from `isthmus rules` (IST101...) or ALL")
