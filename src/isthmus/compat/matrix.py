"""The packaged compatibility data, loaded once and validated, plus version helpers shared by every check.

Versions are PEP 440 (`packaging`) except CANN and Ascend HDK driver versions ("8.3.RC1", "25.5.1"), which are
matched case-insensitively by release prefix ("8.5" matches "8.5.1"; "8.3.RC1" matches "8.3.RC1.alpha002").
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from isthmus.compat.schema import CompatFile, CompatRow, Kind, PinRule
from isthmus.schema import validate_packaged

# components named by a prefix-matched vendor version rather than a PEP 440 one
PREFIX_COMPONENTS = frozenset({"cann", "ascend_driver"})
SEVERITY: dict[Kind, str] = {"official": "error", "observed": "warning", "unknown": "info"}


@functools.lru_cache(maxsize=1)
def load_matrix() -> CompatFile:
    """The packaged compatibility data (validated; cached)."""
    text = resources.files("isthmus.compat").joinpath("data/compat.yaml").read_text(encoding="utf-8")
    return validate_packaged(CompatFile, text, "compatibility data")


def source_text(data: CompatFile, row: CompatRow | PinRule) -> str:
    """'title <url> (date)' of a row's source."""
    s = data.sources[row.source]
    return f"{s.title} <{s.url}> ({s.date.isoformat()})"


def version(v: str) -> Version | None:
    """A PEP 440 version, or None when `v` is not one (the caller reports it as unknown)."""
    try:
        return Version(v.strip())
    except InvalidVersion:
        return None


def release(v: str) -> str | None:
    """The release part without pre/post/dev/local labels: '2.1.0.post12' -> '2.1.0', '2.4.1+cu121' -> '2.4.1'."""
    parsed = version(v)
    return None if parsed is None else ".".join(str(p) for p in parsed.release)


def minor(v: str) -> str | None:
    """'3.10.14' -> '3.10'; '2.9.0+cpu' -> '2.9'."""
    parsed = version(v)
    return None if parsed is None else ".".join(str(p) for p in (*parsed.release, 0)[:2])


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality ignoring local labels ('2.9.0.post1+git4c901a4' == '2.9.0.post1')."""
    va, vb = version(a), version(b)
    return va is not None and vb is not None and va.public == vb.public


def satisfies(component: str, installed: str, spec: str) -> bool | None:
    """Whether `installed` meets `spec` for `component` (None: unreadable version or specifier)."""
    if component in PREFIX_COMPONENTS:
        return prefix_match(installed, spec)
    parsed = version(installed)
    if parsed is None:
        return None
    try:
        return SpecifierSet(spec, prereleases=True).contains(Version(parsed.public), prereleases=True)
    except InvalidSpecifier:
        return None


def prefix_match(installed: str, wanted: str) -> bool:
    """CANN / HDK matching: equal, or `wanted` is a dotted prefix of `installed` (case-insensitive)."""
    a, b = _norm(installed), _norm(wanted.lstrip("=<>~! "))
    return a == b or a.startswith(b + ".")


def cann_key(v: str) -> tuple[tuple[int, int], ...]:
    """Sort key for CANN versions: 8.0.RC1 < 8.0.RC2 < 8.0.0 < 8.1.RC1 < 8.5.0 < 9.0.0."""
    parts: list[tuple[int, int]] = []
    for p in _norm(v).split("."):
        m = re.fullmatch(r"RC(\d+)", p)
        if p.isdigit():
            parts.append((1, int(p)))
        elif m:
            parts.append((0, int(m.group(1))))  # a release candidate sorts before the final release
        else:
            parts.append((-1, 0))  # alpha/beta builds and anything else sort first
    return tuple(parts)


def _norm(v: str) -> str:
    return v.strip().upper().removeprefix("CANN").strip().replace("-", ".")
