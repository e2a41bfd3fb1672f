"""The pure formulas: FLOPs, memory, collectives."""

from __future__ import annotations

import pytest

from isthmus.plan.perfmodel import comm, flops, memory
from isthmus.plan.perfmodel.models import get_model


def test_training_flops_approach_6n_at_short_sequences() -> None:
    m = get_model("llama2-7b")
    per_token = flops.train_flops_per_token(m, seq_len=16)
    assert per_token == pytest.approx(6 * m.active_params, rel=0.01)  # Kaplan 2020: 6N
    assert flops.train_flops_per_token(m, 4096) > per_token  # attention grows with the sequence
    assert flops.train_flops_per_token(m, 4096, recompute="full") == pytest.approx(
        4 / 3 * flops.train_flops_per_token(m, 4096)
    )


def test_mla_decode_attention_uses_the_latent() -> None:
    m = get_model("deepseek-v3")
    assert flops.attention_flops_per_token(m, 1000, decode=True) == 2 * 61 * 128 * (576 + 512) * 1000


def test_zero_stages_shard_more_and_more() -> None:
    p, dp = 1e9, 8
    full = memory.training_state_bytes(p, dp, 0)
    assert full == 16e9  # 2 + 2 + 12 bytes per parameter (ZeRO paper)
    stages = [memory.training_state_bytes(p, dp, z) for z in (0, 1, 2, 3)]
    assert stages == sorted(stages, reverse=True)
    assert stages[3] == pytest.approx(full / dp)


def test_collectives() -> None:
    assert comm.all_reduce_s(1e9, 1, 1e9, 1e-5) == 0.0
    assert comm.all_reduce_s(1e9, 8, 1e9, 0.0) == pytest.approx(2 * 7 / 8)
    assert comm.all_gather_s(1e9, 8, 1e9, 0.0) == pytest.approx(7 / 8)
    inside = comm.all_to_all_s(1e9, 8, 1e11, 1e10, 8, 0.0)
    across = comm.all_to_all_s(1e9, 32, 1e11, 1e10, 8, 0.0)
    assert across > inside  # leaving the scale-up domain costs scale-out bandwidth
    dedup = comm.all_to_all_s(1e9, 32, 1e11, 1e10, 8, 0.0, fanout=8)
    assert dedup < across  # one copy per remote domain instead of one per expert
