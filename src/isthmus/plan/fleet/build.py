"""Turn a validated `Fleet` into the abstract `Problem` that `milp.py` solves.

For every offer in every region: the cost of one unit over the horizon, its power, and whether the rules let the
company deploy it there for the whole horizon (checked every `policy.check_every_months`; see `verdicts.py` for
how licences and discouraged verdicts count). For every workload and
offer: how many units carry the workload in full, from the performance model, or why it cannot (latency target,
memory, lead time). Identical workloads (same model, shape, targets, region, dates) are merged into one: the program
only sees their summed demand, which keeps 1,000 workloads tractable.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from isthmus.errors import InputError
from isthmus.plan.fleet.oracles import FleetUnit, HardwareOracle, PerfOracle, RulesOracle
from isthmus.plan.fleet.problem import Column, Problem, RegionOffer, Workload
from isthmus.plan.fleet.schema import Fleet, ServeWorkload, TrainWorkload
from isthmus.plan.fleet.schema import Offer as OfferSpec
from isthmus.plan.fleet.verdicts import Posture, Standing, exclusion_words, standing

HOURS_PER_MONTH = 730.5  # 365.25 days x 24 h / 12
SERVE_SCALES = (1, 2, 4, 8, 16)  # units per replica tried until the model fits and meets its targets
TRAIN_SCALES = (1, 2, 4, 8, 16, 32, 64)  # units tried until the job fits in memory
MAX_TRAIN_DEVICES = 16384  # the layout search is asked at most this many devices
NO_FIT_NEED = 1e6  # units "needed" in the hypothetical where a model that does not fit is allowed anyway


@dataclass(frozen=True)
class OfferInfo:
    """Reporting details of `Problem.offers[i]`."""

    name: str  # the offer's name in FLEET.yaml
    region: str
    hardware: FleetUnit
    rented: bool
    lead_time_days: int
    standing: Standing | None  # the rules' answer over the horizon (None when rules were not checked)


@dataclass(frozen=True)
class WorkloadInfo:
    """Reporting details of `Problem.workloads[i]`."""

    kind: str
    model: str
    words: str  # the demand in words


@dataclass(frozen=True)
class Built:
    problem: Problem
    offers: tuple[OfferInfo, ...]
    workloads: tuple[WorkloadInfo, ...]
    on: dt.date


def add_months(d: dt.date, months: int) -> dt.date:
    """`d` plus whole months, clamped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {d}")


def horizon_samples(on: dt.date, months: int, step: int) -> list[dt.date]:
    """Dates after `on` at which rules are re-checked: every `step` months, and the horizon's last day."""
    last = add_months(on, months) - dt.timedelta(days=1)
    return [*(add_months(on, m) for m in range(step, months, step)), last] if last > on else []


def build(
    fleet: Fleet,
    *,
    on: dt.date,
    hardware: HardwareOracle,
    perf: PerfOracle,
    rules: RulesOracle | None,
    open_world: bool = False,
    merge: bool = True,
) -> Built:
    """Build the problem; `open_world` offers every system in every region and ignores the rules (the split).

    `merge=False` keeps identical workloads apart (only the benchmark's baseline wants that).
    """
    _check_dates(fleet, on)
    hw = {o.name: _hardware(hardware, i, o) for i, o in enumerate(fleet.offers)}
    for i, w in enumerate(fleet.workloads):
        try:
            perf.check_model(w.model)
        except InputError as e:
            raise InputError(f"workloads[{i}].model: {e}") from e
    words: dict[str, str] = {}
    offers, infos = _offers(fleet, on, hw, rules, open_world, words)
    groups = _merge(fleet) if merge else [[w] for w in fleet.workloads]
    workloads: list[Workload] = []
    winfo: list[WorkloadInfo] = []
    columns: list[Column] = []
    for members in groups:
        wi = len(workloads)
        key = members[0].name if len(members) == 1 else f"{members[0].name}(+{len(members) - 1})"
        workloads.append(Workload(key, members[0].region, tuple(m.name for m in members)))
        winfo.append(WorkloadInfo(members[0].kind, members[0].model, _demand_words(members)))
        words[f"demand:{key}"] = f"demand of {key}: {winfo[-1].words}"
        for oi, o in enumerate(offers):
            if o.region in _regions(members[0]):
                columns.append(_column(fleet, on, perf, wi, key, members, oi, o, infos[oi], words))
    caps = {k: r.power_cap_kw for k, r in fleet.regions.items() if r.power_cap_kw is not None}
    for region, cap in caps.items():
        words[f"power:{region}"] = f"power cap of {region} ({cap:,.0f} kW)"
    problem = Problem(tuple(offers), tuple(workloads), tuple(columns), caps, words)
    return Built(problem, tuple(infos), tuple(winfo), on)


def _check_dates(fleet: Fleet, on: dt.date) -> None:
    for i, w in enumerate(fleet.workloads):
        if isinstance(w, TrainWorkload) and w.deadline <= max(on, w.start or on):
            raise InputError(
                f"workloads[{i}].deadline: {w.deadline} is not after the start ({max(on, w.start or on)})",
                hint="move the deadline or the planning --date",
            )
        if isinstance(w, ServeWorkload) and w.needed_by is not None and w.needed_by < on:
            raise InputError(f"workloads[{i}].needed_by: {w.needed_by} is before the planning date {on}")


def _hardware(oracle: HardwareOracle, i: int, spec: OfferSpec) -> FleetUnit:
    try:
        hw = oracle.hardware(spec.system)
    except InputError as e:
        raise InputError(f"offers[{i}].system: {e}") from e
    if spec.power_kw is None and hw.power_kw is None:
        raise InputError(
            f"offers[{i}].power_kw: the catalogue has no power figure for {hw.name}",
            hint="give power_kw for this offer",
        )
    return hw


def _regions(w: ServeWorkload | TrainWorkload) -> list[str]:
    return w.may_run_in or [w.region]


def _offers(
    fleet: Fleet,
    on: dt.date,
    hw: dict[str, FleetUnit],
    rules: RulesOracle | None,
    open_world: bool,
    words: dict[str, str],
) -> tuple[list[RegionOffer], list[OfferInfo]]:
    hours = fleet.horizon_months * HOURS_PER_MONTH
    step = fleet.policy.check_every_months
    samples = horizon_samples(on, fleet.horizon_months, step)
    offers, infos = [], []
    for i, spec in enumerate(fleet.offers):
        h = hw[spec.name]
        for region in list(fleet.regions) if open_world else spec.regions:
            r = fleet.regions[region]
            power = spec.power_kw if spec.power_kw is not None else (h.power_kw or 0.0)
            if spec.rent_usd_per_hour is not None:
                cost = spec.rent_usd_per_hour * hours
            else:
                energy = power * r.pue * hours * r.electricity_usd_per_kwh
                cost = (spec.capex_usd or 0.0) + spec.opex_usd_per_year * hours / 8766.0 + energy
            key = f"{spec.name}@{region}"
            st: Standing | None = None
            blockers: tuple[str, ...] = ()
            if rules is not None and not open_world:
                posture = Posture(spec.licensed_in(region), r.avoid_discouraged)
                st = standing(rules, h, r.country, r.actor_hq, r.state_funded, posture, on, samples)
                if not st.deployable:
                    blockers = (f"compliance:{key}",)
                    field = f"offers[{i}].licence"
                    words[blockers[0]] = exclusion_words(h, region, r.country, st, on, field)
            if spec.max_units is not None:
                words[f"quantity:{key}"] = f"availability of {key} (at most {spec.max_units} units)"
            offers.append(RegionOffer(key, region, h.key, cost, power * r.pue, spec.max_units, blockers, h.chips))
            infos.append(OfferInfo(spec.name, region, h, spec.rent_usd_per_hour is not None, spec.lead_time_days, st))
    return offers, infos


def _merge(fleet: Fleet) -> list[list[ServeWorkload | TrainWorkload]]:
    """Group workloads whose every throughput and constraint is the same; only their demands differ."""
    groups: dict[tuple[object, ...], list[ServeWorkload | TrainWorkload]] = {}
    key: tuple[object, ...]
    for w in fleet.workloads:
        common = (w.kind, w.model, w.precisions, w.region, tuple(_regions(w)))
        if isinstance(w, ServeWorkload):
            key = (*common, w.prompt_len, w.output_len, w.tpot_ms, w.ttft_ms, w.needed_by)
        else:
            key = (*common, w.seq_len, w.deadline, w.start)
        groups.setdefault(key, []).append(w)
    return list(groups.values())


def _demand_words(members: list[ServeWorkload | TrainWorkload]) -> str:
    w = members[0]
    if isinstance(w, ServeWorkload):
        tps = sum(m.output_tokens_per_s for m in members if isinstance(m, ServeWorkload))
        targets = ", ".join(
            t
            for t in (
                f"TPOT <= {w.tpot_ms:g} ms" if w.tpot_ms else "",
                f"TTFT <= {w.ttft_ms:g} ms" if w.ttft_ms else "",
            )
            if t
        )
        tail = f" ({targets})" if targets else ""
        return f"serve {tps:,.0f} output tokens/s of {w.model} ({'/'.join(w.precisions)}) in {w.region}{tail}"
    tokens = sum(m.tokens for m in members if isinstance(m, TrainWorkload))
    return f"train {w.model} ({'/'.join(w.precisions)}) on {tokens:.3g} tokens by {w.deadline} in {w.region}"


def _column(
    fleet: Fleet,
    on: dt.date,
    perf: PerfOracle,
    wi: int,
    key: str,
    members: list[ServeWorkload | TrainWorkload],
    oi: int,
    o: RegionOffer,
    info: OfferInfo,
    words: dict[str, str],
) -> Column:
    w = members[0]
    arrival = on + dt.timedelta(days=info.lead_time_days)
    if isinstance(w, ServeWorkload):
        demand = sum(m.output_tokens_per_s for m in members if isinstance(m, ServeWorkload))
        need, blockers = _serve_need(perf, w, demand, o, info, key, words)
        if w.needed_by is not None and arrival > w.needed_by:
            blockers = (*blockers, _lead_group(o, key, info, w.needed_by, words))
        return Column(wi, oi, need, blockers)
    tokens = sum(m.tokens for m in members if isinstance(m, TrainWorkload))
    start = max(on, w.start or on)
    window = (w.deadline - max(start, arrival)).days * 86400.0
    blockers = ()
    if window <= 0:
        blockers = (_lead_group(o, key, info, w.deadline, words),)
        window = (w.deadline - start).days * 86400.0
    need, fit = _train_need(perf, w, tokens, window, o, info, key, words)
    return Column(wi, oi, need, (*blockers, *fit))


def _lead_group(o: RegionOffer, key: str, info: OfferInfo, by: dt.date, words: dict[str, str]) -> str:
    group = f"leadtime:{o.key}:{key}"
    words[group] = f"lead time of {o.key} ({info.lead_time_days} days) is too long for {key} (needed by {by})"
    return group


def _serve_need(
    perf: PerfOracle, w: ServeWorkload, demand: float, o: RegionOffer, info: OfferInfo, key: str, words: dict[str, str]
) -> tuple[float, tuple[str, ...]]:
    per_unit, reason = _serve_rate(perf, w, o.system, info.hardware.chips, w.tpot_ms, w.ttft_ms)
    if per_unit > 0:
        return demand / per_unit, ()
    if w.tpot_ms is not None or w.ttft_ms is not None:
        loose, _ = _serve_rate(perf, w, o.system, info.hardware.chips, None, None)
        if loose > 0:
            group = f"latency:{key}"
            words[group] = f"latency target of {key} ({_targets(w)}): {reason}"
            return demand / loose, (group,)
    group = f"fit:{o.key}:{key}"
    words[group] = f"{w.model} cannot be served on {info.hardware.name} ({o.key}): {reason}"
    return NO_FIT_NEED, (group,)


def _targets(w: ServeWorkload) -> str:
    parts = [f"TPOT <= {w.tpot_ms:g} ms" if w.tpot_ms else "", f"TTFT <= {w.ttft_ms:g} ms" if w.ttft_ms else ""]
    return ", ".join(p for p in parts if p)


def _serve_rate(
    perf: PerfOracle, w: ServeWorkload, system: str, chips: int, tpot: float | None, ttft: float | None
) -> tuple[float, str]:
    """Output tokens/s per unit for the smallest replica (in units) that fits and meets the targets.

    Over the workload's acceptable precisions, the best rate wins.
    """
    best, reason = 0.0, ""
    for prec in w.precisions:
        for k in SERVE_SCALES:
            p = perf.serve(w.model, system, chips * k, prec, w.prompt_len, w.output_len, tpot, ttft)
            if p.feasible:
                best = max(best, p.tokens_per_s / k)
                break
            reason = reason or p.reason or "infeasible"
    return best, ("" if best > 0 else reason)


def _train_need(
    perf: PerfOracle,
    w: TrainWorkload,
    tokens: float,
    window_s: float,
    o: RegionOffer,
    info: OfferInfo,
    key: str,
    words: dict[str, str],
) -> tuple[float, tuple[str, ...]]:
    """Units needed to finish in the window, with throughput taken at about the scale the job will run at."""
    chips = info.hardware.chips
    best, reason = 0.0, ""
    for prec in w.precisions:
        fits = _first_fit(perf, w, prec, o.system, chips, _pow2_scales(TRAIN_SCALES, chips))
        if isinstance(fits, str):
            reason = reason or fits
            continue
        k, per_unit = fits
        rough = tokens / (per_unit * window_s)
        scale = max(k, 1 << max(0, math.ceil(math.log2(max(rough, 1.0)))))
        scale = max(k, min(scale, MAX_TRAIN_DEVICES // chips))
        if scale != k:
            p = perf.train(w.model, o.system, chips * scale, prec, w.seq_len)
            if p.feasible:
                per_unit = p.tokens_per_s / scale
        best = max(best, per_unit)
    if best <= 0:
        group = f"fit:{o.key}:{key}"
        words[group] = f"{w.model} cannot be trained on {info.hardware.name} ({o.key}): {reason}"
        return NO_FIT_NEED, (group,)
    return tokens / (best * window_s), ()


def _pow2_scales(scales: Iterable[int], chips: int) -> list[int]:
    return [k for k in scales if chips * k <= MAX_TRAIN_DEVICES] or [1]


def _first_fit(
    perf: PerfOracle, w: TrainWorkload, prec: str, system: str, chips: int, scales: list[int]
) -> tuple[int, float] | str:
    """(units, tokens/s per unit) at the smallest scale that fits, or the reason nothing does."""
    reason = "does not fit in memory"
    for k in scales:
        p = perf.train(w.model, system, chips * k, prec, w.seq_len)
        if p.feasible:
            return k, p.tokens_per_s / k
        reason = p.reason or reason
    return reason
