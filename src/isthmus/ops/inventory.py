"""An operator inventory: a capture checked against target profiles (per operator, per dtype, per target)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from isthmus.ops import knowledge
from isthmus.ops.capture import Capture
from isthmus.ops.targets import PROBLEMS, OpSupport, TargetProfile, display, get_target

if TYPE_CHECKING:
    import torch

PROBLEM = PROBLEMS


@dataclass(frozen=True)
class OpRow:
    """One operator of the model with its support on every target."""

    key: str
    op: str  # aten::name.overload
    count: int
    dtypes: tuple[str, ...]
    paths: tuple[tuple[str, int], ...]
    phases: tuple[str, ...]
    support: tuple[tuple[str, OpSupport], ...]  # (target, support)
    sources: tuple[tuple[str, str, str], ...] = ()  # (module path, file:line, code) of the model's code

    def on(self, target: str) -> OpSupport:
        return dict(self.support)[target]


@dataclass(frozen=True)
class DtypeProblem:
    """A dtype the model uses that a target lacks, with the module paths and operators that use it."""

    target: str
    dtype: str
    status: str  # downcast | error
    to: str | None
    note: str
    count: int
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    suggestion: str | None


@dataclass(frozen=True)
class TargetSummary:
    """Per-target totals over operator calls."""

    target: str
    description: str
    registry_source: str
    calls: int
    native_calls: int
    decomposed_calls: int
    fallback_calls: int
    unsupported_calls: int
    fallback_ops: tuple[str, ...]
    unsupported_ops: tuple[str, ...]
    slow_ops: tuple[str, ...]
    dtype_problems: int
    dtype_errors: int
    unverified_calls: int = 0
    unverified_ops: tuple[str, ...] = ()

    @property
    def native_pct(self) -> float:
        return 100.0 * self.native_calls / self.calls if self.calls else 100.0

    @property
    def failures(self) -> int:
        """Distinct operators with no way to run, plus dtypes the target rejects."""
        return len(self.unsupported_ops) + self.dtype_errors

    def line(self) -> str:
        return (
            f"{self.target}: {self.native_pct:.1f}% of {self.calls} calls native, "
            f"{100.0 * self.decomposed_calls / max(self.calls, 1):.1f}% decomposed; "
            f"{len(self.fallback_ops)} fallback op(s), {self.failures} failure(s), "
            f"{self.dtype_problems} dtype problem(s), {len(self.unverified_ops)} unverified op(s)"
        )


@dataclass(frozen=True)
class Inventory:
    """The whole answer of `isthmus ops` for one model."""

    capture: Capture
    targets: tuple[str, ...]
    rows: tuple[OpRow, ...]
    dtype_problems: tuple[DtypeProblem, ...]
    summaries: tuple[TargetSummary, ...]

    @property
    def has_problems(self) -> bool:
        return any(s.fallback_ops or s.failures or s.dtype_problems for s in self.summaries)

    @property
    def has_unverified(self) -> bool:
        """Some operator's evidence is ambiguous on some target (counted apart from problems)."""
        return any(s.unverified_ops for s in self.summaries)

    def to_json(self) -> dict[str, Any]:
        c = self.capture
        return {
            "format": "isthmus-ops/1",
            "model": c.model,
            "device": c.device,
            "phases": list(c.phases),
            "parameters": c.parameters,
            "seconds": round(c.seconds, 3),
            "note": c.note,
            "targets": {
                s.target: {
                    "description": s.description, "registry": s.registry_source, "summary": s.line(),
                    "calls": s.calls, "native_calls": s.native_calls, "decomposed_calls": s.decomposed_calls,
                    "fallback_calls": s.fallback_calls, "unsupported_calls": s.unsupported_calls,
                    "native_pct": round(s.native_pct, 2), "fallback_ops": list(s.fallback_ops),
                    "unsupported_ops": list(s.unsupported_ops), "slow_ops": list(s.slow_ops),
                    "unverified_calls": s.unverified_calls, "unverified_ops": list(s.unverified_ops),
                    "dtype_problems": s.dtype_problems,
                }
                for s in self.summaries
            },
            "ops": [
                {
                    "op": r.op, "count": r.count, "dtypes": list(r.dtypes), "phases": list(r.phases),
                    "paths": dict(r.paths),
                    "sources": {p: {"source": src, "code": code} for p, src, code in r.sources if src},
                    "support": {
                        t: {"status": s.status, "via": list(s.via), "slow": s.slow, "note": s.note,
                            "suggestion": s.suggestion, "evidence": s.evidence, "source": s.source}
                        for t, s in r.support
                    },
                }
                for r in self.rows
            ],
            "dtype_problems": [
                {"target": d.target, "dtype": d.dtype, "status": d.status, "to": d.to, "note": d.note,
                 "count": d.count, "paths": {p: list(ops) for p, ops in d.paths}, "suggestion": d.suggestion}
                for d in self.dtype_problems
            ],
            "decompositions": {display(k): [display(p) for p in v] for k, v in c.decompositions.items()},
        }  # fmt: skip


def _row(rec: Any, profiles: Sequence[TargetProfile], capture: Capture) -> OpRow:
    support = []
    for p in profiles:
        s = p.support(display(rec.key), capture.decompositions)
        slow = p.slow_path(rec.key, set(rec.dtypes))
        if slow and not s.slow:
            s = replace(s, slow=True, note=f"{s.note}; {slow}".strip("; "))
        support.append((p.name, s))
    return OpRow(rec.key, display(rec.key), rec.count, rec.dtypes, rec.paths, rec.phases, tuple(support), rec.sources)


def _dtype_problems(capture: Capture, profile: TargetProfile) -> list[DtypeProblem]:
    out = []
    for use in capture.dtypes:
        ds = profile.dtype_support(use.dtype)
        if ds.status != "native":
            paths = tuple((p, tuple(display(k) for k in ks)) for p, ks in use.paths)
            out.append(
                DtypeProblem(
                    profile.name,
                    use.dtype,
                    ds.status,
                    ds.to,
                    ds.note,
                    use.count,
                    paths,
                    knowledge.DTYPE_SUGGESTIONS.get(use.dtype),
                )
            )
    return out


def _summary(profile: TargetProfile, rows: Sequence[OpRow], dtype_problems: Sequence[DtypeProblem]) -> TargetSummary:
    calls = {"native": 0, "decomposed": 0, "unverified": 0, "fallback": 0, "unsupported": 0}
    for r in rows:
        calls[r.on(profile.name).status] += r.count
    by = {st: tuple(r.op for r in rows if r.on(profile.name).status == st) for st in (*PROBLEM, "unverified")}
    slow = tuple(r.op for r in rows if r.on(profile.name).slow and r.on(profile.name).status != "fallback")
    mine = [d for d in dtype_problems if d.target == profile.name]
    return TargetSummary(
        profile.name, profile.description, profile.registry_source, sum(calls.values()), calls["native"],
        calls["decomposed"], calls["fallback"], calls["unsupported"], by["fallback"], by["unsupported"], slow,
        len(mine), sum(1 for d in mine if d.status == "error"), calls["unverified"], by["unverified"],
    )  # fmt: skip


def build_inventory(capture: Capture, profiles: Sequence[TargetProfile]) -> Inventory:
    """Check every captured operator and dtype against every profile."""
    rows = tuple(_row(rec, profiles, capture) for rec in capture.ops)
    problems = tuple(d for p in profiles for d in _dtype_problems(capture, p))
    summaries = tuple(_summary(p, rows, problems) for p in profiles)
    return Inventory(capture, tuple(p.name for p in profiles), rows, problems, summaries)


def inventory(
    spec: str,
    targets: Sequence[str] | None = None,
    *,
    input_shape: tuple[int, ...] | None = None,
    dtype: torch.dtype | None = None,
    train: bool = False,
    torch_npu_version: str | None = None,
    seed: int = 0,
) -> Inventory:
    """Capture the model `spec` names and check it against `targets` (names from `list_targets()`; default: the
    registry's default targets)."""
    from isthmus.ops.capture import capture_model
    from isthmus.targets import defaults

    chosen = defaults() if targets is None else targets
    profiles = [get_target(t, torch_npu_version) for t in dict.fromkeys(chosen)]  # validate before capture
    capture = capture_model(spec, input_shape=input_shape, dtype=dtype, train=train, seed=seed)
    return build_inventory(capture, profiles)
