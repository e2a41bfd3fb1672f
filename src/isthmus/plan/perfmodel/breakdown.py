"""Where the time goes: compute, memory and communication, and which one bounds the step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Bound = Literal["compute", "memory", "communication", "pipeline bubble"]


@dataclass(frozen=True)
class Breakdown:
    """Seconds per step, additive: `compute_s` is time in compute-bound kernels, `memory_s` time in memory-bound
    kernels (per-operator roofline: each kernel takes the slower of its FLOPs and its bytes), `comm_s` the
    communication left exposed after overlap, `bubble_s` pipeline idle time."""

    compute_s: float = 0.0
    memory_s: float = 0.0
    comm_s: float = 0.0
    bubble_s: float = 0.0
    comm_total_s: float = 0.0  # all communication, overlapped or not (for the explanation)

    def __add__(self, other: Breakdown) -> Breakdown:
        return Breakdown(
            self.compute_s + other.compute_s,
            self.memory_s + other.memory_s,
            self.comm_s + other.comm_s,
            self.bubble_s + other.bubble_s,
            self.comm_total_s + other.comm_total_s,
        )

    def scale(self, k: float) -> Breakdown:
        return Breakdown(
            self.compute_s * k, self.memory_s * k, self.comm_s * k, self.bubble_s * k, self.comm_total_s * k
        )

    @property
    def total_s(self) -> float:
        return self.compute_s + self.memory_s + self.comm_s + self.bubble_s

    @property
    def bound(self) -> Bound:
        """The largest contributor to `total_s`."""
        parts: dict[Bound, float] = {
            "compute": self.compute_s,
            "memory": self.memory_s,
            "communication": self.comm_s,
            "pipeline bubble": self.bubble_s,
        }
        return max(parts, key=lambda k: parts[k])

    def to_json(self) -> dict[str, Any]:
        return {
            "compute_s": self.compute_s,
            "memory_s": self.memory_s,
            "comm_exposed_s": self.comm_s,
            "comm_total_s": self.comm_total_s,
            "bubble_s": self.bubble_s,
            "total_s": self.total_s,
            "bound": self.bound,
        }


def overlapped(compute: Breakdown, comm_s: float, share: float = 0.0) -> Breakdown:
    """`compute` with `comm_s` of communication hidden behind it as far as it lasts (micro-batch overlap).

    `share`: the fraction of the compute units the communication kernels occupy while they run (SM-driven
    collectives on GPUs), which slows the overlapped compute: the step is max(busy + share·comm, comm).
    """
    busy = compute.compute_s + compute.memory_s
    exposed = max(share * comm_s, comm_s - busy)
    return Breakdown(
        compute.compute_s, compute.memory_s, compute.comm_s + exposed, compute.bubble_s, compute.comm_total_s + comm_s
    )


def exposed(compute: Breakdown, comm_s: float) -> Breakdown:
    """`compute` followed by `comm_s` of communication that nothing hides."""
    return Breakdown(
        compute.compute_s, compute.memory_s, compute.comm_s + comm_s, compute.bubble_s, compute.comm_total_s + comm_s
    )


def roofline(compute_s: float, memory_s: float) -> Breakdown:
    """One kernel (or a fused group): limited by the slower of its compute and its memory traffic."""
    return Breakdown(compute_s, 0.0) if compute_s >= memory_s else Breakdown(0.0, memory_s)
