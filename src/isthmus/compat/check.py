"""Check a software stack against the compatibility data, and name the nearest compatible set.

A stack is a plain mapping of component -> version: "python", "torch", "torch_npu", "cann", "ascend_driver", "cuda",
"nvidia_driver", "compute_capability" and add-on package names ("vllm-ascend", "flash-attn"...). Everything here is
pure: the same data and stack always give the same `StackCheck`, so tests build stacks straight from the data.
Severity follows the evidence: a conflict with an official row is an error, with an observed row a warning, and
what the data cannot settle is reported as info.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from isthmus.compat.matrix import (
    SEVERITY,
    cann_key,
    load_matrix,
    minor,
    prefix_match,
    release,
    same_version,
    satisfies,
    source_text,
    version,
)
from isthmus.compat.schema import AscendRow, CompatFile, CudaTorchRow, Kind

Severity = Literal["error", "warning", "info"]
_RANK = {"official": 0, "observed": 1, "unknown": 2}


@dataclass(frozen=True)
class CompatProblem:
    """One incompatibility (or an unknown) in a stack: what is wrong, how to fix it, and who says so."""

    severity: Severity
    components: tuple[str, ...]  # the first one is the component the fix changes
    message: str
    fix: str
    kind: Kind
    source: str  # "title <url> (date)"

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "components": list(self.components)}


@dataclass(frozen=True)
class StackCheck:
    stack: Mapping[str, str]
    problems: tuple[CompatProblem, ...]
    nearest: Mapping[str, str] = field(default_factory=dict)  # nearest compatible set, when the stack is not
    data_date: str = ""

    @property
    def compatible(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": dict(self.stack),
            "compatible": self.compatible,
            "problems": [p.to_json() for p in self.problems],
            "nearest": dict(self.nearest),
            "data_date": self.data_date,
        }


def check_stack(stack: Mapping[str, str], data: CompatFile | None = None) -> StackCheck:
    """Every problem of `stack` against the data, and the nearest compatible set when there is an error."""
    data = data or load_matrix()
    s = {k: v for k, v in stack.items() if v}
    problems = [
        *_torch_npu_pins_torch(s, data),
        *_ascend_rows(s, data),
        *_ascend_driver(s, data),
        *_cuda_torch(s, data),
        *_cuda_driver(s, data),
        *_requirements(s, data),
    ]
    compatible = not any(p.severity == "error" for p in problems)
    nearest: dict[str, str] = {}
    if not compatible:
        if "torch_npu" in s or "cann" in s:
            nearest = nearest_ascend(s, data)
        elif "cuda" in s or "nvidia_driver" in s:
            nearest = nearest_cuda(s, data)
    return StackCheck(s, tuple(problems), nearest, data.data_date.isoformat())


# ------------------------------------------------------------------------------------------------ Ascend


def _torch_npu_pins_torch(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    if "torch_npu" not in s or "torch" not in s:
        return []
    want, have = release(s["torch_npu"]), release(s["torch"])
    if want is None or have is None or want == have:
        return []
    rule = data.torch_npu_pins_torch
    others = sorted({r.torch_npu for r in data.ascend if r.torch == have}, key=_vkey)
    alt = f", or a torch_npu built for torch {have} ({', '.join(others)})" if others else ""
    return [
        CompatProblem(
            "error",
            ("torch", "torch_npu"),
            f"torch_npu {s['torch_npu']} is built for torch {want}, not torch {s['torch']}",
            f"install torch=={want}{alt}",
            rule.kind,
            source_text(data, rule),
        )
    ]


def _rows_for(s: Mapping[str, str], data: CompatFile) -> list[AscendRow]:
    return [r for r in data.ascend if same_version(r.torch_npu, s["torch_npu"])]


def _ascend_rows(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    if "torch_npu" not in s:
        return []
    rows = _rows_for(s, data)
    if not rows:
        known = sorted({r.torch_npu for r in data.ascend}, key=_vkey)
        return [
            CompatProblem(
                "info",
                ("torch_npu",),
                f"torch_npu {s['torch_npu']} is not in the compatibility data (its CANN pairing is unknown here)",
                f"check its release notes, or use a listed release ({known[-1]} is the newest listed)",
                "unknown",
                source_text(data, data.torch_npu_pins_torch),
            )
        ]
    out: list[CompatProblem] = []
    best = min(rows, key=lambda r: _RANK[r.kind])
    if "cann" in s and not any(prefix_match(s["cann"], r.cann) for r in rows):
        canns = sorted({r.cann for r in rows}, key=cann_key)
        same_cann = sorted(
            {r.torch_npu for r in data.ascend if prefix_match(s["cann"], r.cann) and r.torch == best.torch},
            key=_vkey,
        )
        alt = f", or torch_npu {' / '.join(same_cann)} (paired with CANN {s['cann']})" if same_cann else ""
        out.append(
            CompatProblem(
                _severity(best.kind),
                ("cann", "torch_npu"),
                f"torch_npu {s['torch_npu']} is paired with CANN {', '.join(canns)}, not CANN {s['cann']}",
                f"install CANN {canns[-1]}{alt}",
                best.kind,
                source_text(data, best),
            )
        )
    py = minor(s["python"]) if "python" in s else None
    if py is not None and not any(py in r.python for r in rows):
        pys = sorted({p for r in rows for p in r.python}, key=_vkey)
        out.append(
            CompatProblem(
                _severity(best.kind),
                ("python", "torch_npu"),
                f"torch_npu {s['torch_npu']} is published for Python {', '.join(pys)}, not Python {py}",
                f"use Python {pys[-1]}",
                best.kind,
                source_text(data, best),
            )
        )
    return out


def _ascend_driver(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    if "cann" not in s or "ascend_driver" not in s:
        return []
    rows = [r for r in data.ascend_drivers if prefix_match(s["cann"], r.cann)]
    if not rows or any(prefix_match(s["ascend_driver"], d) for r in rows for d in r.driver):
        return []
    row = rows[0]
    return [
        CompatProblem(
            _severity(row.kind),
            ("ascend_driver", "cann"),
            f"CANN {s['cann']} is released with Ascend HDK {' / '.join(row.driver)}.x, not driver {s['ascend_driver']}",
            f"install Ascend HDK driver and firmware {row.driver[0]}.x (or the CANN release of driver "
            f"{s['ascend_driver']})",
            row.kind,
            source_text(data, row),
        )
    ]


def nearest_ascend(s: Mapping[str, str], data: CompatFile | None = None) -> dict[str, str]:
    """The listed torch / torch_npu / CANN / Python / driver set closest to `s`.

    Closest means, in order: the same torch release, the same torch_npu, the same torch minor, the same CANN, a
    Python the row supports, official over observed, then the newest CANN and torch_npu.
    """
    data = data or load_matrix()
    torch_rel = release(s["torch"]) if "torch" in s else None
    if torch_rel is None and "torch_npu" in s:
        torch_rel = release(s["torch_npu"])
    torch_minor = minor(torch_rel) if torch_rel else None
    py = minor(s["python"]) if "python" in s else None

    def score(r: AscendRow) -> tuple[Any, ...]:
        return (
            torch_rel is not None and r.torch == torch_rel,
            "torch_npu" in s and same_version(r.torch_npu, s["torch_npu"]),
            torch_minor is not None and minor(r.torch) == torch_minor,
            "cann" in s and prefix_match(s["cann"], r.cann),
            py is None or py in r.python,
            r.kind == "official",
            cann_key(r.cann),
            _vkey(r.torch_npu),
        )

    row = max(data.ascend, key=score)
    return _ascend_set(row, py, data)


def _ascend_set(row: AscendRow, py: str | None, data: CompatFile) -> dict[str, str]:
    drivers = next((d for d in data.ascend_drivers if prefix_match(row.cann, d.cann)), None)
    return {
        "torch": row.torch,
        "torch_npu": row.torch_npu,
        "cann": row.cann,
        "python": py if py in row.python else row.python[-1],
        "ascend_driver": " or ".join(f"{d}.x" for d in drivers.driver) if drivers else "unknown",
        "kind": row.kind,
        "source": source_text(data, row),
    }


# ------------------------------------------------------------------------------------------------ CUDA


def _torch_row(s: Mapping[str, str], data: CompatFile) -> CudaTorchRow | None:
    m = minor(s["torch"]) if "torch" in s else None
    return next((r for r in data.cuda_torch if r.torch == m), None)


def _cuda_torch(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    row = _torch_row(s, data)
    if row is None:
        return []
    out: list[CompatProblem] = []
    cuda = minor(s["cuda"]) if "cuda" in s else None
    if cuda is not None and cuda not in row.cuda:
        out.append(
            CompatProblem(
                _severity(row.kind),
                ("cuda", "torch"),
                f"torch {row.torch} wheels are built for CUDA {', '.join(row.cuda)}, not CUDA {cuda}",
                f"install torch {row.torch} for CUDA {row.cuda[-1]} (index .../whl/cu{row.cuda[-1].replace('.', '')})",
                row.kind,
                source_text(data, row),
            )
        )
    py = minor(s["python"]) if "python" in s else None
    lo, hi = row.python
    if py is not None and not (_vkey(lo) <= _vkey(py) <= _vkey(hi)):
        out.append(
            CompatProblem(
                _severity(row.kind),
                ("python", "torch"),
                f"torch {row.torch} supports Python {lo} to {hi}, not Python {py}",
                f"use Python {hi if _vkey(py) > _vkey(hi) else lo}",
                row.kind,
                source_text(data, row),
            )
        )
    return out


def _min_driver(cuda: str, data: CompatFile) -> tuple[str, Kind, str] | None:
    major = cuda.split(".", 1)[0]
    row = next((r for r in data.cuda_drivers if r.cuda == major), None)
    return None if row is None else (row.min_driver, row.kind, source_text(data, row))


def _cuda_driver(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    if "cuda" not in s or "nvidia_driver" not in s:
        return []
    need = _min_driver(s["cuda"], data)
    have = version(s["nvidia_driver"])
    if need is None or have is None or have >= version(need[0]):  # type: ignore[operator]
        return []
    floor, kind, source = need
    row = _torch_row(s, data)
    ok = [c for c in (row.cuda if row else ()) if (n := _min_driver(c, data)) and have >= version(n[0])]  # type: ignore[operator]
    alt = f", or torch {row.torch} built for CUDA {ok[-1]}" if row and ok else ""
    return [
        CompatProblem(
            _severity(kind),
            ("nvidia_driver", "cuda"),
            f"CUDA {s['cuda']} needs NVIDIA driver >= {floor}; this driver is {s['nvidia_driver']}",
            f"upgrade the driver to >= {floor}{alt}",
            kind,
            source,
        )
    ]


def nearest_cuda(s: Mapping[str, str], data: CompatFile | None = None) -> dict[str, str]:
    """The torch / CUDA / driver set closest to `s`: keep torch, pick the newest CUDA its wheels support that the
    installed driver can run (or the newest with the driver it needs)."""
    data = data or load_matrix()
    row = _torch_row(s, data) or data.cuda_torch[0]
    have = version(s["nvidia_driver"]) if "nvidia_driver" in s else None
    runnable = [c for c in row.cuda if have is None or ((n := _min_driver(c, data)) and have >= version(n[0]))]  # type: ignore[operator]
    cuda = (runnable or list(row.cuda))[-1]
    need = _min_driver(cuda, data)
    return {
        "torch": row.torch,
        "cuda": cuda,
        "cudnn": row.cudnn.get(cuda, "bundled"),
        "nvidia_driver": f">= {need[0]}" if need else "unknown",
        "python": f"{row.python[0]} to {row.python[1]}",
        "kind": row.kind,
        "source": source_text(data, row),
    }


# ------------------------------------------------------------------------------------------------ add-ons


def _requirements(s: Mapping[str, str], data: CompatFile) -> list[CompatProblem]:
    out: list[CompatProblem] = []
    for req in data.requirements:
        if req.package not in s or not satisfies(req.package, s[req.package], req.versions):
            continue
        if req.kind == "unknown" and not req.requires:
            out.append(
                CompatProblem(
                    "info",
                    (req.package,),
                    f"{req.package} {s[req.package]}: compatibility not established by the data",
                    req.note or "check the package's release notes",
                    req.kind,
                    source_text(data, req),
                )
            )
        for comp, spec in req.requires.items():
            if comp not in s or satisfies(comp, s[comp], spec) is not False:
                continue
            out.append(
                CompatProblem(
                    _severity(req.kind),
                    (comp, req.package),
                    f"{req.package} {s[req.package]} needs {comp} {spec}, not {s[comp]}",
                    f"install {comp} {spec.lstrip('=') if spec.startswith('==') else spec}"
                    + (f" ({req.note})" if req.note else ""),
                    req.kind,
                    source_text(data, req),
                )
            )
    return out


def _severity(kind: Kind) -> Severity:
    sev: Severity = SEVERITY[kind]  # type: ignore[assignment]
    return sev


def _vkey(v: str) -> tuple[Any, ...]:
    parsed = version(v)
    return (0, v) if parsed is None else (1, parsed)
