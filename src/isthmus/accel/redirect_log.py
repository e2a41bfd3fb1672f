"""What `isthmus run` redirected and what it could not: counts and the first place in user code.

The log is a mutable collector while the program runs (a dictionary lookup and an increment per call: the stack
is walked only on the first hit of each kind) and is frozen into `Redirection` records for the report.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from isthmus._paths import display_path

_ISTHMUS_DIR = str(Path(__file__).resolve().parents[1])
_TORCH_DIR: str | None = None
_STDLIB_DIRS = tuple({os.path.dirname(os.__file__), os.path.dirname(threading.__file__)})

Kind = Literal["redirected", "no-op", "unmapped"]


@dataclass(frozen=True)
class Redirection:
    """One kind of CUDA use: `what` the program called, what it became (`to`), how often, and where first."""

    what: str
    to: str
    kind: Kind
    count: int
    first_site: str  # "path/to/file.py:LINE" of the first call from user code ("?" when none was found)

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "to": self.to, "kind": self.kind, "count": self.count, "first": self.first_site}


def torch_dir() -> str:
    """The directory of the installed torch package."""
    global _TORCH_DIR
    if _TORCH_DIR is None:
        import torch

        _TORCH_DIR = str(Path(torch.__file__).resolve().parent)
    return _TORCH_DIR


def is_internal_file(filename: str) -> bool:
    """True for the files of isthmus, torch and the standard library (frames that are not the program's)."""
    return filename.startswith((_ISTHMUS_DIR, torch_dir(), *_STDLIB_DIRS, "<frozen"))


def user_site(skip: int = 2) -> str:
    """file:line of the innermost frame outside isthmus, torch and the standard library."""
    frame = sys._getframe(skip)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_internal_file(filename):
            return f"{display_path(filename)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def redirected_records(records: Iterable[Redirection]) -> tuple[Redirection, ...]:
    """The records of calls that were redirected or made no-ops."""
    return tuple(r for r in records if r.kind != "unmapped")


def unmapped_records(records: Iterable[Redirection]) -> tuple[Redirection, ...]:
    """The records of CUDA-only calls passed through unchanged."""
    return tuple(r for r in records if r.kind == "unmapped")


class RedirectionLog:
    """Collects hits while a redirection is active; `records()` freezes them in first-seen order."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._entries: dict[tuple[str, str], list[Any]] = {}  # (what, to) -> [kind, count, site]
        self.notes: list[str] = []

    def hit(self, what: str, to: str, kind: Kind = "redirected") -> None:
        """Count one use of `what` that became `to`."""
        entry = self._entries.get((what, to))
        if entry is None:
            self._entries[(what, to)] = [kind, 1, user_site(3)]
        else:
            entry[1] += 1

    def miss(self, what: str) -> None:
        """Count one CUDA-only call with no mapping on the target (it is passed through unchanged)."""
        self.hit(what, "(not mapped: passed through)", "unmapped")

    def records(self) -> tuple[Redirection, ...]:
        return tuple(
            Redirection(what, to, kind, count, site) for (what, to), (kind, count, site) in self._entries.items()
        )

    @property
    def redirected(self) -> tuple[Redirection, ...]:
        return redirected_records(self.records())

    @property
    def unmapped(self) -> tuple[Redirection, ...]:
        return unmapped_records(self.records())

    def __len__(self) -> int:
        return len(self._entries)
