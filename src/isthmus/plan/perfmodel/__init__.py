"""Performance model of LLM training and inference on NVIDIA and Ascend systems (contract 5).

    >>> m = get_model("llama3-70b")
    >>> estimate_train(m, "dgx-h100", 64, seq_len=8192).mfu            # doctest: +SKIP
    >>> estimate_serve(m, "cloudmatrix-384", 16, precision="int8", prompt_len=2048, output_len=512, tpot_ms=50)

`answer(Question(...))` is the one entry point for every option (fixed layouts, concurrency, prefill/decode
pools, speculative decoding, FP4/W4A8, LoRA, context parallelism, expert imbalance, prefix hits, software stacks);
`estimate_train` / `estimate_serve` stay for callers that need only the basic questions.

Hardware comes from the catalogue (`isthmus.plan.catalog`), achieved fractions of peak from
`plan/data/efficiency.yaml` (fitted on published measurements), models from `plan/data/models.yaml` or a Hugging
Face config.json. Every estimate carries a breakdown into compute, memory and communication time and its bound.
"""

from __future__ import annotations

from isthmus.errors import InputError
from isthmus.plan.perfmodel import serve, train
from isthmus.plan.perfmodel.ask import Answer, Question, answer, parse_layout, parse_spec
from isthmus.plan.perfmodel.breakdown import Bound, Breakdown
from isthmus.plan.perfmodel.efficiency import Efficiency, get_efficiency, list_stacks
from isthmus.plan.perfmodel.hardware import Hardware, resolve_hardware
from isthmus.plan.perfmodel.models import ModelSpec, get_model, list_models
from isthmus.plan.perfmodel.precision import get_precision, kv_bytes
from isthmus.plan.perfmodel.serve import ServeEstimate, ServeLayout
from isthmus.plan.perfmodel.train import TrainEstimate, TrainLayout

__all__ = [
    "Answer",
    "Bound",
    "Breakdown",
    "Efficiency",
    "Hardware",
    "ModelSpec",
    "Question",
    "ServeEstimate",
    "ServeLayout",
    "TrainEstimate",
    "TrainLayout",
    "answer",
    "estimate_serve",
    "estimate_train",
    "get_model",
    "list_models",
    "list_stacks",
    "parse_layout",
    "parse_spec",
    "resolve_hardware",
    "serve_setup",
]


def _check_devices(devices: int) -> None:
    if not isinstance(devices, int) or devices < 1:
        raise InputError(f"devices must be a positive integer, got {devices!r}")


def _peak_or_error(hw: Hardware, peak: str, precision: str) -> None:
    if hw.peak(peak) is None:
        raise InputError(
            f"{hw.name} has no {peak} support in the catalogue, so {precision} cannot run on it",
            hint="use bf16, or int8 (W8A8) / w4a8 on Ascend",
        )


def serve_setup(
    model: ModelSpec, system: str, precision: str = "bf16", stack: str | None = None, kv_dtype: str | None = None
) -> serve.Setup:
    """Resolve the hardware, efficiency and precision of a serving question (raises InputError on bad names)."""
    hw = resolve_hardware(system)
    prec = get_precision(precision)
    _peak_or_error(hw, prec.peak, precision)
    return serve.Setup(model, hw, get_efficiency(stack or hw.default_stack), prec, kv_bytes(prec, kv_dtype))


def estimate_serve(
    model: ModelSpec,
    system: str,
    devices: int,
    *,
    precision: str = "bf16",
    prompt_len: int,
    output_len: int,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    stack: str | None = None,
    kv_dtype: str | None = None,
) -> ServeEstimate:
    """Best output tokens/s of `devices` chips of `system` serving `model`, within the latency targets.

    The instance shape (TP, DP-attention with EP for MoE) and the batch are searched; the answer is infeasible
    (with the reason) when the weights and one sequence's KV cache do not fit or a target cannot be met.
    """
    _check_devices(devices)
    if prompt_len < 1 or output_len < 1:
        raise InputError("prompt_len and output_len must be at least 1 token")
    for name, v in (("tpot_ms", tpot_ms), ("ttft_ms", ttft_ms)):
        if v is not None and v <= 0:
            raise InputError(f"{name} must be positive, got {v}")
    setup = serve_setup(model, system, precision, stack, kv_dtype)
    targets = serve.Targets(
        prompt_len, output_len, None if tpot_ms is None else tpot_ms / 1e3, None if ttft_ms is None else ttft_ms / 1e3
    )
    return serve.search(setup, targets, devices)


def estimate_train(
    model: ModelSpec,
    system: str,
    devices: int,
    *,
    precision: str = "bf16",
    seq_len: int = 4096,
    global_batch_tokens: int | None = None,
    stack: str | None = None,
    layout: TrainLayout | None = None,
    lora: bool = False,
) -> TrainEstimate:
    """Step time, tokens/s and MFU of training `model` on `devices` chips of `system`.

    Without `layout`, TP x PP x DP x EP, micro-batch, interleaving, recomputation and ZeRO stage are searched and
    the fastest layout that fits in memory is returned; if none fits, the closest one, marked infeasible with the
    shortfall. `global_batch_tokens` defaults to max(4 Mi tokens, one sequence per device).
    """
    _check_devices(devices)
    if seq_len < 1:
        raise InputError(f"seq_len must be positive, got {seq_len}")
    hw = resolve_hardware(system)
    prec = get_precision(precision)
    _peak_or_error(hw, prec.peak, precision)
    eff = get_efficiency(stack or hw.default_stack)
    gbt = global_batch_tokens if global_batch_tokens is not None else max(4 * 2**20, devices * seq_len)
    if gbt < seq_len:
        raise InputError(f"global_batch_tokens ({gbt}) is smaller than one sequence ({seq_len})")
    if layout is not None and layout.devices != devices:
        raise InputError(f"layout {layout} uses {layout.devices} devices, not {devices}")
    job = train._job(model, hw, eff, prec, devices, seq_len, gbt, lora)
    return train.search(job, layout)
