"""Data types of the assess report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from isthmus.blocks import Block
from isthmus.project import Project

# pass: ready on every target; warn: works with caveats; fail: will break on a target;
# skipped: not applicable or not configured; error: the capability itself failed (a bug or a broken stack)
SectionStatus = Literal["pass", "warn", "fail", "skipped", "error"]

# which side of the border a finding concerns: "ascend" (any Ascend target), "cuda" (any CUDA target), "both"
Side = Literal["ascend", "cuda", "both"]
# blocks: the project will not run (or not be allowed) there until fixed; caveat: runs, with a cost or a risk
Severity = Literal["blocks", "caveat"]
# rough effort of the fix, ordered: what a reader plans a sprint with
Effort = Literal["minutes", "hours", "days", "weeks"]
EFFORT_ORDER: tuple[Effort, ...] = ("minutes", "hours", "days", "weeks")


@dataclass(frozen=True)
class Blocker:
    """One thing between the project and a target, with the fix and its rough effort (for the summary)."""

    side: Side
    severity: Severity
    what: str  # one sentence: what is wrong, with a count and an example
    fix: str  # what to do (a command when there is one)
    effort: Effort
    section: str = ""  # key of the section that found it (filled in by the runner)

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AssessContext:
    """What a section gets: the project, the chosen targets and a scratch directory inside the output."""

    project: Project
    targets: tuple[str, ...]
    work_dir: Path  # inside the (temporary) output directory: artefacts written here end up in --out
    quick: bool = False  # fewer steps / smaller inputs, for tests

    def rel(self, path: Path) -> str:
        """`path` (under work_dir) as the report links it: relative to the final report directory."""
        try:
            return path.relative_to(self.work_dir.parent).as_posix()
        except ValueError:
            return path.as_posix()


@dataclass(frozen=True)
class SectionResult:
    """One section: a JSON-able `data` payload and what the report page shows, as blocks (`isthmus.blocks`)."""

    key: str
    title: str
    status: SectionStatus
    summary: str  # one line for the terminal and the report's overview
    data: dict[str, Any] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    seconds: float = 0.0
    blockers: tuple[Blocker, ...] = ()  # what stands between the project and a target, for the summary

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "seconds": round(self.seconds, 3),
            "blockers": [b.to_json() for b in self.blockers],
            "data": self.data,
        }


@dataclass(frozen=True)
class AssessReport:
    project: str
    targets: tuple[str, ...]
    created: str  # ISO-8601 UTC
    version: str
    sections: tuple[SectionResult, ...]

    def section(self, key: str) -> SectionResult | None:
        return next((s for s in self.sections if s.key == key), None)

    def to_json(self) -> dict[str, Any]:
        from isthmus.assess.summary import summarize

        return {
            "format": "isthmus-assess/1",
            "summary": summarize(self).to_json(),
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
