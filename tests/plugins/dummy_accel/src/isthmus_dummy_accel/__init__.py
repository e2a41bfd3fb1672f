"""Out-of-tree isthmus accelerator used by the tests to exercise entry-point discovery for real.

It registers `probe` in the `isthmus.accelerators.v1` entry-point group. The probe is INACTIVE (returns None)
unless ISTHMUS_DUMMY_ACCEL=1, so installing this package never changes discovery anywhere else.
"""

from __future__ import annotations

import os

from isthmus.accel.cpu import CpuAccelerator
from isthmus.accel.interface import Accelerator


class DummyAccelerator(CpuAccelerator):
    """A CPU in disguise: a third-party backend with its own name."""

    name = "dummy"


def probe() -> type[Accelerator] | None:
    """Active only when ISTHMUS_DUMMY_ACCEL=1 (set by the tests)."""
    return DummyAccelerator if os.environ.get("ISTHMUS_DUMMY_ACCEL") == "1" else None
