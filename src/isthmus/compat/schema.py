"""Pydantic models for the compatibility data (`compat/data/compat.yaml`).

Rows are data, never code: a torch_npu / torch / CANN / Python row, a CANN -> Ascend HDK driver row, a PyTorch ->
CUDA row, a CUDA -> minimum driver row, and add-on requirements (vllm-ascend, flash-attn...) as PEP 440 specifiers.
Every row names a source id and a kind (official, observed, unknown).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from isthmus.schema import StrictModel

Kind = Literal["official", "observed", "unknown"]


class CompatSource(StrictModel):
    title: str
    url: str = Field(pattern=r"^https?://")
    date: dt.date  # date of the version of the document that was read
    kind: Kind
    note: str = ""


class CompatRow(StrictModel):
    """What every row of the matrix carries: the source that says it, and how sure that source is."""

    source: str
    kind: Kind
    note: str = ""


class AscendRow(CompatRow):
    """One torch_npu release paired with one CANN release (torch_npu's "Ascend auxiliary software" table)."""

    cann: str
    torch: str
    torch_npu: str
    python: tuple[str, ...] = Field(min_length=1)  # minor versions, "3.10"


class AscendDriverRow(CompatRow):
    """A CANN release and the Ascend HDK (driver / firmware) version lines it is released with (prefixes)."""

    cann: str
    driver: tuple[str, ...] = Field(min_length=1)


class CudaTorchRow(CompatRow):
    """A PyTorch minor release: its Python range and the CUDA runtimes its wheels are built for."""

    torch: str  # "2.9"
    python: tuple[str, str]  # (oldest, newest) minor versions
    cuda: tuple[str, ...] = Field(min_length=1)
    cudnn: dict[str, str] = Field(default_factory=dict)  # CUDA runtime -> the cuDNN its wheels bundle


class CudaDriverRow(CompatRow):
    cuda: str  # major release, "12"
    min_driver: str


class Requirement(CompatRow):
    """For `package` versions matching `versions`, each `requires` component must match its specifier."""

    package: str
    versions: str
    requires: dict[str, str]


class PinRule(StrictModel):
    source: str
    kind: Kind


class CompatFile(StrictModel):
    data_date: dt.date
    notice: str
    sources: dict[str, CompatSource]
    torch_npu_pins_torch: PinRule
    ascend: tuple[AscendRow, ...]
    ascend_drivers: tuple[AscendDriverRow, ...]
    cuda_torch: tuple[CudaTorchRow, ...]
    cuda_drivers: tuple[CudaDriverRow, ...]
    requirements: tuple[Requirement, ...]

    @model_validator(mode="after")
    def _sources_exist(self) -> CompatFile:
        rows: list[CompatRow | PinRule] = [
            self.torch_npu_pins_torch,
            *self.ascend,
            *self.ascend_drivers,
            *self.cuda_torch,
            *self.cuda_drivers,
            *self.requirements,
        ]
        missing = sorted({r.source for r in rows if r.source not in self.sources})
        if missing:
            raise ValueError(f"unknown source ids: {', '.join(missing)}")
        return self
