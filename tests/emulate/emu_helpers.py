"""Small models and a hand-written target profile shared by the emulate tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class FakeSupport:
    op: str
    status: str
    via: tuple[str, ...] = ()
    slow: bool = False
    note: str = ""
    suggestion: str | None = None


@dataclass(frozen=True)
class FakeDtype:
    dtype: str
    status: str
    to: str | None = None
    note: str = ""


class FakeProfile:
    """A target whose answers the test controls: exercises the emulation mechanics without the registries."""

    name = "fake-npu"
    device_type = "npu"
    registry_source = "hand-written test profile"

    def __init__(
        self,
        unsupported: tuple[str, ...] = ("aten::_int_mm",),
        slow: tuple[str, ...] = (),
        dtypes: dict[str, FakeDtype] | None = None,
    ) -> None:
        self.unsupported, self.slow = set(unsupported), set(slow)
        self.table = (
            dtypes
            if dtypes is not None
            else {
                "float64": FakeDtype("float64", "downcast", "float32"),
                "complex128": FakeDtype("complex128", "error"),
            }
        )

    def support_of(self, func: Any) -> FakeSupport:
        packet = func._schema.name
        if packet in self.unsupported:
            return FakeSupport(packet, "unsupported", suggestion="use a float matmul")
        return FakeSupport(packet, "native", slow=packet in self.slow)

    def dtype_support(self, dtype: torch.dtype) -> FakeDtype:
        name = str(dtype).removeprefix("torch.")
        return self.table.get(name, FakeDtype(name, "native"))


class Doubles(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.double() * 2.0).float()


class Complexes(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = torch.polar(torch.ones_like(x, dtype=torch.float64), x.double())  # complex128
        return c.real.float()


class IntMatmul(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.ones(32, 32, dtype=torch.int8)
        return x + torch._int_mm(a, a).float().mean()


class Planted(nn.Module):
    """float64 in `stages.0`, complex128 in `stages.1`, torch._int_mm in `stages.2`."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(32, 32)
        self.stages = nn.ModuleList([Doubles(), Complexes(), IntMatmul()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        for s in self.stages:
            x = s(x)
        return x


def planted() -> tuple[nn.Module, tuple[torch.Tensor]]:
    torch.manual_seed(0)
    return Planted(), (torch.randn(4, 32),)


def broken_factory() -> nn.Module:
    raise RuntimeError("factory failed on purpose")


class Crashes(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.lin(x)
        raise ValueError("model crashed on purpose")


def crashing() -> tuple[nn.Module, tuple[torch.Tensor]]:
    return Crashes(), (torch.randn(2, 8),)
