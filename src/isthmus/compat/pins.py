"""Read a project's version pins (requirements files, pyproject.toml, Dockerfiles' FROM and `pip install` lines)
into a stack the compatibility check understands, remembering the line of each pin.

Only exact pins (`==`, `===`) count as versions; `torch>=2.1` is recorded as unpinned. Base images carry versions
too: `nvidia/cuda:12.1.0-...` (the CUDA toolkit that builds extensions: `cuda_toolkit`; the runtime torch runs on
ships with its wheel), `pytorch/pytorch:2.4.0-cuda12.1-...` (torch, CUDA), `ascendai/cann:8.0.rc2-
910b-ubuntu22.04-py3.10` and `quay.io/ascend/cann:...` (CANN, Python), `quay.io/ascend/vllm-ascend:v0.9.1`.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# distribution name (normalised) -> stack component
COMPONENTS: dict[str, str] = {
    "torch": "torch",
    "torch-npu": "torch_npu",
    "vllm": "vllm",
    "vllm-ascend": "vllm-ascend",
    "triton-ascend": "triton-ascend",
    "flash-attn": "flash-attn",
    "xformers": "xformers",
    "bitsandbytes": "bitsandbytes",
    "mindie": "mindie",
    "mindspeed": "mindspeed",
}
_REQ = re.compile(r"""^\s*['"]?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(===?|[<>!~]=?|@)?\s*([^;'"\s,]*)""")
_LOCAL_CUDA = re.compile(r"\+cu(\d{2,3})\b")
_PIP = re.compile(r"\bpip3?(?:\.\d+)?\s+install\b|\buv\s+pip\s+install\b|\bpython3?\s+-m\s+pip\s+install\b")
_IMAGES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    # the toolkit in the image builds extensions; the runtime torch uses comes with its wheel ("cuda")
    (re.compile(r"(?:^|/)cuda:(\d+\.\d+)(?:\.\d+)?"), ("cuda_toolkit",)),
    (re.compile(r"(?:^|/)pytorch/pytorch:(\d+\.\d+\.\d+)-cuda(\d+\.\d+)"), ("torch", "cuda")),
    (re.compile(r"(?:^|/)cann:(\d+\.\d+\.(?:\d+|rc\d+)(?:\.\d+)?)[^\s]*?-py(\d\.\d+)", re.I), ("cann", "python")),
    (re.compile(r"(?:^|/)cann:(\d+\.\d+\.(?:\d+|rc\d+)(?:\.\d+)?)", re.I), ("cann",)),
    (re.compile(r"(?:^|/)vllm-ascend:v?(\d+\.\d+\.\d+(?:rc\d+)?)"), ("vllm-ascend",)),
    (re.compile(r"(?:^|/)python:(\d\.\d+)"), ("python",)),
)


@dataclass(frozen=True)
class Pin:
    """One component found in a file: its exact version (None when unpinned), the line and the text."""

    component: str
    version: str | None
    line: int
    text: str


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pin(spec: str, line: int) -> list[Pin]:
    """Pins of one requirement string (`torch==2.4.1+cu121` gives torch 2.4.1 and CUDA 12.1)."""
    m = _REQ.match(spec)
    if not m:
        return []
    comp = COMPONENTS.get(normalise(m.group(1)))
    if comp is None:
        return []
    op, ver = m.group(2), m.group(3)
    exact = ver if op in ("==", "===") and ver and "*" not in ver else None
    pins = [Pin(comp, exact, line, spec.strip())]
    cu = _LOCAL_CUDA.search(ver or "")
    if comp == "torch" and cu:
        digits = cu.group(1)
        pins.append(Pin("cuda", f"{digits[:-1]}.{digits[-1]}", line, spec.strip()))
    return pins


def from_requirements(text: str) -> list[Pin]:
    out: list[Pin] = []
    for i, raw in enumerate(text.splitlines(), 1):
        req = raw.split(" #", 1)[0].strip()
        if req and not req.startswith(("#", "-")):
            out.extend(requirement_pin(req, i))
    return out


def from_pyproject(text: str) -> list[Pin]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    project = data.get("project", {})
    specs: list[str] = []
    if isinstance(project, dict):
        specs += [s for s in project.get("dependencies", []) if isinstance(s, str)]
        for group in (project.get("optional-dependencies") or {}).values():
            specs += [s for s in group if isinstance(s, str)]
    lines = text.splitlines()
    out: list[Pin] = []
    for spec in specs:
        line = next((i for i, t in enumerate(lines, 1) if spec in t), 1)
        out.extend(requirement_pin(spec, line))
    return out


def from_setup_py(text: str) -> list[Pin]:
    """Pins in `setup(install_requires=[...], extras_require={...})` string literals (read with `ast`, never run)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [p for node in ast.walk(tree) if isinstance(node, ast.Call) for p in setup_call_pins(node)]


def setup_call_pins(call: ast.Call) -> list[Pin]:
    """Pins of one call's `install_requires` / `extras_require` keywords (string literals only)."""
    out: list[Pin] = []
    for kw in call.keywords:
        if kw.arg not in ("install_requires", "extras_require"):
            continue
        values = kw.value.values if isinstance(kw.value, ast.Dict) else [kw.value]
        for v in values:
            for item in v.elts if isinstance(v, (ast.List, ast.Tuple)) else []:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    out.extend(requirement_pin(item.value, item.lineno))
    return out


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined; comments dropped."""
    start, parts = 0, list[str]()
    for i, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = i
        stripped = raw.strip()
        if stripped.startswith("#") and not parts:
            continue
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def from_shell(text: str) -> list[Pin]:
    """Pins in Dockerfiles and shell scripts: base images in FROM lines and packages in `pip install` lines."""
    out: list[Pin] = []
    for line, logical in _logical_lines(text):
        if re.match(r"(?i)^FROM\s", logical):
            image = logical.split()[1] if len(logical.split()) > 1 else ""
            out.extend(_image_pins(image, line))
        for segment in re.split(r"&&|;|\|\|", logical):
            m = _PIP.search(segment)
            if m:
                for token in segment[m.end() :].split():
                    token = token.strip("'\"")
                    if token and not token.startswith("-"):
                        out.extend(requirement_pin(token, line))
    return out


def _image_pins(image: str, line: int) -> list[Pin]:
    for pattern, comps in _IMAGES:
        m = pattern.search(image)
        if m:
            return [Pin(c, _tidy(c, v), line, f"FROM {image}") for c, v in zip(comps, m.groups(), strict=True)]
    return []


def _tidy(component: str, value: str) -> str:
    return value.upper() if component == "cann" else value


def pins_of(path: str, text: str) -> list[Pin]:
    """Pins of one file, chosen by its name (requirements*.txt, pyproject.toml, Dockerfile*, *.sh)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name == "pyproject.toml":
        return from_pyproject(text)
    if name.endswith(".txt"):
        return from_requirements(text)
    if name == "setup.py":
        return from_setup_py(text)
    return from_shell(text)


def stack_of(pins: list[Pin]) -> dict[str, str]:
    """Component -> version of the exact pins (the first pin of a component wins)."""
    out: dict[str, str] = {}
    for p in pins:
        if p.version is not None:
            out.setdefault(p.component, p.version)
    return out
