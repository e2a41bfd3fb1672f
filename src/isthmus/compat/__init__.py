"""isthmus.compat: which torch / torch_npu / CANN / driver / CUDA versions work together.

- `load_matrix()`: the packaged, dated compatibility data (every row with its source and kind).
- `check_stack(stack)`: problems of a stack (a mapping of component -> version) and the nearest compatible set.
- `pins`: a project's version pins (requirements, pyproject, Dockerfiles) read into such a stack.
"""

from __future__ import annotations

from isthmus.compat.check import CompatProblem, StackCheck, check_stack, nearest_ascend, nearest_cuda
from isthmus.compat.matrix import load_matrix
from isthmus.compat.pins import Pin, pins_of, stack_of

__all__ = [
    "CompatProblem",
    "Pin",
    "StackCheck",
    "check_stack",
    "load_matrix",
    "nearest_ascend",
    "nearest_cuda",
    "pins_of",
    "stack_of",
]
