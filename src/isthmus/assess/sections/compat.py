"""Assess section "compat": the exact software stack the project needs on its targets.

Reads the project's pins (requirements*.txt, pyproject.toml, setup.py, Dockerfiles, shell scripts: `isthmus.compat.
pins`), checks them as one stack against the compatibility data, and states the set to install: "to run this project
on Ascend you need exactly: torch ..., torch_npu ..., CANN ..., Python ..., Ascend HDK ...", keeping the project's torch
release when the data lists it. Status: fail when pins conflict (an official row), warn when the Ascend stack is not
pinned or the pins are not a listed set, pass when they are.
"""

from __future__ import annotations

from pathlib import Path

from isthmus.assess.model import AssessContext, SectionResult, SectionStatus
from isthmus.blocks import Block, Span, heading, para, table
from isthmus.compat import Pin, check_stack, load_matrix, nearest_ascend, nearest_cuda, pins_of, stack_of
from isthmus.targets import side_of

_MAX_BYTES = 1 << 20  # pins live in small files; larger ones are not read


def _pin_file(name: str) -> bool:
    lower = name.lower()
    return (
        (lower.endswith(".txt") and "requirements" in lower)
        or lower in ("pyproject.toml", "setup.py", "dockerfile")
        or lower.startswith("dockerfile.")
        or lower.endswith((".dockerfile", ".sh"))
    )


def project_pins(files: list[Path], root: Path) -> list[tuple[str, Pin]]:
    """(relative path, pin) for every pin in the project's dependency files."""
    out: list[tuple[str, Pin]] = []
    for f in files:
        if not _pin_file(f.name):
            continue
        try:
            if f.stat().st_size > _MAX_BYTES:
                continue
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        rel = f.relative_to(root).as_posix()
        out.extend((rel, p) for p in pins_of(rel, text))
    return out


def _set_line(near: dict[str, str], keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k} {near[k]}" for k in keys if near.get(k))


def section(ctx: AssessContext) -> SectionResult:
    sides = {side_of(t) for t in ctx.targets}
    ascend, cuda = "ascend" in sides, "cuda" in sides
    if not (ascend or cuda):
        return SectionResult("compat", "Software stack", "skipped", "no accelerator targets")
    root = ctx.project.root
    found = project_pins(list(ctx.project.files()), root)
    pins = [p for _, p in found]
    stack = stack_of(pins)
    result = check_stack(stack)
    data = load_matrix()
    npu_stack = {k: v for k, v in stack.items() if k in ("torch", "torch_npu", "cann", "python")}
    need_npu = nearest_ascend(npu_stack) if ascend else {}
    need_cuda = nearest_cuda({k: v for k, v in stack.items() if k in ("torch", "cuda")}) if cuda else {}
    unpinned = sorted(
        {p.component for p in pins if p.version is None} | ({"cann"} if ascend and "cann" not in stack else set())
    )
    errors = [p for p in result.problems if p.severity == "error"]
    listed = ascend and all(stack.get(k) == need_npu.get(k) for k in ("torch", "torch_npu", "cann"))
    status: SectionStatus = "fail" if errors else ("pass" if (listed or not ascend) and not unpinned else "warn")
    lines = []
    if need_npu:
        lines.append(
            "to run this project on Ascend you need exactly: "
            + _set_line(need_npu, ("torch", "torch_npu", "cann", "python", "ascend_driver"))
        )
    if need_cuda:
        lines.append("on CUDA: " + _set_line(need_cuda, ("torch", "cuda", "cudnn", "nvidia_driver", "python")))
    summary = lines[0] if lines else "no stack"
    if errors:
        summary = f"{len(errors)} incompatible pin(s); " + summary
    blocks: list[Block] = [para(Span(line, "strong")) for line in lines]
    if need_npu:
        blocks.append(para(f"Ascend set: {need_npu['kind']}, source {need_npu['source']}."))
    blocks.append(heading("Pins found"))
    blocks.append(
        table(
            ["file", "line", "component", "version"],
            [[rel, p.line, p.component, p.version or "unpinned"] for rel, p in found],
        )
        if found
        else para("No version pins found (requirements*.txt, pyproject.toml, setup.py, Dockerfiles).")
    )
    if result.problems:
        blocks.append(heading("Conflicts"))
        blocks.append(table(["severity", "problem", "fix"], [[p.severity, p.message, p.fix] for p in result.problems]))
    if unpinned:
        blocks.append(para(f"Not pinned: {', '.join(unpinned)}."))
    blocks.append(para(f"Compatibility data as of {data.data_date}. {data.notice}"))
    payload = {
        "pins": [{"path": rel, **p.__dict__} for rel, p in found],
        "stack": stack,
        "check": result.to_json(),
        "ascend": need_npu,
        "cuda": need_cuda,
        "unpinned": unpinned,
        "data_date": data.data_date.isoformat(),
    }
    return SectionResult("compat", "Software stack", status, summary, payload, tuple(blocks))
