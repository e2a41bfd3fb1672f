"""The assess report's renderer: section results (data and blocks) to `report.json` and `report.html`.

`isthmus.assess` runs the sections and returns an `AssessReport`; this package turns it into one self-contained
page (`render_page`) and writes both files atomically (`write_report`).
"""

from isthmus.report.html import render_blocks, render_document, render_page
from isthmus.report.writer import write_report

__all__ = ["render_blocks", "render_document", "render_page", "write_report"]
