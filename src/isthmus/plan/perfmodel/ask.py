"""One question, one answer: every option of `isthmus estimate` and every back-test record goes through `answer`.

A `Question` names the model, system, device count, precision and software stack, and either a training run
(sequence, global batch, layout constraints, context parallelism, LoRA) or a serving workload (phase, lengths,
latency targets, concurrency, instance layout, speculative decoding, expert imbalance, prefix-cache hits). The
`Answer` carries the metrics, the assumptions it used (each default it filled in, in words), the software stack
whose efficiencies it applied, and the error band of its phase measured on the held-out back-test records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from isthmus.errors import InputError
from isthmus.plan.perfmodel import pd, serve, train
from isthmus.plan.perfmodel.efficiency import Efficiency, efficiency_data, get_efficiency, stack_for
from isthmus.plan.perfmodel.hardware import resolve_hardware
from isthmus.plan.perfmodel.models import get_model
from isthmus.plan.perfmodel.precision import get_precision, kv_bytes

PHASES = ("mixed", "prefill", "decode", "both")
_TRAIN_KEYS = {"tp", "pp", "dp", "ep", "cp", "mb", "micro_batch", "vpp", "zero", "recompute"}
_SERVE_KEYS = {"tp", "dp", "dp_attn"}


@dataclass(frozen=True)
class SpecDecode:
    """Speculative decoding: `k` draft tokens per step; `accept` the per-draft-token acceptance rate (< 1) or, when
    >= 1, the mean accepted length (tokens per step) as engines report it."""

    k: int
    accept: float

    @property
    def tokens_per_step(self) -> float:
        if self.accept >= 1.0:
            return min(self.accept, self.k + 1.0)
        return sum(self.accept**i for i in range(self.k + 1))  # token i kept only if tokens 1..i-1 were

    def __str__(self) -> str:
        return f"MTP/EAGLE k={self.k}, {self.tokens_per_step:.2f} tokens per step"


def parse_spec(text: str) -> SpecDecode:
    """`mtp:K:ACCEPT` (also `eagle:K:ACCEPT`): K draft tokens, ACCEPT rate per draft token or mean accept length."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0].lower() not in ("mtp", "eagle", "nextn"):
        raise InputError(f"bad speculative-decoding spec {text!r}", hint="use mtp:K:ACCEPT, e.g. mtp:1:0.85")
    try:
        k, acc = int(parts[1]), float(parts[2])
    except ValueError as e:
        raise InputError(f"bad speculative-decoding spec {text!r}", hint="K an integer, ACCEPT a number") from e
    if k < 1 or acc <= 0 or acc > k + 1:
        raise InputError(f"bad speculative-decoding spec {text!r}", hint="K >= 1 and 0 < ACCEPT <= K + 1")
    return SpecDecode(k, acc)


def parse_layout(text: str, *, training: bool) -> dict[str, int | str]:
    """`tp=8,pp=16,dp=64` (training: tp pp dp ep cp mb vpp zero recompute; serving: tp dp) into a mapping."""
    allowed = _TRAIN_KEYS if training else _SERVE_KEYS
    out: dict[str, int | str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key not in allowed or not value:
            raise InputError(
                f"bad layout item {item!r}", hint=f"use KEY=VALUE with KEY in {', '.join(sorted(allowed))}"
            )
        if key == "recompute":
            out[key] = value.strip()
            continue
        try:
            n = int(value)
        except ValueError as e:
            raise InputError(f"bad layout item {item!r}", hint="values are positive integers") from e
        if n < 1:
            raise InputError(f"bad layout item {item!r}", hint="values are positive integers")
        out[{"mb": "micro_batch", "dp": "dp" if training else "dp_attn", "dp_attn": "dp_attn"}.get(key, key)] = n
    return out


@dataclass(frozen=True)
class Question:
    """What a planner (or a published record) asks. `mode` "train" or "serve"; unset options are defaults that
    the answer lists among its assumptions."""

    mode: str
    model: str
    system: str
    devices: int
    precision: str = "bf16"
    stack: str | None = None
    layout: Mapping[str, Any] = field(default_factory=dict)  # train: tp pp dp ep cp micro_batch...; serve: tp dp_attn
    # training
    seq_len: int = 4096
    global_batch_tokens: int | None = None
    lora: bool = False
    # serving
    phase: str = "mixed"
    prompt_len: int = 1024
    output_len: int = 256
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    concurrency: int | None = None  # fixed sequences in flight (whole group; for "both": the decode pool)
    max_concurrency: int | None = None
    spec: SpecDecode | None = None
    eplb: float = 1.0
    prefix_hit: float = 0.0
    kv_dtype: str | None = None
    tokens_per_device: float | None = None  # prefill forward size
    context: float | None = None  # decode KV length
    prefill_devices: int | None = None
    prefill_layout: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Question:
        names = {f.name for f in fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise InputError(f"unknown question fields {sorted(unknown)}", hint=f"use {', '.join(sorted(names))}")
        data = dict(raw)
        if isinstance(data.get("spec"), str):
            data["spec"] = parse_spec(data["spec"])
        return cls(**data)


@dataclass(frozen=True)
class Answer:
    """The estimate, its metrics, the assumptions it used and its held-out error band."""

    question: Question
    feasible: bool
    reason: str
    metrics: Mapping[str, float]
    stack: str
    assumptions: tuple[str, ...]
    band: tuple[float, float] | None  # relative error (low, high) of this phase on the held-out records
    detail: Mapping[str, Any]

    @property
    def phase_class(self) -> str:
        return phase_class(self.question)

    def to_json(self) -> dict[str, Any]:
        q = {k: (str(v) if isinstance(v, SpecDecode) else v) for k, v in self.question.__dict__.items()}
        return {
            "question": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in q.items()},
            "feasible": self.feasible,
            "reason": self.reason,
            "metrics": dict(self.metrics),
            "stack": self.stack,
            "assumptions": list(self.assumptions),
            "error_band": None
            if self.band is None
            else {"low": self.band[0], "high": self.band[1], "from": f"held-out {self.phase_class} records"},
            "detail": dict(self.detail),
        }

    def rows(self) -> list[tuple[str, str]]:
        """(what, value) lines for people: metrics, stack, error band, assumptions, layout, memory, where the time
        goes (compute, memory, communication, bubble) and the dominant bound."""
        return answer_rows(self)


# metric key -> (label, format) of the rows shown for people
_METRIC_ROWS = {
    "tokens_per_s": ("tokens/s (all devices)", "{:,.0f}"),
    "tokens_per_s_per_device": ("tokens/s per device", "{:,.1f}"),
    "tflops_per_device": ("model TFLOPS per device", "{:,.0f}"),
    "mfu": ("MFU", "{:.1%}"),
    "step_time_s": ("step time", "{:,.3f} s"),
    "tpot_ms": ("TPOT", "{:,.1f} ms"),
    "ttft_ms": ("TTFT", "{:,.0f} ms"),
    "batch": ("sequences in flight", "{:,.0f}"),
    "forward_ms": ("prefill forward", "{:,.1f} ms"),
}
_TIME_ROWS = (
    ("compute_s", "compute-bound"),
    ("memory_s", "memory-bound"),
    ("comm_exposed_s", "communication (exposed)"),
    ("bubble_s", "pipeline bubble"),
)


def _gib(x: float) -> str:
    return f"{x:,.1f} GiB"


def answer_rows(a: Answer) -> list[tuple[str, str]]:
    """`a` as (what, value) lines; a disaggregated answer shows its pools, then its decode pool's detail."""
    rows = [(_METRIC_ROWS[k][0], _METRIC_ROWS[k][1].format(v)) for k, v in a.metrics.items() if k in _METRIC_ROWS]
    rows.append(("software stack", a.stack))
    if a.band is not None:
        rows.append(("error band (held-out)", f"{a.band[0]:+.0%} .. {a.band[1]:+.0%}"))
    rows += [("assumes", note) for note in a.assumptions]
    detail = a.detail
    if "prefill_devices" in detail:
        rows.append(("pools", f"{detail['prefill_devices']} prefill + {detail['decode_devices']} decode devices"))
        rows.append(("limited by", f"{detail['limited_by']} (KV transfer {detail['kv_transfer_ms']:.1f} ms/request)"))
        detail = detail["decode"]
    lay = detail.get("layout")
    if lay is not None:
        rows.append(("layout", lay["text"] if isinstance(lay, dict) else str(lay)))
    if "limited_by" in detail:
        rows.append(("batch limited by", str(detail["limited_by"])))
    if "memory_gib" in detail:
        rows.append(("memory / device", f"{_gib(detail['memory_gib'])} of {_gib(detail['capacity_gib'])} usable"))
    if "breakdown" in detail:
        bd = detail["breakdown"]
        total = bd["total_s"] or 1.0
        rows.append(("bound", str(bd["bound"])))
        for key, name in _TIME_ROWS:
            rows.append((name, f"{bd[key] * 1e3:,.2f} ms ({bd[key] / total:.0%})"))
    return rows


def phase_class(q: Question) -> str:
    """train / prefill / decode (decode-only, mixed and disaggregated serving all report output tokens)."""
    if q.mode == "train":
        return "train"
    return "prefill" if q.phase == "prefill" else "decode"


def error_band(phase: str) -> tuple[float, float] | None:
    band = efficiency_data().get("error_band", {}).get(phase)
    return None if not band else (float(band["low"]), float(band["high"]))


def _check(q: Question) -> None:
    if q.mode not in ("train", "serve"):
        raise InputError(f"unknown mode {q.mode!r}", hint="use train or serve")
    if not isinstance(q.devices, int) or q.devices < 1:
        raise InputError(f"devices must be a positive integer, got {q.devices!r}")
    if q.phase not in PHASES:
        raise InputError(f"unknown phase {q.phase!r}", hint=f"use one of {', '.join(PHASES)}")
    if not 0.0 <= q.prefix_hit < 1.0:
        raise InputError(f"prefix-hit must be in [0, 1), got {q.prefix_hit}")
    if q.eplb < 1.0:
        raise InputError(f"eplb (max/mean expert load) must be >= 1, got {q.eplb}")
    for name in ("prompt_len", "output_len", "seq_len"):
        if getattr(q, name) < 1:
            raise InputError(f"{name} must be at least 1, got {getattr(q, name)}")


def answer(q: Question, eff_override: Efficiency | None = None) -> Answer:
    """Estimate `q` through the library (the CLI and the back-test both call this). `eff_override` replaces the
    stack's fitted efficiencies (the efficiency fit evaluates candidates this way)."""
    _check(q)
    m, hw, prec = get_model(q.model), resolve_hardware(q.system), get_precision(q.precision)
    if hw.peak(prec.peak) is None:
        raise InputError(
            f"{hw.name} has no {prec.peak} support in the catalogue, so {q.precision} cannot run on it",
            hint="use bf16, or int8 (W8A8) / w4a8 on Ascend, fp8 / nvfp4 on Hopper / Blackwell",
        )
    stack = stack_for(hw.vendor, q.stack)
    eff = eff_override or get_efficiency(stack)
    notes = [f"stack {stack} ({'named' if q.stack else 'default for ' + hw.vendor}) efficiencies"]
    notes.append(
        f"precision {prec.name}: {prec.quantised()}" + (f", dequant +{prec.dequant:.0%}" if prec.dequant else "")
    )
    if q.mode == "train":
        return _train(q, m, hw, eff, prec, stack, notes)
    return _serve(q, m, hw, eff, prec, stack, notes)


def _train(q: Question, m: Any, hw: Any, eff: Any, prec: Any, stack: str, notes: list[str]) -> Answer:
    gbt = q.global_batch_tokens or max(4 * 2**20, q.devices * q.seq_len)
    if q.global_batch_tokens is None:
        notes.append(f"global batch {gbt:,} tokens (default)")
    if gbt < q.seq_len:
        raise InputError(f"global_batch_tokens ({gbt}) is smaller than one sequence ({q.seq_len})")
    job = train._job(m, hw, eff, prec, q.devices, q.seq_len, gbt, q.lora)
    fixed = {k: v for k, v in q.layout.items()}
    missing = [k for k in ("tp", "pp", "dp", "micro_batch") if k not in fixed]
    notes.append(
        "layout " + (f"searched for {', '.join(missing)}" if missing else "given") + " (recompute: least that fits)"
    )
    if q.lora:
        notes.append("LoRA: base frozen, no weight gradients or optimizer states for it")
    est = train.search(job, constraints=fixed)
    if q.layout and any(getattr(est.layout, k) != v for k, v in fixed.items()):
        raise InputError(f"no layout matches {dict(fixed)} on {q.devices} devices", hint="tp x cp x pp x dp = devices")
    metrics = {
        "tokens_per_s": est.tokens_per_s,
        "tokens_per_s_per_device": est.tokens_per_s / q.devices,
        "tflops_per_device": est.tflops_per_device,
        "mfu": est.mfu,
        "step_time_s": est.step_time_s,
    }
    return Answer(q, est.feasible, est.reason, metrics, stack, tuple(notes), error_band("train"), est.to_json())


def _serve(q: Question, m: Any, hw: Any, eff: Any, prec: Any, stack: str, notes: list[str]) -> Answer:
    spec_tokens, accepted = (1.0 + q.spec.k, q.spec.tokens_per_step) if q.spec else (1.0, 1.0)
    s = serve.Setup(m, hw, eff, prec, kv_bytes(prec, q.kv_dtype), spec_tokens, accepted, q.eplb if m.moe else 1.0)
    t = serve.Targets(
        q.prompt_len,
        q.output_len,
        None if q.tpot_ms is None else q.tpot_ms / 1e3,
        None if q.ttft_ms is None else q.ttft_ms / 1e3,
        q.max_concurrency,
        q.concurrency,
        q.phase == "mixed",
        q.prefix_hit,
        q.context,
    )
    notes.append(f"KV cache {s.kv_bytes:g} B/element" + (" (from the precision)" if q.kv_dtype is None else ""))
    notes.append("speculative decoding: " + (str(q.spec) if q.spec else "none"))
    if m.moe:
        notes.append(f"expert load max/mean {q.eplb:g}" + (" (balanced, default)" if q.eplb == 1.0 else ""))
    if q.prefix_hit:
        notes.append(f"prefix-cache hit {q.prefix_hit:.0%} of prompt tokens")
    lay = _serve_layout(q.layout)
    notes.append(f"instance {'given' if lay else 'searched'}" + (f": {lay}" if lay else ""))
    _check_pools(q, lay, _serve_layout(q.prefill_layout))
    tpd = q.tokens_per_device or pd.DEFAULT_PREFILL_TOKENS
    if q.phase == "prefill":
        if q.tokens_per_device is None:
            notes.append(f"{tpd:,} prompt tokens per device per forward (default)")
        pre = pd.prefill_only(s, t, q.devices, tpd, lay)
        metrics = {
            "tokens_per_s": pre.tokens_per_s,
            "tokens_per_s_per_device": pre.tokens_per_s / q.devices,
            "forward_ms": pre.forward_ms,
        }
        return Answer(q, pre.feasible, pre.reason, metrics, stack, tuple(notes), error_band("prefill"), pre.to_json())
    if q.concurrency is None:
        notes.append(
            "batch grown to the "
            + ("memory limit" if q.max_concurrency is None else f"cap of {q.max_concurrency} sequences")
            + " within the latency targets"
        )
    if q.phase == "both":
        pre_lay = _serve_layout(q.prefill_layout)
        notes.append("prefill/decode pools " + ("given" if q.prefill_devices else "split searched"))
        dis = pd.disaggregated(s, t, q.devices, q.prefill_devices, pre_lay, lay, tpd)
        metrics = {
            "tokens_per_s": dis.tokens_per_s,
            "tokens_per_s_per_device": dis.tokens_per_s / q.devices,
            "tpot_ms": dis.tpot_ms,
            "ttft_ms": dis.ttft_ms,
        }
        return Answer(q, dis.feasible, dis.reason, metrics, stack, tuple(notes), error_band("decode"), dis.to_json())
    if q.phase == "decode":
        notes.append("decode-only instances (no prefill in the steps)")
    est = serve.search(s, t, q.devices, lay)
    metrics = {
        "tokens_per_s": est.tokens_per_s,
        "tokens_per_s_per_device": est.tokens_per_s / q.devices,
        "tpot_ms": est.tpot_ms,
        "ttft_ms": est.ttft_ms,
        "batch": float(est.batch),
    }
    return Answer(q, est.feasible, est.reason, metrics, stack, tuple(notes), error_band("decode"), est.to_json())


def _check_pools(q: Question, lay: serve.ServeLayout | None, pre: serve.ServeLayout | None) -> None:
    """One-line input errors for pools and instance shapes that cannot be built from the devices."""
    decode_devices = q.devices
    if q.phase == "both":
        if q.devices < 2:
            raise InputError("--phase both needs at least 2 devices (one per pool)")
        if q.prefill_devices is not None:
            if q.prefill_devices >= q.devices:
                raise InputError(
                    f"prefill devices ({q.prefill_devices}) leave no decode devices out of {q.devices}",
                    hint="give fewer --prefill-devices",
                )
            decode_devices = q.devices - q.prefill_devices
            if pre is not None and q.prefill_devices % pre.size:
                raise InputError(f"prefill instance {pre} does not divide {q.prefill_devices} prefill devices")
    elif q.prefill_devices is not None or q.prefill_layout:
        raise InputError("--prefill-devices and --prefill-layout apply to --phase both only")
    if lay is not None and decode_devices % lay.size:
        raise InputError(f"instance {lay} ({lay.size} devices) does not divide {decode_devices} devices")


def _serve_layout(raw: Mapping[str, Any]) -> serve.ServeLayout | None:
    if not raw:
        return None
    return serve.ServeLayout(int(raw.get("tp", 1)), int(raw.get("dp_attn", raw.get("dp", 1))))
