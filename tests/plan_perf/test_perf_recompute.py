"""Partial (block) recomputation, overlap priors and speculative decoding behave as documented."""

from __future__ import annotations

from dataclasses import replace

import pytest

from isthmus.plan.perfmodel import TrainLayout, get_model, memory, serve_setup
from isthmus.plan.perfmodel import train as tr
from isthmus.plan.perfmodel.efficiency import get_efficiency
from isthmus.plan.perfmodel.hardware import resolve_hardware
from isthmus.plan.perfmodel.precision import get_precision
from isthmus.plan.perfmodel.serve import ServeLayout, decode_step


def _job() -> tr._Job:
    hw = resolve_hardware("dgx-h100")
    return tr._job(get_model("llama3-405b"), hw, get_efficiency("cuda"), get_precision("bf16"), 8192, 8192, 2**24)


def test_fewest_recomputed_layers_sit_between_selective_and_full() -> None:
    job = _job()
    lay = TrainLayout(8, 16, 64)
    sel, full = tr._memory_needed(job, lay), tr._memory_needed(job, replace(lay, recompute="full"))
    assert full < sel
    capacity = (sel + full) / 2
    fit = tr.fewest_recomputed(job, lay, capacity)
    assert fit is not None and fit.recompute == "block" and 0 < fit.recompute_layers < 8
    assert tr._memory_needed(job, fit) <= capacity
    fewer = replace(fit, recompute_layers=fit.recompute_layers - 1)
    assert fewer.recompute_layers == 0 or tr._memory_needed(job, fewer) > capacity
    # recomputing more layers costs more time
    t_sel, t_fit, t_full = (tr._step(job, x)[0].total_s for x in (lay, fit, replace(lay, recompute="full")))
    assert t_sel < t_fit < t_full
    assert tr.fewest_recomputed(job, lay, sel * 1.01) == replace(lay, recompute="selective")
    assert tr.fewest_recomputed(job, lay, full * 0.5) is None


def test_tp_overlap_hides_tensor_parallel_communication() -> None:
    job = _job()
    lay = TrainLayout(8, 16, 64, recompute="full")
    hidden = tr._step(replace(job, eff=replace(job.eff, tp_overlap=1.0)), lay)[0]
    shown = tr._step(replace(job, eff=replace(job.eff, tp_overlap=0.0)), lay)[0]
    assert hidden.comm_s < shown.comm_s and hidden.comm_total_s == shown.comm_total_s


def test_speculative_verification_costs_flops_not_weight_reads() -> None:
    s = serve_setup(get_model("qwen3-32b"), "atlas-800t-a2", "int8")
    one, four = (decode_step(s, ServeLayout(4), 120, 3000, q_tokens=q) for q in (1.0, 4.0))
    assert one.total_s < four.total_s < 4 * one.total_s


@pytest.mark.parametrize(
    ("pp", "mb", "recompute"), [(1, 1, "selective"), (4, 1, "selective"), (32, 4, "selective"), (8, 1, "full")]
)
def test_logits_are_charged_to_the_last_pipeline_stage_only(pp: int, mb: int, recompute: str) -> None:
    """Per device memory is the larger of the first stage (p micro-batches in flight under 1F1B) and the last (one
    micro-batch in flight, plus bf16 logits and their fp32 softmax), written out from the memory formulas."""
    m = get_model("llama3-8b")  # 128k vocabulary: logits are several GiB per micro-batch
    seq, dp = 8192, 64 // pp
    job = tr._job(m, resolve_hardware("dgx-h100"), get_efficiency("cuda"), get_precision("bf16"), 64, seq, 2**22)
    lay = TrainLayout(1, pp, dp, micro_batch=mb, recompute=recompute)
    tokens, layers = mb * seq, m.layers // pp
    states = memory.training_state_bytes(m.dense_params / pp, dp, 1)
    work = tokens * memory.activation_bytes_per_token_layer(m, 1, moe_layer=False)
    # selective: every layer keeps its activations; full: only its input, plus one layer's working set
    layer = work if recompute == "selective" else tokens * memory.checkpoint_bytes_per_token_layer(m, 1)
    extra = 0.0 if recompute == "selective" else work
    logits = tokens * m.vocab * 6.0
    first = states + layers * pp * layer + extra
    last = states + logits + layers * layer + extra
    expected = max(first, last) if pp > 1 else last
    assert tr._memory_needed(job, lay) == pytest.approx(expected, rel=1e-9)
    if recompute == "full":
        assert last > first  # the case where the last stage decides
