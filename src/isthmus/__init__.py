"""isthmus: one codebase, one model, one validation flow and one capacity plan for CUDA and Ascend.

Importing this package is cheap and has no side effects: capabilities live in sub-packages
(`isthmus.accel`, `isthmus.scan`, `isthmus.ops`, `isthmus.parity`, `isthmus.plan`, `isthmus.compat`,
`isthmus.monitor`) that import torch and other heavy libraries only when used; `isthmus.assess` composes them into
one readiness report, which `isthmus.report` renders.
"""

__version__ = "0.1.0"
