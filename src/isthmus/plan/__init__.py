"""isthmus.plan: the facts and the arithmetic behind capacity plans.

- `catalog`: accelerators and systems, every figure with its source and kind (`load_catalog()`).
- `tpp`: ECCN 3A090 arithmetic (TPP, performance density, the classification of each rule vintage).
- `policy`: export-control and procurement rules as dated data, and a pure engine that answers
  "may chip X go to destination Y, for actor Z, on date D?" (`check()`), with what-if `scenario` files.

Nothing here is legal advice; every verdict says so and carries the date of its rule data.
"""

from __future__ import annotations

from isthmus.plan.catalog import Catalog, Chip, Figure, Source, System, load_catalog
from isthmus.plan.policy import FiredRule, Verdict, check, load_rules, matrix
from isthmus.plan.scenario import Scenario, load_scenario
from isthmus.plan.tpp import Classification, classify, classify_chip

__all__ = [
    "Catalog",
    "Chip",
    "Classification",
    "Figure",
    "FiredRule",
    "Scenario",
    "Source",
    "System",
    "Verdict",
    "check",
    "classify",
    "classify_chip",
    "load_catalog",
    "load_rules",
    "load_scenario",
    "matrix",
]
