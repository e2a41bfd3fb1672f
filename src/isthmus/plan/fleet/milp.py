"""Solve a fleet `Problem` as a mixed-integer program with HiGHS (through `highspy`).

Formulation (one row block per constraint group, so groups can be switched off to explain infeasibility):

    minimise    sum_o cost_o * n_o                                   (USD over the horizon)
    subject to  sum_{c in w} x_c = 1                for each workload w          demand:<w>
                sum_{c on o} need_c * x_c <= n_o    for each offer o             capacity (always)
                sum_{o in r} power_o * n_o <= cap_r for each capped region r     power:<r>
                0 <= n_o <= max_units_o, n_o integer                             quantity:<o>
                0 <= x_c <= 1                                                    (share of w carried on o)

Counts are integers, assignments are continuous fractions: a workload may be split over several offers, which keeps
the program small (one integer per offer) and is how a serving fleet behind a load balancer works anyway.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np

from isthmus.plan.fleet.problem import Problem

SolveStatus = Literal["optimal", "feasible", "infeasible", "error"]


@dataclass(frozen=True)
class Solution:
    """What the solver returned: counts per offer and shares per column (index-aligned with the problem)."""

    status: SolveStatus  # feasible = stopped by the time limit with a plan that is not proven within the gap
    cost: float  # USD over the horizon (nan when infeasible)
    gap: float  # relative MIP gap at the end (0 = proven optimal)
    units: tuple[int, ...]  # per offer
    share: tuple[float, ...]  # per column
    seconds: float
    variables: int
    integers: int
    rows: int

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


def active_offers(problem: Problem, relaxed: frozenset[str]) -> list[bool]:
    """Offers whose blockers are all relaxed (normally: offers with no blockers)."""
    return [all(b in relaxed for b in o.blockers) for o in problem.offers]


def active_columns(problem: Problem, relaxed: frozenset[str], offers_on: list[bool]) -> list[int]:
    """Indexes of columns usable under `relaxed`: their offer is active and their own blockers are relaxed."""
    return [i for i, c in enumerate(problem.columns) if offers_on[c.offer] and all(b in relaxed for b in c.blockers)]


def solve(
    problem: Problem,
    *,
    relaxed: frozenset[str] = frozenset(),
    mip_rel_gap: float = 0.01,
    time_limit_s: float = 60.0,
    feasibility_only: bool = False,
    min_units: Mapping[int, int] | None = None,
) -> Solution:
    """Solve `problem` with the groups in `relaxed` switched off.

    `feasibility_only` drops the objective (used by the infeasibility explanation, where only yes/no matters);
    `min_units` forces lower bounds on some counts (used to price "what if we used this offer anyway").
    """
    t0 = time.perf_counter()
    offers_on = active_offers(problem, relaxed)
    cols = active_columns(problem, relaxed, offers_on)
    o_idx = [i for i, on in enumerate(offers_on) if on]
    empty = Solution(
        "infeasible", float("nan"), 0.0, (0,) * len(problem.offers), (0.0,) * len(problem.columns), 0.0, 0, 0, 0
    )
    # a workload whose demand is enforced but that has no usable column cannot be carried: no need to solve
    has_col = {problem.columns[i].workload for i in cols}
    for wi, w in enumerate(problem.workloads):
        if f"demand:{w.key}" not in relaxed and wi not in has_col:
            return _timed(empty, t0)
    lp, n_rows = _build_lp(problem, relaxed, o_idx, cols, feasibility_only, min_units or {})
    h = _quiet_highs()
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("time_limit", float(time_limit_s))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kInfeasible or not has_solution:
        kind: SolveStatus = "infeasible" if status == highspy.HighsModelStatus.kInfeasible else "error"
        return _timed(
            Solution(kind, float("nan"), 0.0, empty.units, empty.share, 0.0, lp.num_col_, len(o_idx), n_rows), t0
        )
    values = np.asarray(h.getSolution().col_value)
    units = [0] * len(problem.offers)
    for k, oi in enumerate(o_idx):
        units[oi] = round(float(values[k]))
    share = [0.0] * len(problem.columns)
    for k, ci in enumerate(cols):
        share[ci] = min(1.0, max(0.0, float(values[len(o_idx) + k])))
    cost = sum(problem.offers[oi].unit_cost * units[oi] for oi in o_idx)
    gap = 0.0 if feasibility_only else max(0.0, float(info.mip_gap))
    optimal = status == highspy.HighsModelStatus.kOptimal
    return _timed(
        Solution(
            "optimal" if optimal else "feasible",
            cost,
            gap,
            tuple(units),
            tuple(share),
            0.0,
            lp.num_col_,
            len(o_idx),
            n_rows,
        ),
        t0,
    )


def _quiet_highs() -> highspy.Highs:
    """A silent solver. HiGHS prints its banner from C++ on construction, before any option can be set, so the
    process's stdout (fd 1) points at /dev/null meanwhile: `--format json` output must stay JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.silent()
        h.setOptionValue("log_to_console", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


def _timed(s: Solution, t0: float) -> Solution:
    return Solution(
        s.status, s.cost, s.gap, s.units, s.share, time.perf_counter() - t0, s.variables, s.integers, s.rows
    )


def _build_lp(
    problem: Problem,
    relaxed: frozenset[str],
    o_idx: list[int],
    cols: list[int],
    feasibility_only: bool,
    min_units: Mapping[int, int],
) -> tuple[highspy.HighsLp, int]:
    """Assemble the column-wise LP: variables [n_o for active offers] + [x_c for active columns]."""
    inf = highspy.kHighsInf
    # rows: demand rows (enforced workloads), then one capacity row per active offer, then power rows
    demand_row: dict[int, int] = {}
    for wi, w in enumerate(problem.workloads):
        if f"demand:{w.key}" not in relaxed:
            demand_row[wi] = len(demand_row)
    cap_row = {oi: len(demand_row) + k for k, oi in enumerate(o_idx)}
    regions = [r for r in problem.power_caps_kw if f"power:{r}" not in relaxed]
    power_row = {r: len(demand_row) + len(o_idx) + k for k, r in enumerate(regions)}
    n_rows = len(demand_row) + len(o_idx) + len(regions)
    row_lo = [1.0] * len(demand_row) + [-inf] * len(o_idx) + [-inf] * len(regions)
    row_hi = [1.0] * len(demand_row) + [0.0] * len(o_idx) + [problem.power_caps_kw[r] for r in regions]

    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    cost: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    for oi in o_idx:
        o = problem.offers[oi]
        starts.append(len(index))
        index.append(cap_row[oi])
        value.append(-1.0)
        if o.region in power_row and o.power_kw > 0:
            index.append(power_row[o.region])
            value.append(o.power_kw)
        cost.append(0.0 if feasibility_only else o.unit_cost)
        lower.append(float(min_units.get(oi, 0)))
        capped = o.max_units is not None and f"quantity:{o.key}" not in relaxed
        upper.append(float(o.max_units) if capped and o.max_units is not None else inf)
    for ci in cols:
        c = problem.columns[ci]
        starts.append(len(index))
        if c.workload in demand_row:
            index.append(demand_row[c.workload])
            value.append(1.0)
        index.append(cap_row[c.offer])
        value.append(c.need)
        cost.append(0.0)
        lower.append(0.0)
        upper.append(1.0)
    starts.append(len(index))

    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(o_idx) + [highspy.HighsVarType.kContinuous] * len(cols)
    return lp, n_rows
