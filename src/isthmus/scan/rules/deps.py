"""IST8xx (dependencies): CUDA-only packages and CUDA wheel indexes in requirements files and pyproject.toml.

Dependency pins are reported as warnings: they describe an environment, and the fix is an environment decision
(a CUDA-only extra or requirements file next to an Ascend one). Code that imports a CUDA-only package without a
fallback is reported as an error at the import (IST5xx).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator

from isthmus.scan.context import PyContext
from isthmus.scan.model import Finding
from isthmus.scan.rules._packages import dist_reason
from isthmus.scan.rules.base import Case, FileRule, NodeRule, finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_CUDA_INDEX = re.compile(r"(?:/cu\d{2,3}\b|/whl/nightly/cu|cuda)", re.I)
_LOCAL_CUDA = re.compile(r"\+cu\d{2,3}\b")


class CudaOnlyRequirement(FileRule):
    """A dependency that has no Ascend build (flash-attn, xformers, apex, cupy-cuda*, nvidia-*, pynvml,
    triton's CUDA build...): `pip install` fails or installs something unusable on the target.

    Bad:  `flash-attn==2.6.3` in requirements.txt
    Good: move it to a CUDA-only extra (`pip install .[cuda]`) or `requirements-cuda.txt`, with an Ascend
          counterpart (torch-npu) in its own file
    """

    code = "IST801"
    name = "cuda-only-requirement"
    category = "deps"
    severity = "warning"
    message = "CUDA-only dependency: move it to a CUDA-only extra or requirements file"
    kinds = ("requirements", "pyproject", "setupcfg")
    VALID = (
        Case("numpy>=1.26\nsafetensors\n# flash-attn (disabled)\n", path="requirements.txt"),
        Case("[options]\ninstall_requires =\n    numpy\n[flake8]\nmax-line-length = 120\n", path="setup.cfg"),
        Case('[project]\ndependencies = ["numpy"]\n', path="pyproject.toml"),
    )
    INVALID = (
        Case("numpy\nflash-attn==2.6.3\n", path="requirements.txt"),
        Case("nvidia-ml-py==12.560.30\ncupy-cuda12x\n", path="requirements-dev.txt"),
        Case('[project]\ndependencies = ["xformers>=0.0.28"]\n', path="pyproject.toml"),
        Case("[options]\ninstall_requires =\n    numpy\n    triton>=2.1\n", path="setup.cfg"),
        Case("[options.extras_require]\ngpu = causal-conv1d>=1.2\n", path="setup.cfg"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        for line, name in _requirements(path, text):
            why = dist_reason(name)
            if why:
                yield finding(self, path, line, f"{name}: {why}; move it to a CUDA-only extra/requirements file")


class SetupPyRequirement(NodeRule):
    """A CUDA-only dependency in `setup()`'s `install_requires`/`extras_require` (setup.py): the same problem as
    IST801, written in Python. Lists held in module-level variables are followed.

    Bad:  `setup(..., install_requires=["torch", "causal-conv1d>=1.2"])`
    Good: `extras_require={"cuda": ["causal-conv1d>=1.2"]}` next to an Ascend extra... and no CUDA package
          in `install_requires`
    """

    code = "IST808"
    name = "setup-py-requirement"
    category = "deps"
    severity = "warning"
    message = "CUDA-only dependency: move it to a CUDA-only extra"
    tokens = (b"install_requires", b"extras_require")
    node_types = (ast.Call,)
    VALID = ("from setuptools import setup\nsetup(name='p', install_requires=['numpy', 'einops'])",)
    INVALID = (
        "from setuptools import setup\nsetup(name='p', install_requires=['torch', 'causal-conv1d>=1.2.0'])",
        "import setuptools\nreqs = ['triton', 'numpy']\nsetuptools.setup(install_requires=reqs)",
        "from setuptools import setup\nsetup(extras_require={'gpu': ['flash-attn'], 'dev': ['pytest']})",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        assert isinstance(node, ast.Call)
        for k in node.keywords:
            if k.arg in ("install_requires", "extras_require", "setup_requires"):
                for item in _strings(_resolve(k.value, ctx)):
                    m = _REQ.match(str(item.value).strip())
                    why = dist_reason(m.group(1)) if m else None
                    if m and why:
                        ctx.report(self, item, f"{m.group(1)}: {why}; {self.message}")


def _resolve(value: ast.expr, ctx: PyContext) -> ast.expr:
    """A name bound once at module level to a literal stands for that literal."""
    if isinstance(value, ast.Name):
        for st in ctx.tree.body:
            if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in st.targets):
                return st.value
    return value


def _strings(value: ast.expr) -> list[ast.Constant]:
    """String constants in a list/tuple literal, or in the list values of a dict literal."""
    if isinstance(value, ast.Dict):
        return [s for v in value.values if v is not None for s in _strings(v)]
    if isinstance(value, (ast.List, ast.Tuple)):
        return [e for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


class CudaWheelIndex(FileRule):
    """CUDA wheel indexes and `+cuXXX` local versions pin the CUDA build of torch; torch_npu needs the CPU build.

    Bad:  `--extra-index-url https://download.pytorch.org/whl/cu121` and `torch==2.4.1+cu121`
    Good: an unpinned-build `torch==2.4.1` plus the matching `torch-npu` in the Ascend requirements
    """

    code = "IST802"
    name = "cuda-wheel-index"
    category = "deps"
    severity = "warning"
    message = "pins CUDA builds: keep CUDA indexes/+cuXXX versions in a CUDA-only requirements file"
    kinds = ("requirements", "pyproject")
    VALID = (Case("torch==2.4.1\n", path="requirements.txt"),)
    INVALID = (
        Case("--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.4.1+cu121\n", path="requirements.txt"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        if path.endswith(".toml"):
            for line, spec in _pyproject_specs(text):
                if _LOCAL_CUDA.search(spec):
                    yield finding(self, path, line, f"{spec}: CUDA build pinned ({self.message})")
            return
        for i, raw in enumerate(text.splitlines(), 1):
            req = raw.split(" #", 1)[0].strip()
            if req.startswith(("-i", "--index-url", "--extra-index-url", "-f", "--find-links")) and (
                _CUDA_INDEX.search(req)
            ):
                yield finding(self, path, i, f"CUDA wheel index `{req}`: {self.message}")
            elif _LOCAL_CUDA.search(req) and not req.startswith("#"):
                yield finding(self, path, i, f"`{req}` pins a CUDA build: {self.message}")


def _requirements(path: str, text: str) -> Iterator[tuple[int, str]]:
    if path.endswith("setup.cfg"):
        yield from _setup_cfg(text)
        return
    if path.endswith(".toml"):
        for line, spec in _pyproject_specs(text):
            m = _REQ.match(spec)
            if m:
                yield line, m.group(1)
        return
    for i, raw in enumerate(text.splitlines(), 1):
        req = raw.split("#", 1)[0].strip()
        if not req or req.startswith("-"):
            continue
        m = _REQ.match(req)
        if m and "://" not in req:
            yield i, m.group(1)


def _pyproject_specs(text: str) -> Iterator[tuple[int, str]]:
    """(line, requirement string) for [project] dependencies, optional-dependencies and poetry dependencies."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    specs: list[str] = []
    project = data.get("project", {})
    if isinstance(project, dict):
        specs += [s for s in project.get("dependencies", []) if isinstance(s, str)]
        for group in (project.get("optional-dependencies") or {}).values():
            specs += [s for s in group if isinstance(s, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        specs += [str(k) for k in (poetry.get("dependencies") or {})]
    lines = text.splitlines()
    for spec in specs:
        line = next((i for i, t in enumerate(lines, 1) if spec in t), 1)
        yield line, spec


_SETUP_KEYS = ("install_requires", "setup_requires", "tests_require")


def _setup_cfg(text: str) -> Iterator[tuple[int, str]]:
    """(line, distribution) for `[options] install_requires` and every `[options.extras_require]` entry.

    Read line by line (not with configparser) to keep line numbers: a key's value is its own line's rest plus
    the indented lines that follow it."""
    section, collecting = "", False
    for i, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section, collecting = stripped[1:-1].strip(), False
            continue
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[:1] in (" ", "\t") and collecting:
            value = stripped
        else:
            key, sep, value = raw.partition("=")
            key = key.strip()
            collecting = bool(sep) and (
                (section == "options" and key in _SETUP_KEYS) or section == "options.extras_require"
            )
            if not collecting:
                continue
        m = _REQ.match(value.split(";", 1)[0].split("#", 1)[0].strip())
        if m and "://" not in value:
            yield i, m.group(1)
