"""Target profiles: one operator registry, dtype table and slow-path list per device, and the support logic.

The support logic lives here and only here (`TargetProfile.support`), so `isthmus ops`, `isthmus emulate` and
`isthmus scan` give the same answer. For one operator on one target:

1. the target has a kernel for it (CUDA/CPU key in native_functions.yaml, or listed in torch_npu's yaml): native;
2. it is a composite whose C++ code picks a device kernel (SDPA, dropout, rms_norm) and that kernel exists: native;
3. it is a view (shares storage, no kernel needed): native;
4. it is composite (CompositeImplicit/CompositeExplicit, or decomposed in a capture): follow the decomposition
   recursively; decomposed if every part runs, otherwise the worst part's fate;
5. Ascend only: torch_npu lists only its structured out= variant (`gelu.out` for `gelu`), or only an older
   torch_npu release lists it: unverified. torch's structured wrapper (CompositeExplicitAutogradNonFunctional)
   would call the listed out= kernel, but no list says so for this release and there is no hardware to settle it;
6. otherwise the device's fallback: torch_npu runs it on the host CPU (slow); CUDA and CPU have none: unsupported.
   An operator neither torch's table nor the target's knows (a typo, an unregistered custom operator) is
   unsupported everywhere: there is no CPU kernel to fall back to either.

Every answer carries its evidence (`OpSupport.evidence`) and the offline source that decided it
(`OpSupport.source`): the torch_npu yaml file and section, the generated header, native_functions.yaml's
dispatch table, a decomposition observed during capture, or a fact in `knowledge.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from isthmus.ops import knowledge, levels
from isthmus.ops.registry import NpuRegistry, TorchRegistry, npu_registry, source_line, torch_registry

if TYPE_CHECKING:
    import torch

Status = Literal["native", "decomposed", "unverified", "fallback", "unsupported"]
DtypeStatus = Literal["native", "downcast", "error"]
DeviceType = Literal["cuda", "npu", "cpu"]
_RANK: dict[str, int] = {"native": 0, "decomposed": 1, "unverified": 2, "fallback": 3, "unsupported": 4}
RUNS = ("native", "decomposed")  # statuses for which the evidence says the operator runs on the device
PROBLEMS = ("fallback", "unsupported")  # statuses for which the evidence says it does not
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
    evidence: str = ""  # why: listed as a function / only its .out variant / composite of ... / absent / older only
    source: str = ""  # the offline source that decided (yaml file and section, header, native_functions.yaml...)


def rank(status: str) -> int:
    """Order of statuses from best (native) to worst (unsupported)."""
    return _RANK[status]


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
            return replace(best, op=f"aten::{key}")
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

    def _listed(self, key: str) -> tuple[str, str]:
        """(evidence, source) for an operator the target has a kernel for."""
        if self.npu_table is not None:
            where = self.npu_table.listing(key) or "listed among torch_npu's custom operators"
            return f"{where} (torch_npu {self.npu_table.version})", "torch_npu " + where.removeprefix("listed in ")
        device = "CUDA" if self.device_type == "cuda" else "CPU"
        return f"{device} kernel in native_functions.yaml", f"native_functions.yaml ({device} dispatch key)"

    def _elsewhere(self, key: str) -> list[str]:
        """Older shipped torch_npu releases that list `key` itself (a newer one listing it says only that it was
        added later: this release's fallback stands)."""
        if self.npu_table is None:
            return []
        from isthmus.ops.registry import npu_versions, version_key

        mine = version_key(self.npu_table.version)
        return [v for v in npu_versions() if version_key(v) < mine and key in npu_registry(v).ops]

    def _resolve(self, key: str, decomp: Decompositions, stack: tuple[str, ...]) -> OpSupport:
        name = display(key)
        flags = self.torch_table.flags.get(key, "")
        suggestion = knowledge.suggestion_for(key)
        called = levels.program_key(key)
        if called != key and not self.has_kernel(key):  # the host's lowering: judge what the program called
            got = self._resolve(called, decomp, stack)
            how = f"the CPU's lowering of {display(called)} ({levels.lowering_source(key)}); judged as it: "
            return replace(got, op=name, evidence=how + got.evidence, source=f"isthmus knowledge; {got.source}")
        if self.has_kernel(key):
            slow = self.slow_path(key, set())
            evidence, source = self._listed(key)
            return OpSupport(name, "native", (), slow is not None, slow or "", None, evidence, source)
        lowered = knowledge.LOWERINGS.get(key, {}).get(self.device_type)
        if lowered and any(self.has_kernel(k) for k in lowered[0]):
            kernels = tuple(display(k) for k in lowered[0] if self.has_kernel(k))
            note = f"dispatches to a device kernel ({lowered[1]})"
            evidence = (
                f"composite that picks a device kernel: {', '.join(kernels)}, "
                + self._listed(next(k for k in lowered[0] if self.has_kernel(k)))[0]
            )
            return OpSupport(name, "native", kernels, False, note, None, evidence, "isthmus knowledge.LOWERINGS")
        if "V" in flags:
            note = "view: shares its input's storage, no kernel needed"
            return OpSupport(name, "native", (), False, note, None, note, "native_functions.yaml (view schema)")
        parts = decomp.get(key) or ((self.torch_table.delegates[key],) if key in self.torch_table.delegates else ())
        if ("I" in flags or "E" in flags or key in decomp) and len(stack) < _MAX_DEPTH:
            return self._composite(key, flags, parts, decomp, stack, suggestion)
        known = key in self.torch_table.flags
        if levels.host_only(key, flags):
            evidence = (
                "CPU-only kernel (a CPU kernel and no CUDA kernel in native_functions.yaml): the host's "
                "lowering of an operator isthmus cannot name; the target would run its own kernel for that"
            )
            return OpSupport(name, "unverified", (), False, "unverified: " + evidence, suggestion, evidence,
                             "native_functions.yaml (dispatch keys) and the kernel's name")  # fmt: skip
        if self.npu_table is not None and known:
            unverified = self._unverified(key, name, suggestion)
            if unverified is not None:
                return unverified
            version = self.npu_table.version
            evidence = f"absent from torch_npu {version}'s lists (both yaml files), no composite kernel in torch"
            return OpSupport(name, "fallback", ("cpu",), True, NPU_FALLBACK_NOTE, suggestion, evidence,
                             f"torch_npu {version} yaml files and native_functions.yaml")  # fmt: skip
        if not known and self.device_type == "npu":
            what = "operator unknown to both registries (torch's native_functions.yaml and torch_npu's)"
        elif not known:
            what = "operator unknown to torch's registry (native_functions.yaml): check the name"
        else:
            what = f"no {self.device_type} kernel"
        python = " (a torch._decomp decomposition exists: torch.compile can lower it)" if "P" in flags else ""
        return OpSupport(name, "unsupported", (), False, what + python, suggestion, what, "native_functions.yaml")

    def _unverified(self, key: str, name: str, suggestion: str | None) -> OpSupport | None:
        """Only a related variant (the structured out=) is listed, or only other releases list it."""
        assert self.npu_table is not None  # callers check
        version = self.npu_table.version
        elsewhere = self._elsewhere(key)
        older = f"; torch_npu {', '.join(elsewhere)} list{'s' if len(elsewhere) == 1 else ''} {key} itself"
        delegate = self.torch_table.delegates.get(key)
        if delegate is not None and self.has_kernel(delegate):
            evidence = (
                f"torch_npu {version} lists only its out= variant {delegate} ({self.npu_table.listing(delegate)}); "
                f"torch's structured wrapper (CompositeExplicitAutogradNonFunctional) would call it"
                + (older if elsewhere else "")
            )
            note = f"unverified: only {display(delegate)} is listed" + (older if elsewhere else "")
            return OpSupport(name, "unverified", (display(delegate),), False, note, suggestion, evidence,
                             "torch_npu yaml files (out= variant only) and native_functions.yaml "
                             "(structured_delegate)")  # fmt: skip
        if elsewhere:
            evidence = f"absent from torch_npu {version}'s lists, listed in torch_npu {', '.join(elsewhere)} only"
            note = f"unverified: listed in torch_npu {', '.join(elsewhere)} only, not in {version}"
            return OpSupport(name, "unverified", (), False, note, suggestion, evidence,
                             f"torch_npu {', '.join([version, *elsewhere])} yaml files")  # fmt: skip
        return None

    def _composite(
        self, key: str, flags: str, parts: tuple[str, ...], decomp: Decompositions, stack: tuple[str, ...],
        suggestion: str | None,
    ) -> OpSupport:  # fmt: skip
        name = display(key)
        kind = "CompositeImplicitAutograd" if "I" in flags else "CompositeExplicitAutograd" if "E" in flags else (
            "decomposition observed during capture")  # fmt: skip
        source = f"native_functions.yaml ({kind})" if ("I" in flags or "E" in flags) else "capture"
        parts = tuple(p for p in parts if p != key and p not in stack)
        if not parts:
            note = f"{kind}: runs as other aten operators on every device"
            return OpSupport(name, "decomposed", (), False, note, None, f"composite ({kind})", source)
        results = [self._resolve(p, decomp, (*stack, key)) for p in parts]
        worst = max(results, key=lambda r: _RANK[r.status])
        via = tuple(display(p) for p in parts)
        slow = any(r.slow for r in results)
        evidence = f"composite ({kind}), decomposes to {', '.join(via)}"
        if worst.status in RUNS:
            return OpSupport(name, "decomposed", via, slow, f"{kind}: runs as {', '.join(via)}", None, evidence, source)
        bad = [r.op for r in results if r.status == worst.status]
        note = f"{kind}: its part {', '.join(bad)} is {worst.status} ({worst.note})"
        evidence += f"; {', '.join(bad)}: {worst.evidence}"
        return OpSupport(name, worst.status, tuple(bad), slow, note, suggestion or worst.suggestion, evidence,
                         f"{source}; {worst.source}")  # fmt: skip

    # ---- dtypes ----------------------------------------------------------------------------------------
    def dtype_support(self, dtype: torch.dtype | str) -> DtypeSupport:
        """What the target does with `dtype` (a torch.dtype or its name, e.g. "float64")."""
        from isthmus import targets

        dname = str(dtype).removeprefix("torch.")
        rule = targets.dtype_table(targets.get(self.name)).get(dname)
        return DtypeSupport(dname, "native") if rule is None else DtypeSupport(dname, rule.status, rule.to, rule.note)


def list_targets() -> list[str]:
    """Names accepted by `get_target` (the target registry's, data/targets.yaml)."""
    from isthmus import targets

    return list(targets.names())


def get_target(name: str, torch_npu_version: str | None = None) -> TargetProfile:
    """The profile of target `name` (or an alias); torch_npu profiles use the registry of `torch_npu_version`
    (default: the release the target names, else the newest)."""
    from isthmus import targets

    target = targets.get(name)
    device_type: DeviceType = "npu" if target.registry == "torch_npu" else "cuda" if target.backend == "cuda" else "cpu"
    treg = torch_registry()
    if target.registry == "torch_npu":
        nreg = npu_registry(torch_npu_version or target.torch_npu)
        source = f"{source_line(nreg.source)}; composites from {source_line(treg.source)}"
        return TargetProfile(target.name, device_type, source, target.description, treg, nreg)
    return TargetProfile(target.name, device_type, source_line(treg.source), target.description, treg)


def targets_json(torch_npu_version: str | None = None) -> dict[str, Any]:
    """`isthmus ops --list-targets --format json`: each target's device type and registry source, and the torch_npu
    releases whose registries are shipped."""
    from isthmus.ops.registry import npu_versions

    listed: dict[str, Any] = {}
    for n in list_targets():
        p = get_target(n, torch_npu_version)
        listed[n] = {"device_type": p.device_type, "registry": p.registry_source}
    return listed | {"torch_npu_versions": npu_versions()}


def targets_lines(torch_npu_version: str | None = None) -> list[str]:
    """`isthmus ops --list-targets` for people: each target, its description and registry source."""
    from isthmus.ops.registry import npu_versions

    lines = []
    for n in list_targets():
        p = get_target(n, torch_npu_version)
        lines.append(f"{n:12} {p.description}\n{'':12} {p.registry_source}")
    return [*lines, f"torch_npu registries shipped: {', '.join(npu_versions())}"]
