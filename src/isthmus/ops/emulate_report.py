"""What an emulated run found: one entry per problem site, plus the crash that ended the run, if any.

A site is (operator, dtypes, module path, phase, kind): the first call records where it came from (the user's
source line), later calls only add to its count and time, so recording stays cheap on hot loops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

FindingKind = Literal["unsupported", "fallback", "unverified", "dtype", "slow", "crash"]
# unsupported/fallback: no kernel on the target; unverified: the registry evidence is ambiguous (only the out=
# variant listed, only older torch_npu releases list it), counted apart; dtype: a dtype the target lacks
# (behaviour: error or downcast); slow: a known slow path (AICPU kernels, int64 on hot ops); crash: the exception
# that ended the run.
KIND_ORDER: tuple[FindingKind, ...] = ("unsupported", "fallback", "unverified", "dtype", "slow", "crash")
Phase = Literal["forward", "backward", "outside"]


@dataclass(frozen=True)
class EmulateFinding:
    """One problem site and what the target would do there."""

    kind: FindingKind
    op: str  # "aten::_int_mm.default", or the exception type for a crash
    dtypes: tuple[str, ...]  # dtypes the call saw (inputs and outputs)
    behaviour: str  # "error", "cpu fallback", "downcast to float32", "aicpu", ...
    module: str | None  # module path ("blocks.3.attn"; "" is the root module); None outside any module
    phase: Phase
    source: str  # "path/to/file.py:123" of the innermost user frame, "" if none
    code: str  # that source line, stripped
    count: int = 1
    seconds: float = 0.0  # host time spent in these calls
    note: str = ""
    suggestion: str | None = None

    @property
    def where(self) -> str:
        """The module path as people read it."""
        if self.module is None:
            return "(outside modules)"
        return self.module or "(root module)"

    def to_json(self, total_seconds: float) -> dict[str, Any]:
        share = self.seconds / total_seconds if total_seconds > 0 else 0.0
        return {
            "kind": self.kind,
            "op": self.op,
            "dtypes": list(self.dtypes),
            "behaviour": self.behaviour,
            "module": self.module,
            "phase": self.phase,
            "source": self.source,
            "code": self.code,
            "count": self.count,
            "seconds": round(self.seconds, 6),
            "time_share": round(share, 6),
            "note": self.note,
            "suggestion": self.suggestion,
        }


SiteKey = tuple[Any, ...]


@dataclass
class EmulationReport:
    """Findings of one emulated run, filled while it runs (the context manager yields it live).

    `findings` lists problem sites in the order they were first seen; `crash`, when set, is the last entry of
    `entries()`. `total_seconds` is the wall time inside the emulation (the denominator of time shares).
    """

    target: str
    strict: bool = False
    numerics: bool = False
    registry_source: str = ""
    sites: dict[SiteKey, EmulateFinding] = field(default_factory=dict)
    crash: EmulateFinding | None = None
    calls: int = 0  # operator calls checked on the device
    started: float = field(default_factory=time.perf_counter)
    total_seconds: float = 0.0
    numerics_note: str = ""

    def add(self, key: SiteKey, finding: EmulateFinding) -> None:
        self.sites[key] = finding

    def bump(self, key: SiteKey, seconds: float) -> bool:
        """Count one more call at a known site; False when the site is new."""
        f = self.sites.get(key)
        if f is None:
            return False
        self.sites[key] = replace(f, count=f.count + 1, seconds=f.seconds + seconds)
        return True

    def finish(self) -> None:
        self.total_seconds = time.perf_counter() - self.started

    @property
    def findings(self) -> tuple[EmulateFinding, ...]:
        return tuple(self.sites.values())

    def entries(self) -> tuple[EmulateFinding, ...]:
        """Findings, then the crash (always last)."""
        return self.findings + ((self.crash,) if self.crash else ())

    def of_kind(self, kind: FindingKind) -> tuple[EmulateFinding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    @property
    def problems(self) -> int:
        """Sites that would fail or run differently (everything except slow paths and unverified sites)."""
        return sum(1 for f in self.findings if f.kind not in ("slow", "unverified"))

    @property
    def unverified(self) -> int:
        """Sites whose registry evidence is ambiguous."""
        return sum(1 for f in self.findings if f.kind == "unverified")

    def summary(self) -> str:
        counts = {k: len(self.of_kind(k)) for k in KIND_ORDER if k != "crash"}
        parts = [f"{n} {k}" for k, n in counts.items() if n]
        text = ", ".join(parts) if parts else "no problems"
        tail = f"; crashed: {self.crash.op} at {self.crash.source or '?'}" if self.crash else ""
        return f"{self.target}: {text} in {self.calls} device operator calls{tail}"

    def to_json(self) -> dict[str, Any]:
        total = self.total_seconds
        return {
            "format": "isthmus-emulate/1",
            "target": self.target,
            "registry_source": self.registry_source,
            "strict": self.strict,
            "numerics": self.numerics,
            "numerics_note": self.numerics_note,
            "device_calls": self.calls,
            "seconds": round(total, 6),
            "summary": self.summary(),
            "entries": [f.to_json(total) for f in self.entries()],
        }
