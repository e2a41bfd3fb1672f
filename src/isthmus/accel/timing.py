"""Host-side stand-ins for streams and events on backends without them (CPU, MPS streams).

`HostEvent` keeps CUDA-event semantics that training loops rely on: `start.elapsed_time(end)` returns real
milliseconds measured with `time.perf_counter` (the host is synchronous, so recording is the completion time).
"""

from __future__ import annotations

import time
from typing import Any


class HostEvent:
    """An event recorded on the host: `record()` stamps the time; `elapsed_time` is in milliseconds."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False) -> None:
        self.enable_timing = enable_timing
        self._t: float | None = None

    def record(self, stream: Any = None) -> None:
        self._t = time.perf_counter()

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        """Work on the host is already complete when `record` returns."""

    def wait(self, stream: Any = None) -> None:
        """Nothing to wait for: the host runs in order."""

    def elapsed_time(self, end_event: HostEvent) -> float:
        """Milliseconds between this event's and `end_event`'s `record()` calls."""
        if not (self.enable_timing and end_event.enable_timing):
            raise ValueError("both events must be created with enable_timing=True")
        if self._t is None or end_event._t is None:
            raise ValueError("both events must be recorded before elapsed_time()")
        return (end_event._t - self._t) * 1000.0


class HostStream:
    """A stream on the host: work runs in order, so synchronisation is immediate. `with stream:` is a no-op."""

    priority = 0  # one host stream, one priority (CUDA's default)

    def __enter__(self) -> HostStream:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to restore: there is one host stream."""

    def synchronize(self) -> None:
        """Already complete."""

    def wait_stream(self, stream: Any) -> None:
        """Host work is ordered: nothing to wait for."""

    def wait_event(self, event: Any) -> None:
        """Host work is ordered: nothing to wait for."""

    def query(self) -> bool:
        return True

    def record_event(self, event: HostEvent | None = None) -> HostEvent:
        ev = event or HostEvent()
        ev.record()
        return ev
