"""Recall and false positives of `isthmus scan` on a labelled corpus of public repositories, and whether its safe
fixes leave code that compiles and runs on the CPU.

The labels (benchmarks/scan_corpus/labels.yaml) name a commit of each repository and, per labelled file, the
lines that must be flagged and the lines that may be (policy: docs/scan.md). The repositories' code is not kept
here: `--materialise` extracts each labelled commit from local git mirrors (`<mirrors>/<owner>+<name>/repo`, bare
clones of the public repositories) into `--snapshots`; without snapshots the benchmark says so and exits 0.

Each repository is scanned whole (so names built in one file are found where another imports them); only the
labelled files are scored. Fixes: every safe fix in a labelled file is applied (`--fix` semantics), the fixed
file must compile, and every replacement expression is evaluated on the CPU with its free names bound to
values of the kind the code passes there (an index -> 0, a device -> torch.device("cpu") and "cpu", a tensor
receiver of `.to(...)` -> a CPU tensor); expressions with other free names are counted as not run.

    .venv/bin/python benchmarks/scan_corpus.py --materialise [--mirrors /path/to/mirrors]
    .venv/bin/python benchmarks/scan_corpus.py [--verbose]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from isthmus.scan import ScanOptions, fix_source, scan, scan_source
from isthmus.scan.engine import file_kind

HERE = Path(__file__).resolve().parent / "scan_corpus"
LABELS = HERE / "labels.yaml"
_INT_NAME = re.compile(r"(?i)(rank|gpu|idx|index|^i$|^id$|device_id|_id$)")
_DEV_NAME = re.compile(r"(?i)dev")
# Operator and dtype coverage (float64, complex, float8 on the target) is a fact about the target's operator
# tables, not about CUDA-specific code: the labels do not cover it, so those findings are not scored.
UNSCORED = frozenset({"dtypes", "ops"})


@dataclass
class Score:
    repo: str
    kind: str
    files: int = 0
    must: int = 0
    found: int = 0
    must_not: int = 0
    false_pos: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.must if self.must else 1.0


@dataclass
class FixCheck:
    files: int = 0
    fixes: int = 0
    compiled: int = 0
    ran: int = 0
    not_run: int = 0
    failures: list[str] = field(default_factory=list)


def lines_of(spec: list[Any]) -> set[int]:
    """[3, "7-9"] -> {3, 7, 8, 9}."""
    out: set[int] = set()
    for item in spec or []:
        if isinstance(item, int):
            out.add(item)
        else:
            lo, _, hi = str(item).partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    return out


def materialise(entries: list[dict[str, Any]], mirrors: Path, snapshots: Path) -> None:
    """Write the files scan reads (by name, as `isthmus scan` picks them) of each labelled commit."""
    for e in entries:
        git_dir = mirrors / e["repo"].replace("/", "+") / "repo"
        dest = snapshots / e["repo"].replace("/", "+")
        if dest.exists():
            print(f"  {e['repo']}: already at {dest}")
            continue
        if not git_dir.exists():
            print(f"  {e['repo']}: no mirror at {git_dir}; skipped")
            continue
        git = ["git", f"--git-dir={git_dir}"]
        listing = subprocess.run([*git, "ls-tree", "-r", "-z", e["commit"]], capture_output=True, check=True).stdout
        blobs = {}
        for item in listing.split(b"\0"):
            meta, _, path = item.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob" and _kind(path.decode()):
                blobs[parts[2].decode()] = path.decode()
        part = dest.with_name(dest.name + ".part")
        batch = subprocess.run(
            [*git, "cat-file", "--batch"], input="\n".join(blobs).encode() + b"\n", capture_output=True, check=True
        ).stdout
        written, pos = 0, 0
        while pos < len(batch):
            end = batch.index(b"\n", pos)
            header = batch[pos:end].split()
            pos = end + 1
            if len(header) < 3:  # "<sha> missing": a blob the mirror does not hold (large media)
                continue
            size = int(header[2])
            target = part / blobs[header[0].decode()]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(batch[pos : pos + size])
            pos += size + 1
            written += 1
        part.rename(dest)
        print(f"  {e['repo']}@{e['commit'][:10]}: {written} files -> {dest}")


def _kind(path: str) -> str | None:
    return file_kind(os.path.basename(path), os.path.basename(os.path.dirname(path)))


def score_repo(entry: dict[str, Any], root: Path, fixes: FixCheck) -> Score:
    s = Score(entry["repo"], entry["kind"] + (", held out" if entry.get("held_out") else ""))
    result = scan([str(root)], ScanOptions(root=str(root)))
    by_file: dict[str, set[int]] = {}
    for f in result.findings:
        if f.category not in UNSCORED:
            by_file.setdefault(f.path, set()).add(f.line)
    for rel, labels in entry["files"].items():
        path = root / rel
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        must, optional = lines_of(labels.get("flag")), lines_of(labels.get("optional"))
        flagged = by_file.get(rel, set())
        s.files += 1
        s.must += len(must)
        s.found += len(must & flagged)
        s.missed += [f"{rel}:{n}: {text[n - 1].strip()[:100]}" for n in sorted(must - flagged)]
        must_not = {n for n in range(1, len(text) + 1) if text[n - 1].strip()} - must - optional
        s.must_not += len(must_not)
        wrong = sorted(must_not & flagged)
        s.false_pos += len(wrong)
        s.extra += [f"{rel}:{n}: {text[n - 1].strip()[:100]}" for n in wrong]
        if rel.endswith(".py"):
            check_fixes(path, rel, fixes)
    return s


def check_fixes(path: Path, rel: str, out: FixCheck) -> None:
    source = path.read_bytes()
    fixed = fix_source(source, rel, ScanOptions())
    if not fixed.changed:
        return
    out.files += 1
    out.fixes += len(fixed.applied)
    try:
        compile(fixed.fixed, rel, "exec", dont_inherit=True)
        out.compiled += 1
    except SyntaxError as e:
        out.failures.append(f"{rel}: fixed file does not compile: {e}")
    for finding in scan_source(source, rel, ScanOptions()).findings:
        if finding.fix is None or not finding.fix.safe:
            continue
        for edit in finding.fix.edits:
            outcome = run_expression(edit.text)
            if outcome is None:
                out.ran += 1
            elif outcome == "free":
                out.not_run += 1
            else:
                out.failures.append(f"{rel}:{finding.line}: {finding.code} `{edit.text[:90]}`: {outcome}")


def run_expression(text: str) -> str | None:
    """None if the replacement evaluates on the CPU for every binding tried; "free" if it names values we cannot
    stand in for; otherwise the error."""
    import torch

    expr = f"_t.{text}" if text.startswith("to(") else text
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        return f"not an expression: {e.msg}"
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"torch", "_t", *dir(__builtins__)}
    ints = {n for n in names if _INT_NAME.search(n)}
    devs = {n for n in names - ints if _DEV_NAME.search(n)}
    if names - ints - devs:
        return "free"
    code = compile(tree, "<fix>", "eval")
    for dev in (torch.device("cpu"), "cpu"):
        env: dict[str, Any] = {"torch": torch, "_t": torch.zeros(2)}
        env.update(dict.fromkeys(ints, 0))
        env.update(dict.fromkeys(devs, dev))
        try:
            eval(code, env)  # our own replacement text, evaluated against stand-in values
        except Exception as e:
            return f"{type(e).__name__}: {e}"
        if not devs:
            break
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--snapshots", type=Path, default=Path(os.environ.get("ISTHMUS_SCAN_CORPUS", HERE / "snapshots")))
    p.add_argument("--mirrors", type=Path, default=Path(os.environ.get("ISTHMUS_MIRRORS", "/work/.mirror")))
    p.add_argument("--materialise", action="store_true", help="extract the labelled commits, then exit")
    p.add_argument("--verbose", action="store_true", help="list missed lines and false positives")
    args = p.parse_args()
    entries = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    if args.materialise:
        materialise(entries, args.mirrors, args.snapshots)
        return 0
    present = [(e, args.snapshots / e["repo"].replace("/", "+")) for e in entries]
    present = [(e, d) for e, d in present if d.is_dir()]
    if not present:
        print(f"skipped: no snapshots under {args.snapshots} (run with --materialise first)")
        return 0
    fixes = FixCheck()
    scores = [score_repo(e, d, fixes) for e, d in present]
    print("| repository | kind | files | must-flag | found | recall | must-not lines | false positives |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for s in scores:
        print(
            f"| {s.repo} | {s.kind} | {s.files} | {s.must} | {s.found} | {s.recall:.2f} | {s.must_not} "
            f"| {s.false_pos} |"
        )
    must, found = sum(s.must for s in scores), sum(s.found for s in scores)
    must_not, fp = sum(s.must_not for s in scores), sum(s.false_pos for s in scores)
    print(
        f"| **all ({len(scores)} repositories)** | | {sum(s.files for s in scores)} | {must} | {found} "
        f"| {found / must:.3f} | {must_not} | {fp} |"
    )
    kernel = [s for s in scores if s.kind.startswith("kernel")]
    held = [s for s in scores if "held out" in s.kind]
    if held:
        h_must, h_found = sum(s.must for s in held), sum(s.found for s in held)
        h_not, h_fp = sum(s.must_not for s in held), sum(s.false_pos for s in held)
        print(f"held out ({len(held)} repositories): {h_found}/{h_must} found, {h_fp} false positives in {h_not} lines")
    print(
        f"\nrecall {found / must:.3f} overall; lowest on a kernel-heavy repository {min(s.recall for s in kernel):.2f}"
    )
    print(f"false positives: {fp} in {must_not:,} must-not lines ({fp / must_not * 200:.2f} per 200)")
    print(
        f"safe fixes: {fixes.fixes} applied in {fixes.files} files; {fixes.compiled}/{fixes.files} fixed files "
        f"compile; replacement expressions run on CPU: {fixes.ran}, not run (other free names): {fixes.not_run}, "
        f"failed: {len(fixes.failures)}"
    )
    for line in fixes.failures:
        print(f"  FIX FAILED {line}")
    if args.verbose:
        for s in scores:
            for m in s.missed:
                print(f"  MISSED {s.repo}: {m}")
            for x in s.extra:
                print(f"  FALSE POSITIVE {s.repo}: {x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
