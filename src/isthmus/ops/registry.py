"""The operator registries shipped in `isthmus/ops/data/`, loaded once and cached.

- `torch_registry.json`: every aten operator of the torch release it was generated from, with flags for the
  kernels native_functions.yaml declares (see tools/gen_torch_registry.py): C=CPU, G=CUDA,
  I=CompositeImplicitAutograd, E=CompositeExplicitAutograd, V=view, P=Python decomposition in torch._decomp.
- `npu_registry_<version>.json`: the aten operators a torch_npu release registers NPU kernels for, read from the
  yaml files inside its wheel, and per operator where it is listed: which yaml file and section, whether the
  generated headers declare its kernel, whether it is structured (see tools/gen_npu_registry.py), with the
  wheel's sha256.

Operator keys are native_functions.yaml names: `add.Tensor`, and the bare name (`addmm`) for the default overload.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

from isthmus.errors import InputError

DEFAULT_NPU_VERSION = "2.14.0"
_FILES = {"b": "npu_native_functions.yaml", "c": "npu_native_functions_by_codegen.yaml"}
_SECTIONS = {"s": "supported", "y": "symint", "a": "autograd", "q": "quant"}
_HEADERS = {"H": "NPUNativeFunctions.h", "O": "NPUOpApiNativeFunctions.h"}
_NPU_FILE = re.compile(r"npu_registry_(?P<version>.+)\.json$")


@dataclass(frozen=True, eq=False)
class TorchRegistry:
    """Kernel flags and structured delegates per aten operator, from torch's native_functions.yaml."""

    flags: dict[str, str]
    delegates: dict[str, str]
    source: dict[str, Any]

    def overloads(self, name: str) -> list[str]:
        """Every key of the operator packet `name` (`add` -> `add.Tensor`, `add.Scalar`, `add.out`, ...)."""
        return list(self._packets.get(name, ()))

    @cached_property
    def _packets(self) -> dict[str, tuple[str, ...]]:
        """Packet name -> its keys, in the table's order (built once: scan asks for many names)."""
        out: dict[str, list[str]] = {}
        for k in self.flags:
            out.setdefault(k.split(".", 1)[0], []).append(k)
        return {name: tuple(keys) for name, keys in out.items()}


@dataclass(frozen=True, eq=False)
class NpuRegistry:
    """The aten operators (and custom `npu_*` operators) one torch_npu release has NPU kernels for."""

    version: str
    ops: frozenset[str]
    custom: frozenset[str]
    source: dict[str, Any]
    evidence: dict[str, str] = field(default_factory=dict)  # op -> codes (see source["evidence_codes"])

    def listing(self, key: str) -> str:
        """Where this release lists `key`, in words ("" when it does not)."""
        if key not in self.ops:
            return ""
        codes = self.evidence.get(key, "").split(",")
        where = [f"{_FILES[c[0]]} ({_SECTIONS.get(c[1:], c[1:])})" for c in codes if c[:1] in _FILES]
        headers = [_HEADERS[c] for c in codes if c in _HEADERS]
        text = "listed in " + (" and ".join(where) or "the torch_npu yaml")
        if headers:
            text += f", kernel declared in {' and '.join(headers)}"
        if "S" in codes:
            text += ", structured"
        return text


def _read(name: str) -> Any:
    return json.loads(resources.files("isthmus.ops.data").joinpath(name).read_text(encoding="utf-8"))


@cache
def torch_registry() -> TorchRegistry:
    """The shipped torch registry (generated from the torch release named in its `source`)."""
    doc = _read("torch_registry.json")
    flags: dict[str, str] = {}
    delegates: dict[str, str] = {}
    for key, value in doc["ops"].items():
        if isinstance(value, list):
            flags[key], delegates[key] = value[0], value[1]
        else:
            flags[key] = value
    return TorchRegistry(flags, delegates, doc["source"])


def npu_versions() -> list[str]:
    """The torch_npu versions whose registries are shipped, newest first."""
    names = [p.name for p in resources.files("isthmus.ops.data").iterdir()]
    versions = [m["version"] for n in names if (m := _NPU_FILE.match(n))]
    return sorted(versions, key=version_key, reverse=True)


def version_key(version: str) -> tuple[int, ...]:
    """Sortable form of a release string (`2.5.1.post1` -> (2, 5, 1, 1))."""
    return tuple(int(x) for x in re.findall(r"\d+", version))


@cache
def npu_registry(version: str | None = None) -> NpuRegistry:
    """The registry for torch_npu `version` (default: the newest shipped); unknown -> InputError."""
    version = version or DEFAULT_NPU_VERSION
    shipped = npu_versions()
    if version not in shipped:
        close = difflib.get_close_matches(version, shipped, n=3, cutoff=0.3)
        raise InputError(
            f"no operator registry for torch_npu {version}",
            hint=f"shipped: {', '.join(shipped)}"
            + (f" (closest: {', '.join(close)})" if close else "")
            + "; generate another with tools/gen_npu_registry.py VERSION",
        )
    doc = _read(f"npu_registry_{version}.json")
    return NpuRegistry(
        version, frozenset(doc["ops"]), frozenset(doc.get("custom", ())), doc["source"], doc.get("evidence", {})
    )


def source_line(source: dict[str, Any]) -> str:
    """One line of provenance: package, version, file or wheel, short checksum, date."""
    what = source.get("wheel") or source.get("file") or "?"
    return (
        f"{source.get('package')} {source.get('version')} ({what}, sha256 {str(source.get('sha256', ''))[:12]}, "
        f"generated {source.get('generated')})"
    )
