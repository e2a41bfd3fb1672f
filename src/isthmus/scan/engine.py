"""The scan engine: find files, read them safely, run the selected rules, return frozen results.

Python files go through a cheap pre-filter (skip files without any rule's tokens), one `ast.parse`, and a walk
that descends only into statements whose lines hold a token or an import, so cost tracks the relevant code, not
the file size. Files are spread over a process pool. Anything that goes wrong with one file (unreadable, binary,
not UTF-8, a syntax error, too large, a symlink loop) becomes that file's `error` and the scan goes on.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from isthmus.project import SKIP_DIRS
from isthmus.scan.context import PyContext, add_import, mark_guarded, suppressions
from isthmus.scan.linker import EXT_CODE, TRITON_CODE, import_refs, link
from isthmus.scan.model import FileResult, Finding, ScanResult, Target
from isthmus.scan.rules import FileRule, NameRule, NodeRule, Rule, all_rules

MAX_BYTES = 8 * 1024 * 1024  # larger files are reported, not parsed (generated code, data dumps)
_SHELL = (".sh", ".bash", ".zsh", ".slurm", ".sbatch", ".yaml", ".yml", ".env")
_CPP = (".cpp", ".cc", ".cxx", ".h", ".hpp")
_CU_REF = re.compile(rb"([\w.-]+\.cuh?)[\"']")
LINKED_CODES = frozenset({EXT_CODE, TRITON_CODE})
_TRITON_KERNEL = re.compile(rb"^[ \t]*@triton\.(?:jit|autotune|heuristics)\b", re.M)  # a kernel definition


@dataclass(frozen=True)
class ScanOptions:
    """What to scan for. Codes in select/ignore are prefixes: "IST1" selects IST101-IST199, "ALL" everything."""

    target: Target = "npu"
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob relative to `root`, codes)
    exclude: tuple[str, ...] = ()
    root: str = "."  # per-file-ignore and exclude globs are relative to this directory
    jobs: int = 0  # 0: one per CPU (a pool only for more than a few dozen files)
    max_bytes: int = MAX_BYTES
    prefilter: bool = True  # False: parse every file and walk every statement (tests compare the two)


def matches(code: str, patterns: Iterable[str]) -> bool:
    return any(p.upper() == "ALL" or code.startswith(p.upper()) for p in patterns)


def selected_rules(options: ScanOptions) -> tuple[type[Rule], ...]:
    return tuple(r for r in all_rules() if matches(r.code, options.select) and not matches(r.code, options.ignore))


def file_kind(name: str, parent: str = "") -> str | None:
    """Which rules read a file, by name: python, requirements, pyproject, setupcfg, launch, cuda (None: not
    scanned)."""
    lower = name.lower()
    if lower.endswith((".py", ".pyi")):
        return "python"
    if lower.endswith(".txt") and ("requirements" in lower or parent.lower() == "requirements"):
        return "requirements"  # requirements*.txt, or any .txt in a requirements/ directory
    if lower in ("constraints.txt",):
        return "requirements"
    if lower == "pyproject.toml":
        return "pyproject"
    if lower == "setup.cfg":
        return "setupcfg"
    if (
        lower.endswith(_SHELL)
        or lower == "dockerfile"
        or lower.startswith("dockerfile.")
        or lower.endswith(".dockerfile")
    ):
        return "launch"
    if lower.endswith((".cu", ".cuh", *_CPP)):
        return "cuda"
    return None


# --- discovery --------------------------------------------------------------------------------------------
def discover(
    paths: Sequence[str | os.PathLike[str]], options: ScanOptions
) -> tuple[list[tuple[str, str]], list[FileResult]]:
    """(path, kind) for every file to scan, plus error results for what could not be walked."""
    found: list[tuple[str, str]] = []
    errors: list[FileResult] = []
    for p in paths:
        path = os.fspath(p)
        if os.path.isfile(path):
            kind = file_kind(os.path.basename(path), os.path.basename(os.path.dirname(os.path.abspath(path))))
            found.append((path, kind or "python"))
        elif os.path.isdir(path):
            _walk(path, found, errors, options)
        elif os.path.islink(path):
            errors.append(FileResult(path, error="broken symbolic link (or a link loop)", kind="skipped"))
        else:
            errors.append(FileResult(path, error="no such file or directory", kind="skipped"))
    return found, errors


def _walk(root: str, found: list[tuple[str, str]], errors: list[FileResult], options: ScanOptions) -> None:
    seen = {os.path.realpath(root)}
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            errors.append(FileResult(d, error=f"cannot list directory: {e.strerror or e}", kind="skipped"))
            continue
        subdirs = []
        for entry in entries:
            if entry.name in SKIP_DIRS or entry.name.startswith(".") or _excluded(entry.path, options):
                continue
            try:
                if entry.is_dir():
                    real = os.path.realpath(entry.path)
                    if real in seen:
                        errors.append(
                            FileResult(
                                entry.path, error="symbolic link loop (directory already scanned)", kind="skipped"
                            )
                        )
                        continue
                    seen.add(real)
                    subdirs.append(entry.path)
                elif entry.is_file():
                    kind = file_kind(entry.name, os.path.basename(d))
                    if kind:
                        found.append((entry.path, kind))
                elif entry.is_symlink():
                    errors.append(FileResult(entry.path, error="broken symbolic link (or a link loop)", kind="skipped"))
            except OSError as ex:
                errors.append(FileResult(entry.path, error=f"cannot stat: {ex.strerror or ex}", kind="skipped"))
        stack.extend(reversed(subdirs))


def _excluded(path: str, options: ScanOptions) -> bool:
    if not options.exclude:
        return False
    rel = _rel(path, options.root)
    return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(os.path.basename(path), g) for g in options.exclude)


def _rel(path: str, root: str) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return Path(path).as_posix()


# --- per-file scanning ------------------------------------------------------------------------------------
@dataclass
class _RuleSet:
    """Selected rules, instantiated and indexed for dispatch (built once per process)."""

    names: dict[str, NameRule] = field(default_factory=dict)
    import_names: dict[str, NameRule] = field(default_factory=dict)
    by_type: dict[type, list[NodeRule]] = field(default_factory=dict)
    file_rules: dict[str, list[FileRule]] = field(default_factory=dict)
    node_rules: list[NodeRule] = field(default_factory=list)
    tokens: tuple[bytes, ...] = ()
    matcher: Any = None  # one-pass search for every token and b"import " (ahocorasick_rs), None without it
    linked: bool = False  # a cross-file rule (or a package-import rule it refines) is selected: record imports


@lru_cache(maxsize=16)
def _ruleset(codes: tuple[str, ...]) -> _RuleSet:
    rs = _RuleSet()
    tokens: set[bytes] = set()
    for cls in all_rules():
        if cls.code not in codes:
            continue
        rule = cls()
        if isinstance(rule, NameRule):
            index = rs.import_names if rule.imports else rs.names
            for n in rule.names:
                index[n] = rule
            tokens.update(rule.tokens)
        elif isinstance(rule, NodeRule):
            rs.node_rules.append(rule)
            for t in rule.node_types:
                rs.by_type.setdefault(t, []).append(rule)
            tokens.update(rule.tokens)
        elif isinstance(rule, FileRule):
            for k in rule.kinds:
                rs.file_rules.setdefault(k, []).append(rule)
    # a token that contains another is implied by it (same file, same line): keep only the shortest ones
    rs.tokens = tuple(sorted(t for t in tokens if not any(o != t and o in t for o in tokens)))
    rs.matcher = _matcher(rs.tokens)
    rs.linked = bool(set(codes) & (LINKED_CODES | import_rule_codes()))
    return rs


def _matcher(tokens: tuple[bytes, ...]) -> Any:
    """An Aho-Corasick automaton over the tokens and b"import " (every occurrence in one pass over the file, in C),
    or None when ahocorasick_rs is not installed: `token_lines` then searches token by token."""
    try:
        from ahocorasick_rs import BytesAhoCorasick
    except ImportError:
        return None
    return BytesAhoCorasick([*tokens, b"import "])


@lru_cache(maxsize=1)
def import_rule_codes() -> frozenset[str]:
    """Codes of the rules that report package imports (the linker drops those that resolve in the tree)."""
    return frozenset(r.code for r in all_rules() if issubclass(r, NameRule) and r.imports)


def scan_file(
    path: str,
    kind: str,
    rel: str,
    codes: tuple[str, ...],
    target: str = "npu",
    max_bytes: int = MAX_BYTES,
    prefilter: bool = True,
) -> FileResult:
    """Scan one file; never raises for problems with the file itself."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return FileResult(
                rel,
                error=f"file too large ({size / 2**20:.1f} MiB > {max_bytes / 2**20:.0f} MiB); not scanned",
                kind=kind,
            )
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        return FileResult(rel, error=f"cannot read: {e.strerror or e}", kind=kind)
    if b"\0" in data[:8192]:
        return FileResult(rel, error="binary file; not scanned", kind=kind)
    try:
        return scan_bytes(data, rel, kind, codes, target, prefilter)
    except (RecursionError, MemoryError):  # pathological nesting that got past the parser's own limits
        return FileResult(rel, error="not scanned: nesting too deep to analyse", kind=kind)
    except Exception as e:  # one file must never stop the scan; the message names the file and the failure
        return FileResult(
            rel, error=f"not scanned: scanner failure ({type(e).__name__}: {e}); please report it", kind=kind
        )


def scan_bytes(
    data: bytes, rel: str, kind: str, codes: tuple[str, ...], target: str = "npu", prefilter: bool = True
) -> FileResult:
    """Scan one file's bytes. `prefilter=False` parses and walks everything (the reference the tests use)."""
    rs = _ruleset(codes)
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if kind == "python":
        return _scan_python(data, rel, rs, target, lines, prefilter)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return FileResult(rel, error=f"not UTF-8 text (byte {e.start}); not scanned", lines=lines, kind=kind)
    findings: list[Finding] = []
    for rule in rs.file_rules.get(kind, ()):
        findings.extend(rule.check_file(rel, text))
    return FileResult(rel, tuple(_suppress(findings, data)), lines=lines, kind=kind)


def _scan_python(data: bytes, rel: str, rs: _RuleSet, target: str, lines: int, prefilter: bool) -> FileResult:
    refs = (
        tuple(
            (m.group(1).decode(errors="replace"), data.count(b"\n", 0, m.start()) + 1) for m in _CU_REF.finditer(data)
        )
        if b'.cu"' in data or b".cu'" in data or b".cuh" in data
        else ()
    )
    imports = import_refs(data, _suppressed_lines(data)) if rs.linked else ()
    kernels = rs.linked and b"@triton." in data and _TRITON_KERNEL.search(data) is not None
    relevant = token_lines(data, rs.tokens, rs.matcher)
    if relevant is None and prefilter:
        return FileResult(rel, lines=lines, cu_refs=refs, imports=imports, triton_kernels=kernels)
    try:
        tree = ast.parse(data, filename=rel)
    except SyntaxError as e:
        return FileResult(rel, error=f"syntax error: {e.msg} (line {e.lineno})", lines=lines, cu_refs=refs)
    except (ValueError, UnicodeDecodeError) as e:  # undecodable source, null bytes
        return FileResult(rel, error=f"cannot parse: {e}", lines=lines, cu_refs=refs)
    except (RecursionError, MemoryError):  # the parser runs out of stack or memory on absurd nesting
        return FileResult(rel, error="cannot parse: nesting too deep", lines=lines, cu_refs=refs)
    ctx = PyContext(rel, data, tree, target=target)
    try:
        _walk_tree(ctx, rs, relevant if prefilter and relevant is not None else list(range(1, lines + 2)))
        for rule in rs.node_rules:
            rule.finish(ctx)
    except (RecursionError, MemoryError):
        return FileResult(rel, error="cannot analyse: nesting too deep", lines=lines, cu_refs=refs)
    return FileResult(
        rel,
        tuple(_suppress(ctx.findings, data)),
        lines=lines,
        cu_refs=refs,
        imports=imports,
        built=tuple(dict.fromkeys(ctx.built)),
        triton_kernels=kernels,
    )


def _suppressed_lines(data: bytes) -> list[int]:
    """Lines whose suppression comment covers the cross-file rules."""
    return [line for line, codes in suppressions(data).items() if codes is None or codes & LINKED_CODES]


def token_lines(data: bytes, tokens: tuple[bytes, ...], matcher: Any = None) -> list[int] | None:
    """Sorted line numbers that hold a token or an import statement; None when no token occurs in `data`.

    With an Aho-Corasick `matcher` (see `_matcher`) one pass finds them all. A token's occurrence lies within one
    line, and a match that hides another (non-overlapping search) starts on the same line, so no line is lost.
    """
    if matcher is None:
        present = [t for t in tokens if t in data]
        return _relevant_lines(data, present) if present else None
    found, out = False, list[int]()
    line, last, imports = 1, 0, len(tokens)  # the index of b"import " among the patterns
    for index, start, _ in matcher.find_matches_as_indexes(data):
        found = found or index != imports
        line += data.count(b"\n", last, start)
        last = start
        if not out or out[-1] != line:
            out.append(line)
    return out if found else None


def _relevant_lines(data: bytes, present: list[bytes]) -> list[int]:
    """Sorted line numbers that hold one of the `present` tokens or an import statement.

    One `bytes.find` loop per token present in the file (fast substring search in C) beats a regex with a
    hundred alternatives, which tries every alternative at every byte.
    """
    positions: list[int] = []
    for tok in (*present, b"import "):
        i = data.find(tok)
        while i >= 0:
            positions.append(i)
            i = data.find(tok, i + 1)
    positions.sort()
    out: list[int] = []
    line, last = 1, 0
    for pos in positions:
        line += data.count(b"\n", last, pos)
        last = pos
        if not out or out[-1] != line:
            out.append(line)
    return out


# Fields that never lead to a node any rule looks at: identifiers and other scalars, expression contexts
# (Load/Store), operators, and import aliases (the import handler reads `names` itself). Skipping them halves
# the number of nodes the walk touches without changing which Call/Attribute/Name/... nodes it reaches.
_NO_CHILDREN = frozenset(
    {
        "ctx", "op", "ops", "names", "id", "attr", "name", "arg", "asname", "module", "kind", "type_comment",
        "level", "is_async", "simple", "conversion", "kwd_attrs", "tag", "rest",
    }
)  # fmt: skip
_STMT_LISTS = frozenset({"body", "orelse", "finalbody"})  # list-valued, these always hold statements
_FIELDS: dict[type[ast.AST], tuple[tuple[str, bool], ...]] = {}


def _child_fields(t: type[ast.AST]) -> tuple[tuple[str, bool], ...]:
    """(field, holds statements) for the fields of node type `t` that can hold nodes, in reverse order."""
    fields = _FIELDS.get(t)
    if fields is None:
        scalar = t in (ast.Constant, ast.MatchSingleton)  # their `value` is a Python constant
        names = [f for f in t._fields if f not in _NO_CHILDREN and not (scalar and f == "value")]
        fields = _FIELDS[t] = tuple((f, f in _STMT_LISTS) for f in reversed(names))
    return fields


def _walk_tree(ctx: PyContext, rs: _RuleSet, relevant: list[int]) -> None:
    """Pre-order walk of the statements that hold a relevant line, dispatching each node by type.

    Children are pushed in reverse field order, so nodes are visited (and findings made) in source order.
    """
    n_rel = len(relevant)

    def hit(st: ast.stmt) -> bool:
        start = st.lineno
        decorators = getattr(st, "decorator_list", None)
        if decorators:
            start = min(start, decorators[0].lineno)
        i = bisect_left(relevant, start)
        return i < n_rel and relevant[i] <= (st.end_lineno or st.lineno)

    names, import_names, by_type = rs.names, rs.import_names, rs.by_type
    aliases = ctx.aliases
    fields_of, no_rules = _FIELDS, ()
    Attribute, Name, Load, Import, ImportFrom, Try, Call, If, IfExp = (
        ast.Attribute, ast.Name, ast.Load, ast.Import, ast.ImportFrom, ast.Try, ast.Call, ast.If, ast.IfExp
    )  # fmt: skip
    ctx.start_walk()
    stack: list[tuple[ast.AST, ast.AST | None]] = [(st, None) for st in reversed(ctx.tree.body) if hit(st)]
    pop, push = stack.pop, stack.append
    while stack:
        node, parent = pop()
        t = type(node)
        if t is Attribute:
            if names and type(parent) is not Attribute:
                qn = ctx.qualname(node)
                ctx.remember_qualname(node, qn)  # the rules for Attribute nodes ask again
                if qn is not None:
                    found = _match(names, qn)
                    if found is not None:
                        found[0].check_ref(node, qn, found[1], parent, ctx)  # type: ignore[arg-type]
        elif t is Name:
            if names and node.id in aliases and type(node.ctx) is Load and type(parent) is not Attribute:  # type: ignore[attr-defined]
                qn = aliases[node.id]  # type: ignore[attr-defined]
                found = _match(names, qn)
                if found is not None:
                    found[0].check_ref(node, qn, found[1], parent, ctx)  # type: ignore[arg-type]
        elif t is Import or t is ImportFrom:
            add_import(node, aliases)  # type: ignore[arg-type]
            if import_names:
                _check_import(node, import_names, ctx)  # type: ignore[arg-type]
        elif t is Try:
            mark_guarded(node, ctx.guarded_imports)  # type: ignore[arg-type]
        elif t is If or t is IfExp:
            ctx.note_branch(node)  # type: ignore[arg-type]
        elif t is Call:  # a dozen rules resolve the callee: resolve it once
            func = node.func  # type: ignore[attr-defined]
            ctx.remember_qualname(func, ctx.qualname(func))
        for rule in by_type.get(t, no_rules):
            rule.check(node, parent, ctx)
        fields = fields_of.get(t)
        if fields is None:
            fields = _child_fields(t)
        for f, stmts in fields:
            value = getattr(node, f, None)
            if value is None:
                continue
            if type(value) is list:
                for v in reversed(value):
                    if v is not None and (not stmts or hit(v)):
                        push((v, node))
            else:
                push((value, node))


def _match(index: dict[str, NameRule], qualname: str) -> tuple[NameRule, str] | None:
    key = qualname
    while True:
        rule = index.get(key)
        if rule is not None:
            return rule, key
        cut = key.rfind(".")
        if cut < 0:
            return None
        key = key[:cut]


def _check_import(node: ast.Import | ast.ImportFrom, index: dict[str, NameRule], ctx: PyContext) -> None:
    if isinstance(node, ast.Import):
        modules = [a.name for a in node.names]
    elif node.module and not node.level:
        modules = [f"{node.module}.{a.name}" for a in node.names]
    else:
        return
    for module in modules:
        found = _match(index, module)
        if found is not None:
            found[0].check_import(node, module, ctx)
            return


def _suppress(findings: Iterable[Finding], data: bytes) -> list[Finding]:
    sup = suppressions(data)
    out = []
    for f in findings:
        codes = sup.get(f.line, frozenset())
        if codes is None or f.code in codes:
            continue
        out.append(f)
    return out


# --- the whole scan ---------------------------------------------------------------------------------------
def _scan_chunk(
    args: tuple[list[tuple[int, str, str, str]], tuple[str, ...], str, int, bool],
) -> list[tuple[int, FileResult]]:
    items, codes, target, max_bytes, prefilter = args
    return [(i, scan_file(p, k, rel, codes, target, max_bytes, prefilter)) for i, p, k, rel in items]


def _balanced_chunks(items: list[tuple[str, str, str]], n: int) -> list[list[tuple[int, str, str, str]]]:
    """About `n` chunks of similar byte size, biggest files first (so no worker is left with one giant file
    at the end). Chunks carry each file's index so the results go back into discovery order."""
    sized = []
    for i, (p, k, rel) in enumerate(items):
        try:
            size = os.path.getsize(p)
        except OSError:
            size = 0
        sized.append((size, i, p, k, rel))
    sized.sort(key=lambda x: -x[0])
    budget = max(1, sum(x[0] for x in sized) // n)
    chunks: list[list[tuple[int, str, str, str]]] = [[]]
    filled = 0
    for size, i, p, k, rel in sized:
        if filled >= budget and len(chunks) < n:
            chunks.append([])
            filled = 0
        chunks[-1].append((i, p, k, rel))
        filled += size
    return chunks


def _scan_pool(
    items: list[tuple[str, str, str]],
    codes: tuple[str, ...],
    options: ScanOptions,
    jobs: int,
    progress: Callable[[int, int], None] | None,
) -> list[FileResult]:
    """Scan in `jobs` forked workers. Workers get paths (not contents) and read the files themselves; the rule
    tables are built before the fork so every worker inherits them (scan workers run pure Python: no native
    thread pool of ours can be half-copied into them). Ctrl-C ends the pool at once (`isthmus.pools`)."""
    from isthmus.pools import imap_unordered

    _ruleset(codes)
    chunks = _balanced_chunks(items, jobs * 8)
    ordered: list[FileResult | None] = [None] * len(items)
    args = [(c, codes, options.target, options.max_bytes, options.prefilter) for c in chunks]
    done = 0
    with imap_unordered(_scan_chunk, args, jobs, fork=True) as chunks_done:
        for _, chunk in chunks_done:
            for i, r in chunk:
                ordered[i] = r
                done += 1
            if progress:
                progress(done, len(items))
    return [r for r in ordered if r is not None]


def scan(
    paths: Sequence[str | os.PathLike[str]],
    options: ScanOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Scan files and directories; `progress(done, total)` is called as files complete."""
    options = options or ScanOptions()
    t0 = time.perf_counter()
    codes = tuple(r.code for r in selected_rules(options))
    found, errors = discover(paths, options)
    items = [(p, k, _rel(p, options.root)) for p, k in found]
    jobs = options.jobs or os.cpu_count() or 1
    results: list[FileResult] = []
    if jobs <= 1 or len(items) < 64:
        for i, (p, k, rel) in enumerate(items):
            results.append(scan_file(p, k, rel, codes, options.target, options.max_bytes, options.prefilter))
            if progress and (i % 16 == 15 or i == len(items) - 1):
                progress(i + 1, len(items))
    else:
        results = _scan_pool(items, codes, options, jobs, progress)
    results = link(results, codes, import_rule_codes())
    results = _apply_per_file_ignores(results, options)
    results = _attach_call_sites(results)
    return ScanResult(tuple(results) + tuple(errors), time.perf_counter() - t0, codes)


def _apply_per_file_ignores(results: list[FileResult], options: ScanOptions) -> list[FileResult]:
    if not options.per_file_ignores:
        return results
    out = []
    for r in results:
        ignored = [codes for glob, codes in options.per_file_ignores if fnmatch.fnmatch(r.path, glob)]
        if ignored:
            flat = [c for codes in ignored for c in codes]
            r = replace(r, findings=tuple(f for f in r.findings if not matches(f.code, flat)))
        out.append(r)
    return out


def _attach_call_sites(results: list[FileResult]) -> list[FileResult]:
    """Give each CUDA-source finding the Python lines that name its file."""
    refs: dict[str, list[str]] = {}
    for r in results:
        for name, line in r.cu_refs:
            refs.setdefault(os.path.basename(name), []).append(f"{r.path}:{line}")
    if not refs:
        return results
    out = []
    for r in results:
        if r.kind == "cuda" and r.findings:
            sites = tuple(refs.get(os.path.basename(r.path), ()))
            if sites:
                r = replace(
                    r,
                    findings=tuple(
                        replace(f, related=sites, message=f"{f.message}; built/loaded at {', '.join(sites[:5])}")
                        for f in r.findings
                    ),
                )
        out.append(r)
    return out


def scan_source(source: str | bytes, path: str = "example.py", options: ScanOptions | None = None) -> FileResult:
    """Scan one in-memory file (tests, editors, the fixer's re-check)."""
    options = options or ScanOptions()
    data = source.encode() if isinstance(source, str) else source
    codes = tuple(r.code for r in selected_rules(options))
    kind = file_kind(os.path.basename(path), os.path.basename(os.path.dirname(path))) or "python"
    result = scan_bytes(data, path, kind, codes, options.target, options.prefilter)
    return link([result], codes, import_rule_codes())[0]
