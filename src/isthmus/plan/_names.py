"""Name lookup shared by the catalogue and the rule data: case- and punctuation-insensitive keys with aliases,
and "did you mean" suggestions (difflib) for unknown names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from isthmus.errors import InputError


def normalise(name: str) -> str:
    """`"Ascend 910C"`, `"ascend-910c"` and `"ASCEND_910C"` all become `"ascend910c"`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def build_index(entries: Iterable[tuple[str, Iterable[str]]], what: str) -> dict[str, str]:
    """Map every normalised key and alias to its key; two entries claiming one name is a data error."""
    index: dict[str, str] = {}
    for key, aliases in entries:
        for name in (key, *aliases):
            norm = normalise(name)
            if index.get(norm, key) != key:
                raise ValueError(f"{what} name {name!r} is claimed by both {index[norm]!r} and {key!r}")
            index[norm] = key
    return index


def resolve(name: str, index: Mapping[str, str], what: str) -> str:
    """Return the key for `name`, or raise InputError naming the closest known keys (matched over aliases too)."""
    norm = normalise(name)
    key = index.get(norm)
    if key is not None:
        return key
    close = difflib.get_close_matches(norm, list(index), n=8, cutoff=0.5)
    if not close and norm:  # a substring catches "910" -> ascend-910a/b/c
        close = [n for n in index if norm in n]
    keys = list(dict.fromkeys(index[c] for c in close))[:4]
    hint = f"did you mean {', '.join(keys)}?" if keys else f"known: {', '.join(sorted(set(index.values())))}"
    raise InputError(f"unknown {what} {name!r}", hint=hint)
