"""Target profiles: one operator registry, dtype table and slow-path list per device, and the support logic.

The support logic lives here and only here (`TargetProfile.support`), so `isthmus ops`, `isthmus emulate` and
`isthmus scan` give the same answer. For one operator on one target:

1. the target has a kernel for it (CUDA/CPU key in native_functions.yaml, or listed in torch_npu's yaml): native;
2. it is a composite whose C++ code picks a device kernel (SDPA, dropout, rms_norm) and that kernel exists: native;
3. it is a view (shares storage, no kernel needed): native;
4. it is composite (CompositeImplicit/CompositeExplicit, or decomposed in a capture): follow the decomposition
   recursively; decomposed if every part runs, otherwise the worst part's fate;
5. otherwise the device's fallback: torch_npu runs it on the host CPU (slow); CUDA and CPU have none: unsupported.
   An operator neither torch's table nor the target's knows (a typo, an unregistered custom operator) is
   unsupported everywhere: there is no CPU kernel to fall back to either.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from isthmus.errors import InputError
from isthmus.ops import knowledge
from isthmus.ops.registry import NpuRegistry, TorchRegistry, npu_registry, source_line, torch_registry

if TYPE_CHECKING:
    import torch

Status = Literal["native", "decomposed", "fallback", "unsupported"]
DtypeStatus = Literal["native", "downcast", "error"]
DeviceType = Literal["cuda", "npu", "cpu"]
_RANK: dict[str, int] = {"native": 0, "decomposed": 1, "fallback": 2, "unsupported": 3}
_MAX_DEPTH = 8  # decompositions deeper than this are not followed (none in torch is)
NPU_FALLBACK_NOTE = (
    "no NPU kernel: torch_npu copies the inputs to the host and runs the CPU kernel "
    "(warning 'will fall back to run on the CPU'; TORCH_NPU_FALLBACK_CPU_DISABLE=1 makes it an error)"
)
Decompositions = Mapping[str, tuple[str, ...]]  # op key -> op keys it was seen to run as


@dataclass(frozen=True)
class OpSupport:
    """How one operator runs on one target."""

    op: str  # aten::name.overload (or the packet aten::name)
    status: Status
    via: tuple[str, ...] = ()  # what it decomposes/dispatches into, or the fallback ("cpu")
    slow: bool = False  # runs, but on a slow path (host CPU fallback, AICPU)
    note: str = ""
    suggestion: str | None = None  # a portable replacement, for problems


@dataclass(frozen=True)
class DtypeSupport:
    """What a target does with tensors of one dtype."""

    dtype: str
    status: DtypeStatus
    to: str | None = None  # the dtype it is silently converted to, for "downcast"
    note: str = ""


def op_key(op: str) -> tuple[str, bool]:
    """(`name.overload` registry key, is_packet) from `aten::add.Tensor`, `aten.add.Tensor`, `add`, ...

    `.default` maps to the bare name (native_functions.yaml's spelling of the default overload); a name with
    no overload is a packet (every overload). Operators of other namespaces keep their `ns::` prefix: `npu::`
    custom operators as `npu::name` (torch_npu's list names no overloads), others as `ns::name[.overload]`.
    A dotted spelling is read as `ns.name.overload` after `torch.ops.`, or when it starts with `aten.`/`npu.`.
    """
    raw = op.strip()
    text = raw.removeprefix("torch.ops.")
    namespace, sep, rest = text.partition("::")
    if not sep:
        first, dot, tail = text.partition(".")
        dotted_ns = dot and (first in ("aten", "npu") or raw.startswith("torch.ops."))
        namespace, rest = (first, tail) if dotted_ns else ("aten", text)
    name, _, overload = rest.partition(".")
    if namespace == "npu":
        return f"npu::{name}", False
    key = name if overload in ("", "default") else f"{name}.{overload}"
    return (key if namespace == "aten" else f"{namespace}::{key}"), not overload


def display(key: str) -> str:
    """Registry key -> `aten::name.overload` (`aten::addmm.default` for the default overload)."""
    if "::" in key:
        return key
    return f"aten::{key}" if "." in key else f"aten::{key}.default"


def key_of(func: torch._ops.OpOverload) -> str:
    """Registry key of a torch OpOverload (`torch.ops.aten.add.Tensor` -> `add.Tensor`)."""
    schema = func._schema
    name = schema.name.split("::", 1)[-1]
    if not schema.name.startswith("aten::"):
        name = schema.name
    return f"{name}.{schema.overload_name}" if schema.overload_name else name


@dataclass(frozen=True, eq=False)
class TargetProfile:
    """A device the model may run on: registry, dtype behaviour, slow paths and the support logic."""

    name: str
    device_type: DeviceType
    registry_source: str
    description: str
    torch_table: TorchRegistry = field(repr=False)
    npu_table: NpuRegistry | None = field(default=None, repr=False)

    # ---- operators -------------------------------------------------------------------------------------
    def support(self, op: str, decompositions: Decompositions | None = None) -> OpSupport:
        """Support of `op` ("aten::name.overload", or the packet "aten::name": its best overload)."""
        key, packet = op_key(op)
        decomp = decompositions or {}
        if packet and "::" not in key:
            keys = self.torch_table.overloads(key) or [key]
            results = [self._resolve(k, decomp, ()) for k in keys]
            best = min(results, key=lambda r: _RANK[r.status])
            return OpSupport(f"aten::{key}", best.status, best.via, best.slow, best.note, best.suggestion)
        return self._resolve(key, decomp, ())

    def support_of(self, func: torch._ops.OpOverload, decompositions: Decompositions | None = None) -> OpSupport:
        """Support of a torch OpOverload (what a TorchDispatchMode sees)."""
        return self._resolve(key_of(func), decompositions or {}, ())

    def has_kernel(self, key: str) -> bool:
        """Whether the target registers its own kernel for the operator key."""
        if self.npu_table is not None:
            return key in self.npu_table.ops or (key.startswith("npu::") and key[5:] in self.npu_table.custom)
        flags = self.torch_table.flags.get(key, "")
        return ("G" if self.device_type == "cuda" else "C") in flags

    def slow_path(self, key: str, dtypes: frozenset[str] | set[str]) -> str | None:
        """The note of a known slow path for this operator with these input dtypes, if any."""
        slow = knowledge.SLOW.get(self.device_type, {}).get(key.split(".", 1)[0])
        if slow and (not slow.dtypes or slow.dtypes & set(dtypes)):
            return slow.note
        return None

    def _resolve(self, key: str, decomp: Decompositions, stack: tuple[str, ...]) -> OpSupport:
        name = display(key)
        flags = self.torch_table.flags.get(key, "")
        suggestion = knowledge.suggestion_for(key)
        if self.has_kernel(key):
            slow = self.slow_path(key, set())
            return OpSupport(name, "native", (), slow is not None, slow or "")
        lowered = knowledge.LOWERINGS.get(key, {}).get(self.device_type)
        if lowered and any(self.has_kernel(k) for k in lowered[0]):
            kernels = tuple(display(k) for k in lowered[0] if self.has_kernel(k))
            return OpSupport(name, "native", kernels, False, f"dispatches to a device kernel ({lowered[1]})")
        if "V" in flags:
            return OpSupport(name, "native", (), False, "view: shares its input's storage, no kernel needed")
        parts = decomp.get(key) or ((self.torch_table.delegates[key],) if key in self.torch_table.delegates else ())
        if ("I" in flags or "E" in flags or key in decomp) and len(stack) < _MAX_DEPTH:
            return self._composite(key, flags, parts, decomp, stack, suggestion)
        known = key in self.torch_table.flags
        if self.device_type == "npu" and known:
            return OpSupport(name, "fallback", ("cpu",), True, NPU_FALLBACK_NOTE, suggestion)
        if not known and self.device_type == "npu":
            what = "operator unknown to both registries (torch's native_functions.yaml and torch_npu's)"
        elif not known:
            what = "operator unknown to torch's registry (native_functions.yaml): check the name"
        else:
            what = f"no {self.device_type} kernel"
        python = " (a torch._decomp decomposition exists: torch.compile can lower it)" if "P" in flags else ""
        return OpSupport(name, "unsupported", (), False, what + python, suggestion)

    def _composite(
        self, key: str, flags: str, parts: tuple[str, ...], decomp: Decompositions, stack: tuple[str, ...],
        suggestion: str | None,
    ) -> OpSupport:  # fmt: skip
        name = display(key)
        kind = "CompositeImplicitAutograd" if "I" in flags else "CompositeExplicitAutograd"
        parts = tuple(p for p in parts if p != key and p not in stack)
        if not parts:
            return OpSupport(name, "decomposed", (), False, f"{kind}: runs as other aten operators on every device")
        results = [self._resolve(p, decomp, (*stack, key)) for p in parts]
        worst = max(results, key=lambda r: _RANK[r.status])
        via = tuple(display(p) for p in parts)
        slow = any(r.slow for r in results)
        if worst.status in ("native", "decomposed"):
            return OpSupport(name, "decomposed", via, slow, f"{kind}: runs as {', '.join(via)}")
        bad = [r.op for r in results if r.status == worst.status]
        note = f"{kind}: its part {', '.join(bad)} is {worst.status} ({worst.note})"
        return OpSupport(name, worst.status, tuple(bad), slow, note, suggestion or worst.suggestion)

    # ---- dtypes ----------------------------------------------------------------------------------------
    def dtype_support(self, dtype: torch.dtype | str) -> DtypeSupport:
        """What the target does with `dtype` (a torch.dtype or its name, e.g. "float64")."""
        dname = str(dtype).removeprefix("torch.")
        table = knowledge.DTYPES.get(self.name, {})
        status, to, note = table.get(dname, ("native", None, ""))
        return DtypeSupport(dname, status, to, note)  # type: ignore[arg-type]


_TARGETS: dict[str, tuple[DeviceType, str]] = {
    "cuda": ("cuda", "NVIDIA GPU, any recent compute capability (CUDA kernels from torch)"),
    "cuda-sm80": ("cuda", "NVIDIA Ampere (A100, A800): no FP8"),
    "cuda-sm90": ("cuda", "NVIDIA Hopper (H100, H800, H20): FP8"),
    "ascend-910a": ("npu", "Huawei Ascend 910 (910A): FP16 only, no BF16"),
    "ascend-910b": ("npu", "Huawei Ascend 910B (Atlas A2)"),
    "ascend-910c": ("npu", "Huawei Ascend 910C (Atlas A3)"),
    "cpu": ("cpu", "The host CPU (CPU kernels from torch)"),
}


def list_targets() -> list[str]:
    """Names accepted by `get_target`."""
    return list(_TARGETS)


def get_target(name: str, torch_npu_version: str | None = None) -> TargetProfile:
    """The profile named `name`; Ascend profiles use the registry of `torch_npu_version` (default: newest)."""
    key = name.strip().lower()
    if key not in _TARGETS:
        close = difflib.get_close_matches(key, list(_TARGETS), n=3, cutoff=0.4)
        hint = f"did you mean {' or '.join(close)}?" if close else f"targets: {', '.join(_TARGETS)}"
        raise InputError(f"unknown target {name!r}", hint=hint)
    device_type, description = _TARGETS[key]
    treg = torch_registry()
    if device_type == "npu":
        nreg = npu_registry(torch_npu_version)
        source = f"{source_line(nreg.source)}; composites from {source_line(treg.source)}"
        return TargetProfile(key, device_type, source, description, treg, nreg)
    return TargetProfile(key, device_type, source_line(treg.source), description, treg)
