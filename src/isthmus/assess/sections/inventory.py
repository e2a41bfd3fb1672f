"""Assess section: what the project contains (files, lines, frameworks it imports, entry points)."""

from __future__ import annotations

import ast
import re
from collections import Counter

from isthmus.assess.model import AssessContext, SectionResult
from isthmus.blocks import BarChart, bullets, code, heading, table
from isthmus.project import Project

# top-level import name -> framework label
FRAMEWORKS = {
    "torch": "PyTorch",
    "torch_npu": "torch_npu (Ascend)",
    "transformers": "Hugging Face Transformers",
    "accelerate": "HF Accelerate",
    "deepspeed": "DeepSpeed",
    "megatron": "Megatron",
    "apex": "NVIDIA Apex",
    "flash_attn": "flash-attn",
    "xformers": "xFormers",
    "bitsandbytes": "bitsandbytes",
    "triton": "Triton",
    "vllm": "vLLM",
    "jax": "JAX",
    "tensorflow": "TensorFlow",
    "cupy": "CuPy",
    "pynvml": "pynvml",
    "lightning": "Lightning",
    "pytorch_lightning": "Lightning",
    "mindspore": "MindSpore",
    "numpy": "NumPy",
}
KINDS = {
    ".py": "Python",
    ".cu": "CUDA",
    ".cuh": "CUDA",
    ".cpp": "C++",
    ".cc": "C++",
    ".h": "C/C++ header",
    ".sh": "shell",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".toml": "TOML",
    ".txt": "text",
    ".md": "Markdown",
    ".json": "JSON",
}
MAIN_RE = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.MULTILINE)


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def inventory(project: Project) -> dict[str, object]:
    """Count files and lines by kind, frameworks imported, and entry points (scripts, launchers)."""
    kinds: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    frameworks: Counter[str] = Counter()
    entry_points: list[str] = []
    unreadable: list[str] = []
    for path in project.files():
        kind = KINDS.get(path.suffix.lower(), "other")
        kinds[kind] += 1
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            unreadable.append(project.rel(path))
            continue
        lines[kind] += text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        rel = project.rel(path)
        if path.suffix == ".py":
            if MAIN_RE.search(text):
                entry_points.append(rel)
            try:
                frameworks.update(FRAMEWORKS[n] for n in _imports(ast.parse(text)) if n in FRAMEWORKS)
            except (SyntaxError, ValueError):
                unreadable.append(rel)
        elif path.suffix == ".sh" or text.startswith("#!"):
            entry_points.append(rel)
    return {
        "files": dict(kinds),
        "lines": dict(lines),
        "frameworks": dict(frameworks.most_common()),
        "entry_points": sorted(set(entry_points)),
        "unparsed": unreadable,
        "config": _config_json(project),
    }


def _config_json(project: Project) -> dict[str, object]:
    c = project.config
    return {
        "model": c.model,
        "train_script": c.train_script,
        "train_args": list(c.train_args),
        "fleet": str(c.fleet) if c.fleet else None,
        "targets": list(c.targets),
    }


def section(ctx: AssessContext) -> SectionResult:
    data = inventory(ctx.project)
    files: dict[str, int] = data["files"]  # type: ignore[assignment]
    lines: dict[str, int] = data["lines"]  # type: ignore[assignment]
    fw: dict[str, int] = data["frameworks"]  # type: ignore[assignment]
    eps: list[str] = data["entry_points"]  # type: ignore[assignment]
    summary = (
        f"{sum(files.values())} files, {sum(lines.values())} lines; "
        f"frameworks: {', '.join(fw) or 'none'}; {len(eps)} entry point(s)"
    )
    blocks = (
        table(["kind", "files", "lines"], [(k, n, lines.get(k, 0)) for k, n in sorted(files.items())], (1, 2)),
        heading("Frameworks imported (files)"),
        BarChart(tuple((k, float(v)) for k, v in sorted(fw.items(), key=lambda kv: -kv[1]))),
        heading("Entry points"),
        bullets(code(e) for e in eps),
    )
    return SectionResult("inventory", "Project inventory", "pass", summary, data, blocks)


__all__ = ["inventory", "section"]
