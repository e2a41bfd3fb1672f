"""Fixtures for the parity tests: small model factories written to disk, as users would write them."""

from __future__ import annotations

from pathlib import Path

import pytest

DEEP_MODEL = '''
import torch
from torch import nn

PERTURBED = 13  # index of the Linear layer changed by the *_perturbed factories


def _deep():
    torch.manual_seed(0)
    layers = []
    for _ in range(24):
        layers += [nn.Linear(32, 32), nn.ReLU()]
    return nn.Sequential(*layers)


def deep():
    """24 Linear+ReLU layers and an example batch."""
    model = _deep()
    return model, (torch.randn(4, 32, generator=torch.Generator().manual_seed(1)),)


def deep_weight_perturbed():
    """The same model with one weight of Linear layer PERTURBED changed by 5 %."""
    model, inputs = deep()
    with torch.no_grad():
        model[2 * PERTURBED].weight[3, 5] *= 1.05
    return model, inputs


class _SkewedLinear(nn.Linear):
    """A Linear whose kernel is slightly wrong (what a broken backend kernel looks like): same weights."""

    def forward(self, x):
        return super().forward(x) * 1.001


def deep_kernel_perturbed():
    model, inputs = deep()
    bad = model[2 * PERTURBED]
    skewed = _SkewedLinear(32, 32)
    skewed.load_state_dict(bad.state_dict())
    model[2 * PERTURBED] = skewed
    return model, inputs


def two_outputs():
    """A module returning a tuple (an int tensor and a float tensor) to exercise output flattening."""

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 8)

        def forward(self, x):
            y = self.lin(x)
            return y.argmax(-1), y

    torch.manual_seed(0)
    return Two(), (torch.randn(3, 8, generator=torch.Generator().manual_seed(2)),)
'''


@pytest.fixture(scope="session")
def deep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "deep_model.py"
    path.write_text(DEEP_MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_spec(tinygpt_dir: Path) -> str:
    return f"{tinygpt_dir / 'model.py'}:tiny"
