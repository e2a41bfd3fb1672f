"""The rule catalogue: every rule class of every family, in code order."""

from __future__ import annotations

from functools import lru_cache

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

__all__ = ["Case", "FileRule", "NameRule", "NodeRule", "Rule", "all_rules", "get_rule"]


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
