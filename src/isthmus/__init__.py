"""isthmus: one codebase, one model, one validation flow and one capacity plan for CUDA and Ascend.

Importing this package is cheap and has no side effects: capabilities live in sub-packages
(`isthmus.accel`, `isthmus.scan`, `isthmus.ops`, `isthmus.parity`, `isthmus.plan`, `isthmus.report`)
that import torch and other heavy libraries only when used.
"""

__version__ = "0.1.0"
