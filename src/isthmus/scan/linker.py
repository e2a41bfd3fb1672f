"""Cross-file rules: modules a repository builds from CUDA sources, or writes as Triton kernels, imported by name.

Per file, the scan records every import statement (`ImportRef`, found with one regular expression, so files the
pre-filter skips are covered too) and the names of the extension modules the file builds (`CUDAExtension(name=)`,
`cpp_extension.load(name=)`). Once every file is scanned, `link` turns them into findings:

- IST517: an import of a module built from CUDA sources: a name the repository builds, or a top-level module
  named like one (`selective_scan_cuda`) that no Python file in the tree provides;
- IST519: an import of an in-repo module that defines Triton kernels (`@triton.jit`, `@triton.autotune`);
- package-import findings (IST501...) whose module resolves to Python source in the tree are dropped: such an
  import is judged by what that source does, not by its package's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from isthmus.scan.model import FileResult, Finding, ImportRef, Severity

_IMPORT = re.compile(rb"[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))")
EXT_NAME = re.compile(r"^\w+_cuda(?:_\w+)?$")  # a compiled CUDA extension by its name: selective_scan_cuda
EXT_CODE = "IST517"
TRITON_CODE = "IST519"


def import_refs(data: bytes, skip_lines: Iterable[int] = ()) -> tuple[ImportRef, ...]:
    """Every `import x` / `from x import y` statement in a file's bytes (lines in `skip_lines` are left out).

    Only the lines holding the word `import` are matched (a C-speed `bytes.find` finds them), so the cost is
    that of the imports, not of the file."""
    skip = set(skip_lines)
    out: list[ImportRef] = []
    line, last, matched = 1, 0, -1
    pos = data.find(b"import")
    while pos >= 0:
        start = data.rfind(b"\n", 0, pos) + 1
        m = _IMPORT.match(data, start) if start != matched else None  # one statement per line start
        pos = data.find(b"import", max(pos + 6, m.end() if m else 0))
        if m is None:
            continue
        matched = start
        line += data.count(b"\n", last, start)
        last = start
        if line not in skip:
            _add_refs(m, line, out)
    return tuple(out)


def _add_refs(m: re.Match[bytes], line: int, out: list[ImportRef]) -> None:
    text = m.group(0)
    col = len(text) - len(text.lstrip())
    if m.group(1) is not None:
        raw = m.group(2).decode("utf-8", "replace").replace("\\\n", " ").strip("()\\ \t\r\n")
        names = tuple(n for n in (_bare(p) for p in raw.split(",")) if n and n != "*")
        out.append(ImportRef(m.group(1).decode("utf-8", "replace"), names, line, col))
    else:
        for part in m.group(3).decode("utf-8", "replace").split(","):
            mod = _bare(part)
            if mod:
                out.append(ImportRef(mod, (), line, col))


def _bare(part: str) -> str:
    """`a.b as c` -> `a.b`; anything that is not a dotted name -> ""."""
    name = part.strip().split(" as ")[0].strip().rstrip("\\").strip()
    return name if re.fullmatch(r"[A-Za-z_][\w.]*", name) else ""


def module_name(rel: str) -> str | None:
    """`pkg/ops/k.py` -> `pkg.ops.k`; `pkg/__init__.py` -> `pkg` (None for files that are not Python)."""
    p = PurePosixPath(rel)
    if p.suffix not in (".py", ".pyi"):
        return None
    parts = [x for x in p.with_suffix("").parts if x not in (".", "")]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None


def absolute(ref: ImportRef, rel: str) -> str:
    """The absolute module an import names (relative imports resolved against the importing file's package)."""
    level = len(ref.module) - len(ref.module.lstrip("."))
    if not level:
        return ref.module
    own = module_name(rel) or ""
    package = own.split(".") if rel.endswith(("__init__.py", "__init__.pyi")) else own.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    rest = ref.module[level:]
    return ".".join([*base, rest] if rest else base)


class _Modules:
    """The Python modules of the scanned tree, by every name they can be imported as: the dotted path from any
    directory that is not itself a package (no `__init__.py`), so `src/pkg/mod.py` is `pkg.mod` and a script's
    sibling `inference/kernel.py` is `kernel`, but `pkg/quantizers/bitsandbytes/` is not `bitsandbytes`."""

    def __init__(self, results: Iterable[FileResult]) -> None:
        self.by_suffix: dict[str, str] = {}  # importable name -> a file's rel path
        rels = [r.path for r in results if r.path.endswith(".py")]  # stubs (.pyi) provide no code
        packages = {str(PurePosixPath(p).parent) for p in rels if PurePosixPath(p).stem == "__init__"}
        for rel in rels:
            parts = (module_name(rel) or "").split(".")
            dirs = list(PurePosixPath(rel).parent.parts)
            for k in range(len(parts)):
                if k == 0 or "/".join(dirs[:k]) not in packages:
                    self.by_suffix.setdefault(".".join(parts[k:]), rel)

    def resolve(self, module: str) -> str | None:
        return self.by_suffix.get(module)


def _candidates(ref: ImportRef, rel: str) -> list[str]:
    mod = absolute(ref, rel)
    return [mod, *(f"{mod}.{n}" if mod else n for n in ref.names)]


def link(results: list[FileResult], codes: Iterable[str], import_codes: frozenset[str]) -> list[FileResult]:
    """Add the cross-file findings to `results` (only for the rule codes in `codes`)."""
    wanted = set(codes)
    if not any(r.imports for r in results):
        return results
    modules = _Modules(results)
    built: dict[str, str] = {}
    for r in results:
        for name in r.built:
            built.setdefault(name, r.path)
    triton = {r.path for r in results if r.triton_kernels}
    out = []
    for r in results:
        if not r.imports or (r.path in triton and not any(f.code in import_codes for f in r.findings)):
            out.append(r)
            continue
        extra: list[Finding] = []
        in_repo_lines: set[int] = set()
        for ref in r.imports:
            cands = _candidates(ref, r.path)
            if any(modules.resolve(c) for c in cands):
                in_repo_lines.add(ref.line)
            if EXT_CODE in wanted:
                why = _extension(ref, cands, built, modules)
                if why:
                    extra.append(_finding(r.path, ref, EXT_CODE, "warning", "kernels", why))
            if TRITON_CODE in wanted and r.path not in triton:
                hit = next((p for c in cands if (p := modules.resolve(c)) in triton and p != r.path), None)
                if hit is not None:
                    msg = (
                        f"imports the in-repo Triton kernel module {hit}: needs triton-ascend with NPU-tuned "
                        "configs on the target; keep a PyTorch fallback"
                    )
                    extra.append(_finding(r.path, ref, TRITON_CODE, "warning", "kernels", msg))
        kept = [f for f in r.findings if not (f.code in import_codes and f.line in in_repo_lines)]
        if extra or len(kept) != len(r.findings):
            seen = {(f.line, f.code) for f in kept}
            new = [f for f in extra if (f.line, f.code) not in seen and not seen.add((f.line, f.code))]  # type: ignore[func-returns-value]
            r = replace(r, findings=tuple(sorted(kept + new, key=lambda f: (f.line, f.column))))
        out.append(r)
    return out


def _extension(ref: ImportRef, cands: list[str], built: dict[str, str], modules: _Modules) -> str | None:
    for c in cands:
        parts = c.split(".")
        for k in range(len(parts), 0, -1):
            if ".".join(parts[:k]) in built:
                where = built[".".join(parts[:k])]
                return f"imports {c}, a CUDA extension built in {where}: needs an Ascend C port or a PyTorch fallback"
        if EXT_NAME.match(parts[0]) and not modules.resolve(parts[0]):
            return (
                f"imports {c}, a compiled CUDA extension (no Python source for it in the tree): needs an Ascend C "
                "port or a PyTorch fallback"
            )
    return None


def _finding(path: str, ref: ImportRef, code: str, severity: Severity, category: str, message: str) -> Finding:
    return Finding(path, ref.line, ref.column + 1, ref.line, ref.column + 1, code, severity, category, message)
