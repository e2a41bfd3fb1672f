"""isthmus.assess: the recipe that runs every capability on one project and collects one readiness report.

A section is a function `(AssessContext) -> SectionResult` in `isthmus.assess.sections` (one module each), built
only on each capability's public API. `SECTIONS` lists them in report order ("module:function", imported lazily);
`run_assess` runs them, turning a section that raises into an "error" section, so one broken capability never
loses the rest of the report. `summarize` ranks what the sections found into the report's first screen.
Rendering (`report.html`) is `isthmus.report`'s job.
"""

from isthmus.assess.model import AssessContext, AssessReport, Blocker, SectionResult, SectionStatus
from isthmus.assess.runner import SECTIONS, run_assess
from isthmus.assess.summary import SIDE_NAMES, Summary, summarize

__all__ = [
    "SECTIONS",
    "SIDE_NAMES",
    "AssessContext",
    "AssessReport",
    "Blocker",
    "SectionResult",
    "SectionStatus",
    "Summary",
    "run_assess",
    "summarize",
]
