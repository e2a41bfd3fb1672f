"""Model inputs and identities for a record: where the inputs come from, and checksums of weights and inputs.

Inputs come from a safetensors file (`--inputs`), from a seed and shape (`--seed N --input-shape ...`, generated
on the CPU so every machine gets the same bits), from the model factory's own example, or from another record.
Whatever the source, the exact tensors are stored in the record, so a comparison never depends on regenerating them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isthmus.errors import InputError
from isthmus.parity.manifest import InputItem, InputsInfo, InputSource

if TYPE_CHECKING:
    import torch
    from torch import nn

    from isthmus.models import LoadedModel
    from isthmus.parity.format import Record

INPUT_PREFIX = "input/"


@dataclass(frozen=True)
class InputSpec:
    """Where the inputs come from; at most one of `file`, `shape` or `record` is set (none: the factory's)."""

    file: Path | None = None
    shape: tuple[int, ...] | None = None
    record: Record | None = None


@dataclass(frozen=True)
class ResolvedInputs:
    """The positional arguments of the forward call (on the CPU) and how the manifest describes them."""

    args: tuple[Any, ...]
    info: InputsInfo
    tensors: dict[str, torch.Tensor]  # tensor key -> CPU tensor, stored in the record


def _tensor_bytes(t: torch.Tensor) -> bytes:
    import torch

    flat = t.detach().to("cpu").contiguous().reshape(-1)
    return bytes(flat.view(torch.uint8).numpy().tobytes()) if flat.numel() else b""


def weights_sha256(module: nn.Module) -> tuple[str, int, str]:
    """(sha256, parameter count, dominant dtype) of the state dict: names sorted, each with dtype and shape."""
    import torch

    h = hashlib.sha256()
    state = module.state_dict()
    for name in sorted(state):
        t = state[name]
        h.update(f"{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(_tensor_bytes(t))
    params = list({id(p): p for p in module.parameters()}.values())
    count = sum(p.numel() for p in params)
    dtypes: dict[str, int] = {}
    for p in params:
        key = str(p.dtype).removeprefix("torch.")
        dtypes[key] = dtypes.get(key, 0) + p.numel()
    # a model without parameters computes in its inputs' dtype: the default dtype stands for it
    default = str(torch.get_default_dtype()).removeprefix("torch.")
    dominant = max(dtypes, key=lambda d: dtypes[d]) if dtypes else default
    return h.hexdigest(), count, dominant


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _describe(args: tuple[Any, ...], names: list[str]) -> tuple[tuple[InputItem, ...], dict[str, torch.Tensor], str]:
    import torch

    items, tensors, h = [], {}, hashlib.sha256()
    for i, (name, arg) in enumerate(zip(names, args, strict=True)):
        if isinstance(arg, torch.Tensor):
            key = f"{INPUT_PREFIX}{i}"
            cpu = arg.detach().to("cpu").contiguous()
            tensors[key] = cpu
            dtype = str(cpu.dtype).removeprefix("torch.")
            items.append(InputItem(name=name, kind="tensor", key=key, shape=tuple(cpu.shape), dtype=dtype))
            h.update(f"{name}\0{dtype}\0{tuple(cpu.shape)}\0".encode())
            h.update(_tensor_bytes(cpu))
        elif isinstance(arg, float) and not math.isfinite(arg):
            raise InputError(f"input {name} is {arg}: a record holds finite numbers only", hint="pass a finite value")
        elif arg is None or isinstance(arg, (bool, int, float, str)):
            items.append(InputItem(name=name, kind="value", value=arg))
            h.update(f"{name}\0value\0{json.dumps(arg)}\0".encode())
        else:
            raise InputError(
                f"input {name} is a {type(arg).__name__}: only tensors and plain scalars can be recorded",
                hint="return tensors as example inputs, or pass --inputs FILE",
            )
    return tuple(items), tensors, h.hexdigest()


def load_inputs_file(path: Path) -> tuple[tuple[Any, ...], list[str]]:
    """Tensors of a safetensors file as positional arguments, in natural order of their names (input_0, input_1...)."""
    from safetensors.torch import load

    if not path.is_file():
        raise InputError(f"{path}: no such inputs file", hint="pass a .safetensors file of input tensors")
    from isthmus.parity.format import check_safetensors_header

    blob = path.read_bytes()
    check_safetensors_header(path, blob)
    try:
        tensors = load(blob)
    except Exception as e:  # SafetensorError and friends: a bad file
        raise InputError(f"{path}: unreadable safetensors file: {e}") from e
    if not tensors:
        raise InputError(f"{path}: holds no tensors", hint="save the model's positional inputs as input_0, input_1...")
    names = sorted(tensors, key=_natural_key)
    return tuple(tensors[n] for n in names), names


def resolve_inputs(loaded: LoadedModel, spec: InputSpec, seed: int) -> ResolvedInputs:
    """The inputs `spec` asks for, on the CPU, described for the manifest."""
    from isthmus.models import make_inputs

    file: str | None = None
    source: InputSource
    if spec.record is not None:
        rec = spec.record
        args = tuple(rec.tensors[i.key] if i.kind == "tensor" and i.key else i.value for i in rec.manifest.inputs.items)
        names = [i.name for i in rec.manifest.inputs.items]
        source, in_seed, file = "record", rec.manifest.inputs.seed, rec.manifest.inputs.file
    elif spec.file is not None:
        args, names = load_inputs_file(spec.file)
        source, in_seed, file = "file", None, str(spec.file)
    elif spec.shape is not None:
        args = make_inputs(loaded, spec.shape, seed=seed)
        names, source, in_seed = [f"input_{i}" for i in range(len(args))], "seed", seed
    elif loaded.example_inputs is not None:
        args = tuple(loaded.example_inputs)
        names, source, in_seed = [f"input_{i}" for i in range(len(args))], "example", seed
    else:
        args = make_inputs(loaded, None, seed=seed)
        names, source, in_seed = [f"input_{i}" for i in range(len(args))], "seed", seed
    items, tensors, digest = _describe(tuple(args), names)
    shapes = tuple(i.shape for i in items if i.shape is not None)
    info = InputsInfo(source=source, file=file, seed=in_seed, shapes=shapes, sha256=digest, items=items)
    return ResolvedInputs(tuple(tensors.get(i.key, i.value) if i.key else i.value for i in items), info, tensors)
