"""Data types of the assess report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from isthmus.project import Project

# pass: ready on every target; warn: works with caveats; fail: will break on a target;
# skipped: not applicable or not configured; error: the capability itself failed (a bug or a broken stack)
SectionStatus = Literal["pass", "warn", "fail", "skipped", "error"]


@dataclass(frozen=True)
class AssessContext:
    """What a section gets: the project, the chosen targets and a scratch directory inside the output."""

    project: Project
    targets: tuple[str, ...]
    work_dir: Path  # inside the (temporary) output directory: artefacts written here end up in --out
    quick: bool = False  # fewer steps / smaller inputs, for tests


@dataclass(frozen=True)
class SectionResult:
    """One section: a JSON-able `data` payload and an HTML fragment built by the section (escaped there)."""

    key: str
    title: str
    status: SectionStatus
    summary: str  # one line for the terminal and the report's overview
    data: dict[str, Any] = field(default_factory=dict)
    html: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "seconds": round(self.seconds, 3),
            "data": self.data,
        }


@dataclass(frozen=True)
class AssessReport:
    project: str
    targets: tuple[str, ...]
    created: str  # ISO-8601 UTC
    version: str
    sections: tuple[SectionResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "isthmus-assess/1",
            "project": self.project,
            "targets": list(self.targets),
            "created": self.created,
            "isthmus_version": self.version,
            "sections": [s.to_json() for s in self.sections],
        }

    @property
    def worst(self) -> SectionStatus:
        order: list[SectionStatus] = ["error", "fail", "warn", "pass", "skipped"]
        statuses = {s.status for s in self.sections}
        return next((s for s in order if s in statuses), "skipped")
