"""The manifest of a parity record: a strict, versioned schema (pydantic) for `manifest.json`.

Strict means: no type coercion ("1" is not 1, true is not 1), no unknown keys, bounded sizes. A manifest that does
not fit is refused with the path of the first offending field, so a corrupted or hostile record never reaches the
comparison code.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from isthmus.schema import StrictModel

FORMAT = "isthmus-parity"
FORMAT_VERSION = 1

Stage = Literal["forward", "grad_input", "grad_param"]
InputSource = Literal["file", "seed", "example", "record"]
NonNeg = Annotated[int, Field(ge=0)]
Name = Annotated[str, Field(max_length=4096)]
# torch's dtype names (str(torch.float32) without "torch."): a record naming anything else is not ours
DTYPES = frozenset(
    [
        "float64",
        "float32",
        "float16",
        "bfloat16",
        "float8_e4m3fn",
        "float8_e5m2",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
        "complex128",
        "complex64",
        "complex32",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint64",
        "uint32",
        "uint16",
        "uint8",
        "bool",
    ]
)


def _known_dtype(name: str) -> str:
    if name not in DTYPES:
        raise ValueError(f"{name!r} is not a torch dtype ({', '.join(sorted(DTYPES))})")
    return name


DTypeName = Annotated[str, AfterValidator(_known_dtype)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Strict(StrictModel):
    # a record is written by isthmus itself: no coercion at all ("1" is not 1, true is not 1) on reading it back
    model_config = ConfigDict(strict=True)


class StatsModel(_Strict):
    """Statistics over the finite elements (null when none, or when a value overflows JSON)."""

    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    absmax: float | None
    l2: float | None
    nan: NonNeg
    inf: NonNeg


class EntryModel(_Strict):
    """One recorded tensor: a module output (or gradient) in execution order."""

    key: Name  # e.g. "forward/blocks.0.attn", "forward/blocks.0.attn@1" (second call), "...:1" (second output)
    stage: Stage
    module: Name  # module path, "(model)" for the root; parameter name for grad_param
    module_type: Name
    call: NonNeg  # 0 for the first call of this module
    output: Name  # where the tensor sits in the output structure ("" for a single tensor, "0", "logits", ...)
    shape: tuple[NonNeg, ...]  # complex tensors: shape of the real view (..., 2)
    dtype: DTypeName
    numel: NonNeg
    stats: StatsModel
    sample: Name  # tensor key of the sample in tensors.safetensors
    full: Name | None  # tensor key of the full tensor (only for modules matching --full)


class InputItem(_Strict):
    """One positional argument of the forward call."""

    name: Name
    kind: Literal["tensor", "value"]
    key: Name | None = None  # tensor key in tensors.safetensors (kind "tensor")
    shape: tuple[NonNeg, ...] | None = None
    dtype: DTypeName | None = None
    value: int | float | bool | str | None = None  # kind "value": a plain JSON scalar


class InputsInfo(_Strict):
    source: InputSource
    file: Name | None
    seed: int | None
    shapes: tuple[tuple[NonNeg, ...], ...]
    sha256: Sha256
    items: tuple[InputItem, ...]


class ModelInfo(_Strict):
    spec: Name
    name: Name
    kind: Name
    parameters: NonNeg
    weights_sha256: Sha256  # over the state dict as loaded (before any --dtype cast), names sorted, dtype-aware
    weights_dtype: DTypeName


class RunInfo(_Strict):
    device: Name
    device_name: Name
    dtype: DTypeName | None  # --dtype cast of model and float inputs
    autocast: DTypeName | None  # autocast dtype
    compute_dtype: DTypeName  # least precise dtype the run computes in (chooses the tolerance row)
    numerics: Name | None  # emulated target arithmetic (isthmus.ops.emulate), if any
    backward: bool
    full: tuple[Name, ...]
    samples: Annotated[int, Field(ge=1, le=1 << 24)]
    sampling: Name
    seed: int


class Manifest(_Strict):
    format: Literal["isthmus-parity"]
    version: Literal[1]
    created: Name
    isthmus: Name
    model: ModelInfo
    inputs: InputsInfo
    run: RunInfo
    environment: dict[Name, Name | None]
    entries: Annotated[tuple[EntryModel, ...], Field(max_length=1_000_000)]
