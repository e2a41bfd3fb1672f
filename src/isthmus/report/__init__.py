"""The assess report: sections contributed by each capability, rendered to `report.json` and `report.html`.

A section is a function `(AssessContext) -> SectionResult`. Capabilities register theirs in `SECTIONS` (one line
each, "module:function", imported lazily). `run_assess` runs them in order, turning a section that raises into an
"error" section, so one broken capability never loses the rest of the report.
"""

from isthmus.report.model import AssessContext, AssessReport, SectionResult, SectionStatus
from isthmus.report.runner import SECTIONS, run_assess, write_report

__all__ = [
    "SECTIONS",
    "AssessContext",
    "AssessReport",
    "SectionResult",
    "SectionStatus",
    "run_assess",
    "write_report",
]
