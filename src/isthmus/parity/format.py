"""Reading and writing parity records: a directory with `manifest.json` and `tensors.safetensors`.

Never pickle. Loading checks everything before use: the JSON against the strict schema (`manifest.py`), the
safetensors header by hand (length, dtypes, shapes, offsets inside the file, sizes that match the shapes) before
the library parses it, then that every tensor the manifest names exists with the shape and dtype it claims.
Anything that does not fit raises `InputError` naming the file and the problem.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from isthmus.errors import InputError
from isthmus.files import atomic_output_dir, atomic_write_bytes, atomic_write_text
from isthmus.parity.manifest import FORMAT, FORMAT_VERSION, Manifest
from isthmus.schema import describe

if TYPE_CHECKING:
    import torch

MANIFEST = "manifest.json"
TENSORS = "tensors.safetensors"
MAX_MANIFEST_BYTES = 256 << 20
MAX_HEADER_BYTES = 100 << 20  # the safetensors library's own limit
ITEMSIZE = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
}


@dataclass(frozen=True)
class Record:
    """A parity record in memory: the validated manifest and its tensors (on the CPU)."""

    manifest: Manifest
    tensors: Mapping[str, torch.Tensor]
    path: Path | None = None

    @property
    def label(self) -> str:
        """How messages name this record: its directory, or its device for a record made on the fly."""
        return str(self.path) if self.path else f"<{self.manifest.run.device} run>"


def save_record(record: Record, out: Path) -> Path:
    """Write `record` into the directory `out` atomically (replacing a previous record there)."""
    from safetensors.torch import save

    tensors = {k: v.contiguous() for k, v in record.tensors.items()}
    with atomic_output_dir(out) as tmp:
        atomic_write_bytes(tmp / TENSORS, save(tensors, metadata={"format": FORMAT, "version": str(FORMAT_VERSION)}))
        text = json.dumps(record.manifest.model_dump(mode="json"), indent=1, allow_nan=False)
        atomic_write_text(tmp / MANIFEST, text + "\n")
    return out


def written_summary(record: Record, out: Path, seconds: float) -> dict[str, Any]:
    """What `isthmus parity record` reports about `record` once written to `out`: entries, bytes on disk, seconds
    taken, the weight and input hashes (what `compare` checks), the device and the compute dtype."""
    m = record.manifest
    return {
        "record": str(out),
        "entries": len(m.entries),
        "bytes": sum(p.stat().st_size for p in out.iterdir()),
        "seconds": round(seconds, 3),
        "weights_sha256": m.model.weights_sha256,
        "inputs_sha256": m.inputs.sha256,
        "device": m.run.device,
        "compute_dtype": m.run.compute_dtype,
    }


def written_line(record: Record, summary: Mapping[str, Any]) -> str:
    """`written_summary` in one line for people."""
    m = record.manifest
    return (
        f"recorded {len(m.entries)} tensors of {m.model.name} on {m.run.device} ({m.run.compute_dtype}) "
        f"-> {summary['record']} ({summary['bytes'] / 1e6:.2f} MB, {summary['seconds']} s)"
    )


def is_record_dir(path: Path) -> bool:
    """True when `path` looks like a record directory (it has a manifest)."""
    return path.is_dir() and (path / MANIFEST).is_file()


def load_record(path: str | os.PathLike[str]) -> Record:
    """Load and validate the record at `path`; raise InputError on anything malformed."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such record", hint="pass a directory written by `isthmus parity record`")
    if not root.is_dir():
        raise InputError(
            f"{root}: a parity record is a directory, not a file",
            hint=f"pass the directory holding {MANIFEST} and {TENSORS}",
        )
    manifest = _read_manifest(root / MANIFEST)
    tensors = _read_tensors(root / TENSORS)
    _check_consistency(root, manifest, tensors)
    return Record(manifest, tensors, root)


def _read_manifest(path: Path) -> Manifest:
    if not path.is_file():
        raise InputError(f"{path}: missing", hint="is this a directory written by `isthmus parity record`?")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise InputError(f"{path}: larger than {MAX_MANIFEST_BYTES >> 20} MiB, refusing to read it")
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as e:
        raise InputError(f"{path}: not a JSON manifest ({e})", hint="the record is corrupted: record it again") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f'{path}: not an isthmus parity manifest (no "format": "{FORMAT}")')
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise InputError(
            f"{path}: format version {version} is newer than this isthmus reads ({FORMAT_VERSION})",
            hint="upgrade isthmus",
        )
    try:
        return Manifest.model_validate_json(text)  # JSON mode: arrays are tuples
    except ValidationError as e:
        raise InputError(
            f"{path}: invalid manifest: {describe(e)}", hint="the record is corrupted: record it again"
        ) from e


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    if not path.is_file():
        raise InputError(f"{path}: missing", hint="copy the whole record directory")
    blob = path.read_bytes()
    check_safetensors_header(path, blob)
    try:
        tensors = load(blob)
    except Exception as e:  # the library's own errors (SafetensorError and others) mean a bad file
        raise InputError(f"{path}: unreadable safetensors file: {e}") from e
    return dict(tensors)


def check_safetensors_header(path: Path, blob: bytes) -> int:
    """Validate the safetensors header by hand; return its length."""
    if len(blob) < 8:
        raise InputError(f"{path}: truncated ({len(blob)} bytes)", hint="copy the record again")
    n = int.from_bytes(blob[:8], "little")
    if n > MAX_HEADER_BYTES or n > len(blob) - 8:
        raise InputError(
            f"{path}: header claims {n} bytes but the file has {len(blob) - 8} after the length",
            hint="the file is truncated or not a safetensors file",
        )
    try:
        header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"{path}: not a safetensors file (header is not JSON)") from e
    if not isinstance(header, dict):
        raise InputError(f"{path}: not a safetensors file (header is not an object)")
    data_len = len(blob) - 8 - n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        _check_header_entry(path, name, info, data_len)
    return n


def _check_header_entry(path: Path, name: str, info: Any, data_len: int) -> None:
    bad = f"{path}: tensor {name!r}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise InputError(f"{bad}: malformed header entry")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in ITEMSIZE:
        raise InputError(f"{bad}: unsupported dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise InputError(f"{bad}: shape must be a list of non-negative integers")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise InputError(f"{bad}: data_offsets must be two integers")
    begin, end = offsets
    if not 0 <= begin <= end <= data_len:
        raise InputError(
            f"{bad}: data [{begin}, {end}) lies outside the {data_len} data bytes",
            hint="the file is truncated or its header lies about sizes",
        )
    if end - begin != math.prod(shape) * ITEMSIZE[dtype]:
        raise InputError(f"{bad}: {end - begin} bytes do not hold shape {shape} of {dtype}")


_SAMPLE_DTYPES = {"float32", "float64", "int64"}


def _check_consistency(root: Path, m: Manifest, tensors: Mapping[str, torch.Tensor]) -> None:
    """Every tensor the manifest names exists, with the size and dtype it claims; nothing else is there."""
    named: set[str] = set()
    keys: set[str] = set()
    for e in m.entries:
        where = f"{root}: entry {e.key!r}"
        if e.key in keys:
            raise InputError(f"{where}: duplicate key")
        keys.add(e.key)
        if math.prod(e.shape) != e.numel:
            raise InputError(f"{where}: numel {e.numel} does not match shape {list(e.shape)}")
        sample = _get(root, tensors, e.sample, where)
        want = min(e.numel, m.run.samples)
        if (
            sample.dim() != 1
            or sample.numel() != want
            or str(sample.dtype).removeprefix("torch.") not in _SAMPLE_DTYPES
        ):
            raise InputError(
                f"{where}: sample must be {want} float32/float64/int64 values, "
                f"found {list(sample.shape)} {sample.dtype}"
            )
        named.add(e.sample)
        if e.full is not None:
            full = _get(root, tensors, e.full, where)
            if tuple(full.shape) != e.shape:
                raise InputError(f"{where}: full tensor has shape {list(full.shape)}, manifest says {list(e.shape)}")
            named.add(e.full)
    for item in m.inputs.items:
        if item.kind != "tensor":
            continue
        where = f"{root}: input {item.name!r}"
        if item.key is None or item.shape is None:
            raise InputError(f"{where}: a tensor input needs key and shape")
        t = _get(root, tensors, item.key, where)
        if tuple(t.shape) != item.shape or str(t.dtype).removeprefix("torch.") != item.dtype:
            raise InputError(
                f"{where}: stored tensor is {list(t.shape)} {t.dtype}, manifest says {list(item.shape)} {item.dtype}"
            )
        named.add(item.key)
    extra = sorted(set(tensors) - named)
    if extra:
        raise InputError(f"{root}: {TENSORS} holds tensors the manifest does not name: {', '.join(extra[:5])}")


def _get(root: Path, tensors: Mapping[str, torch.Tensor], key: str, where: str) -> torch.Tensor:
    t = tensors.get(key)
    if t is None:
        raise InputError(f"{where}: tensor {key!r} is missing from {TENSORS}", hint="the record is incomplete")
    return t
