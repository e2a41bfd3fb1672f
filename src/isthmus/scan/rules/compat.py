"""IST81x (dependencies): version pins that cannot work together, checked against the compatibility data.

Reads requirements files, pyproject.toml, Dockerfiles and shell scripts (base images in FROM lines, packages in
`pip install` lines) and checks the pins of each file as one stack: torch / torch_npu / CANN / Python / vllm-ascend
on the Ascend side, torch / CUDA / Python / flash-attn on the CUDA side (`isthmus.compat`). A conflict with an
official table is an error, with an observed (third-party) one a warning; each message names the fix and its source.
setup.py is Python to the scanner, so its `install_requires` / `extras_require` literals are checked by a node rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from isthmus.compat.pins import Pin, pins_of, setup_call_pins, stack_of
from isthmus.scan.context import PyContext
from isthmus.scan.model import Finding, Severity
from isthmus.scan.rules.base import Case, FileRule, NodeRule, finding

_KINDS = ("requirements", "pyproject", "launch")


def _line(pins: list[Pin], components: tuple[str, ...]) -> int:
    """The line of the pin the fix changes (the first component that is pinned in the file)."""
    for comp in components:
        for p in pins:
            if p.component == comp and p.version is not None:
                return p.line
    return 1


def _problems(pins: list[Pin]) -> Iterator[tuple[int, Severity, str]]:
    """(line, severity, message) for each error or warning of the pins taken as one stack."""
    stack = stack_of(pins)
    if len(stack) < 2:
        return
    from isthmus.compat.check import check_stack  # the data loads only for files that pin something

    for p in check_stack(stack).problems:
        if p.severity != "info":
            yield _line(pins, p.components), p.severity, f"{p.message}: {p.fix} [{p.kind}: {p.source}]"


class IncompatiblePins(FileRule):
    """Pinned versions that do not work together: torch_npu built for another torch, a torch_npu release paired
    with another CANN, a torch wheel built for another CUDA, a CUDA runtime newer than the driver floor, an add-on
    (vllm-ascend, flash-attn) outside its supported set. The job fails at import or at the first kernel launch.

    Bad:  `torch==2.4.0` with `torch-npu==2.1.0.post12` (built for torch 2.1.0, paired with CANN 8.1.RC1)
    Good: `torch==2.1.0` with `torch-npu==2.1.0.post12` on a CANN 8.1.RC1 image (see `docs/compat.md`)
    """

    code = "IST810"
    name = "incompatible-pins"
    category = "deps"
    severity = "error"
    message = "pinned versions do not work together"
    kinds = _KINDS
    VALID = (
        Case("torch==2.1.0\ntorch-npu==2.1.0.post12\n", path="requirements.txt"),
        Case(
            "FROM ascendai/cann:8.1.rc1-910b-ubuntu22.04-py3.10\nRUN pip install torch==2.5.1 torch-npu==2.5.1\n",
            path="Dockerfile",
        ),
        Case("torch==2.4.1+cu121\n", path="requirements-cuda.txt"),
    )
    INVALID = (
        Case("torch==2.4.0\ntorch-npu==2.1.0.post12\n", path="requirements.txt"),
        Case(
            "FROM ascendai/cann:8.3.rc1-910b-ubuntu22.04-py3.10\n"
            "RUN pip install torch==2.1.0 torch-npu==2.1.0.post12\n",
            path="Dockerfile",
        ),
        Case("torch==2.1.0+cu117\n", path="requirements-cuda.txt"),
        Case('[project]\ndependencies = ["torch==2.1.2", "flash-attn==2.6.3"]\n', path="pyproject.toml"),
        Case(
            "FROM nvidia/cuda:11.6.2-devel-ubuntu20.04\nRUN pip install torch==2.1.2 flash-attn==2.5.8\n",
            path="Dockerfile",
        ),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        for line, severity, msg in _problems(pins_of(path, text)):
            yield finding(self, path, line, msg, severity=severity)


class IncompatibleSetupPins(NodeRule):
    """setup.py pins (`install_requires`, `extras_require`) that do not work together, checked as IST810 checks
    requirements files: torch_npu built for another torch, a torch wheel built for another CUDA, an add-on outside
    its supported set.

    Bad:  `setup(install_requires=["torch==2.4.0", "torch-npu==2.1.0.post12"])`
    Good: `setup(install_requires=["torch==2.1.0", "torch-npu==2.1.0.post12"])`
    """

    code = "IST812"
    name = "incompatible-setup-pins"
    category = "deps"
    severity = "error"
    message = "pinned versions do not work together"
    tokens = (b"install_requires",)
    node_types = (ast.Call,)
    VALID = (
        Case(
            'from setuptools import setup\nsetup(install_requires=["torch==2.1.0", "torch-npu==2.1.0.post12"])\n',
            path="setup.py",
        ),
        Case('install_requires = ["torch==2.4.0", "torch-npu==2.1.0.post12"]\nf(install_requires=install_requires)\n'),
    )
    INVALID = (
        Case(
            "from setuptools import setup\n"
            'setup(\n    name="x",\n    install_requires=["torch==2.4.0", "torch-npu==2.1.0.post12"],\n)\n',
            path="setup.py",
        ),
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        if not ctx.path.replace("\\", "/").endswith("setup.py") or not isinstance(node, ast.Call):
            return
        pins = setup_call_pins(node)
        for line, severity, msg in _problems(pins):
            target = next((c for c in ast.walk(node) if getattr(c, "lineno", None) == line), node)
            ctx.report(self, target, msg, None, severity)


class UnpinnedAscendStack(FileRule):
    """torch_npu installed without an exact version, or a Dockerfile that installs torch_npu on a base image
    without a CANN version: the next build silently picks a torch_npu / CANN pair that may not load.

    Bad:  `torch-npu>=2.1` in requirements.txt; `FROM ubuntu:22.04` then `pip install torch-npu==2.1.0.post12`
    Good: `torch-npu==2.1.0.post12`, installed on a versioned CANN image (`ascendai/cann:8.1.rc1-910b-...`)
    """

    code = "IST811"
    name = "unpinned-ascend-stack"
    category = "deps"
    severity = "warning"
    message = "pin torch_npu exactly and build on a versioned CANN image"
    kinds = _KINDS
    VALID = (
        Case("torch==2.1.0\ntorch-npu==2.1.0.post12\n", path="requirements.txt"),
        Case(
            "FROM ascendai/cann:8.1.rc1-910b-ubuntu22.04-py3.10\nRUN pip install torch-npu==2.5.1\n", path="Dockerfile"
        ),
    )
    INVALID = (
        Case("torch==2.1.0\ntorch-npu>=2.1\n", path="requirements.txt"),
        Case("FROM ubuntu:22.04\nRUN pip install torch==2.1.0 torch-npu==2.1.0.post12\n", path="Dockerfile"),
    )

    def check_file(self, path: str, text: str) -> Iterator[Finding]:
        pins = pins_of(path, text)
        npu = [p for p in pins if p.component == "torch_npu"]
        for p in npu:
            if p.version is None:
                yield finding(self, path, p.line, f"`{p.text}`: torch_npu is not pinned exactly; {self.message}")
        has_from = any(line.lstrip().upper().startswith("FROM ") for line in text.splitlines())
        if npu and has_from and not any(p.component == "cann" and p.version for p in pins):
            yield finding(
                self,
                path,
                npu[0].line,
                "torch_npu is installed on a base image without a CANN version: build FROM a versioned CANN "
                "image (ascendai/cann:<version>-<chip>-<os>-py<python>)",
            )
