"""Run public CUDA-written scripts unmodified under `isthmus run --target cpu` and compare with their CPU mode.

    python tools/realworld/run.py [--mirrors /work/.mirror] [--work /tmp/realworld] [--only NAME ...]

For each entry of `manifest.json`: materialise the listed paths of the repository snapshot at the pinned commit
(a bare git directory `<mirrors>/<owner>+<name>/repo`, as the `fetch` tool leaves it, or any clone given with
`--mirrors`) into a fresh work directory, write the synthetic data it reads (generated here, no download), run
the script with its CUDA arguments under `isthmus run --target cpu`, run it again in its own CPU mode when it has
one, and compare the numbers its `compare` pattern captures (relative tolerance 1e-3), its whole stdout, or the
files the two runs wrote (`"compare": "files"`). Prints one Markdown table row per script (the table in
docs/accel.md) and writes `results.json` in the work directory.
None of the scripts' code is kept in this repository: only the manifest and this runner.

Optional entry fields: `module` (run `python -m MODULE args...`, `isthmus run -m MODULE ...` under isthmus,
instead of `script`), `executables` (programs the script calls, installed with the system's package manager,
e.g. ffmpeg from Debian's `ffmpeg`: the runner stops with a message naming any that is not on PATH),
`same_stdout_as` (a script without a CPU mode whose stdout under isthmus must equal that of an entry run before
it, e.g. the same model split over two processes), `requires` (pinned PyPI packages beyond isthmus), `env`,
`cpu_env`, `before`, `launcher`, `pythonpath`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# our generators of synthetic inputs (this directory is on sys.path when the runner runs as a script)
import gen_hf  # the Hugging Face cache: tiny BERT, GLUE MRPC rows, a metric module; a tiny Llama
import gen_inference  # whisper and DeepSeek-V3 checkpoints, audio, tokenizers
import gen_lit  # litgpt's checkpoint and data
import numpy as np

HERE = Path(__file__).resolve().parent
REL_TOL = 1e-3
TIMEOUT_S = 900


# --- synthetic data (our own generators: the scripts' real datasets are never downloaded) -------------------------
def nanogpt_chars(root: Path) -> None:
    """data/synth/{train,val}.bin (uint16 token ids) and meta.pkl (65 symbols, newline included), as nanoGPT
    reads them."""
    rng = np.random.default_rng(0)
    out = root / "data" / "synth"
    out.mkdir(parents=True, exist_ok=True)
    rng.integers(0, 65, size=20_000, dtype=np.uint16).tofile(out / "train.bin")
    rng.integers(0, 65, size=4_000, dtype=np.uint16).tofile(out / "val.bin")
    chars = ["\n"] + [chr(32 + i) for i in range(64)]  # sample.py starts from "\n"
    meta = {"vocab_size": 65, "itos": dict(enumerate(chars)), "stoi": {c: i for i, c in enumerate(chars)}}
    (out / "meta.pkl").write_bytes(pickle.dumps(meta))  # our own file, read by the script


def input_txt(root: Path) -> None:
    """input.txt: pseudo-words and the prompt chargpt samples from ("O God, O God!"), so every prompt character is in
    the vocabulary."""
    rng = np.random.default_rng(1)
    words = ["".join(rng.choice(list("abcdefghijOGd,!"), size=rng.integers(2, 7))) for _ in range(3000)]
    (root / "input.txt").write_text("O God, O God!\n" + " ".join(words) + "\n", encoding="utf-8")


def wikitext_like(root: Path) -> None:
    """synth/{train,valid,test}.txt: lines of words from a 200-word vocabulary (word_language_model reads them)."""
    rng = np.random.default_rng(2)
    vocab = [f"w{i}" for i in range(200)]
    out = root / "synth"
    out.mkdir(parents=True, exist_ok=True)
    for split, lines in (("train", 300), ("valid", 60), ("test", 60)):
        text = "\n".join(" ".join(rng.choice(vocab, size=12)) for _ in range(lines))
        (out / f"{split}.txt").write_text(text + "\n", encoding="utf-8")


def cora_like(root: Path) -> None:
    """cora/cora.{content,cites}: 2708 nodes with 64 binary features and 7 classes, 5000 citations."""
    rng = np.random.default_rng(3)
    out = root / "cora"
    out.mkdir(parents=True, exist_ok=True)
    ids = rng.choice(1_000_000, size=2708, replace=False)
    classes = [f"class_{i}" for i in range(7)]
    rows = []
    for node in ids:
        feats = " ".join(str(v) for v in (rng.random(64) < 0.1).astype(int))
        rows.append(f"{node} {feats} {classes[int(rng.integers(7))]}")
    (out / "cora.content").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cites = [f"{ids[a]} {ids[b]}" for a, b in rng.integers(0, 2708, size=(5000, 2))]
    (out / "cora.cites").write_text("\n".join(cites) + "\n", encoding="utf-8")


DATA = {"nanogpt_chars": nanogpt_chars, "input_txt": input_txt, "wikitext_like": wikitext_like, "cora_like": cora_like}
DATA["whisper_tiny"] = gen_inference.whisper_tiny
DATA["deepseek_tiny"] = gen_inference.deepseek_tiny
DATA["deepseek_tiny_mp2"] = gen_inference.deepseek_tiny_mp2
DATA["deepseek_tiny_fp8"] = gen_inference.deepseek_tiny_fp8
DATA["hf_glue_mrpc"] = gen_hf.hf_glue_mrpc
DATA["tiny_llama"] = gen_hf.tiny_llama
DATA["litgpt_tiny"] = gen_lit.litgpt_tiny


# --- materialise and run ------------------------------------------------------------------------------------------
def materialise(entry: dict[str, Any], mirrors: Path, dest: Path) -> None:
    git_dir = mirrors / entry["repo"].replace("/", "+") / "repo"
    if not git_dir.is_dir():
        raise SystemExit(f"{git_dir}: no snapshot of {entry['repo']} (fetch it first)")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", entry["commit"], *entry["paths"]], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    if entry.get("data"):
        DATA[entry["data"]](dest)


def _command(entry: dict[str, Any], under_isthmus: bool, extra: list[str]) -> list[str]:
    program = ["-m", entry["module"]] if entry.get("module") else [entry["script"]]
    script = [*program, *entry["args"], *extra]
    if entry.get("launcher") == "torchrun2":
        launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
        # every rank writes the report atomically to the same path: it holds one rank's redirections
        isthmus = ["-m", "isthmus", "run", "--target", "cpu", "--report", "report.json"]
        return [*launch, *isthmus, *script] if under_isthmus else [*launch, *script]
    if under_isthmus:
        return [sys.executable, "-m", "isthmus", "run", "--target", "cpu", "--report", "report.json", *script]
    return [sys.executable, *script]


SITES: list[str] = []  # --site: directories with the packages a script needs beyond isthmus (its "requires")


def _run(
    cmd: list[str], cwd: Path, entry: dict[str, Any], extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    paths = [str(cwd / entry["pythonpath"])] if entry.get("pythonpath") else []
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", ""), *SITES]).strip(os.pathsep)
    env.update(entry.get("env", {}))  # for both runs (e.g. what the script's torch.load needs on this torch)
    env.update(extra_env or {})
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def numbers(stdout: str, pattern: str) -> list[float]:
    """Every number the pattern's groups capture, line by line, in order."""
    found = []
    for line in stdout.splitlines():
        for m in re.finditer(pattern, line):
            found += [float(g) for g in m.groups() if g is not None]
    return found


def compare_files(entry: dict[str, Any], dest: Path) -> tuple[bool, str]:
    """The files the two runs wrote (`files`: the CUDA run's, then the CPU run's), byte for byte."""
    cuda_file, cpu_file = (dest / name for name in entry["files"])
    if not cuda_file.is_file() or not cpu_file.is_file():
        return False, f"missing output: {cuda_file.name if not cuda_file.is_file() else cpu_file.name}"
    got, want = cuda_file.read_bytes(), cpu_file.read_bytes()
    same = got == want and bool(got)
    return same, f"identical output file ({len(got)} bytes)" if same else "output files differ"


def kept(entry: dict[str, Any], text: str) -> list[str]:
    """The lines of a stdout that are compared: all but those matching `ignore` (they echo the differing arguments)."""
    ignore = re.compile(entry.get("ignore") or r"(?!)")
    return [ln for ln in text.strip().splitlines() if not ignore.search(ln)]


def compare(entry: dict[str, Any], cuda_out: str, cpu_out: str | None) -> tuple[bool, str]:
    if entry["compare"] == "stdout":
        if cpu_out is None:
            return True, "no CPU mode"
        same = kept(entry, cuda_out) == kept(entry, cpu_out)
        return same, f"identical stdout ({len(kept(entry, cuda_out))} lines)" if same else "stdout differs"
    got = numbers(cuda_out, entry["compare"])
    if not got:
        return False, "no numbers matched the compare pattern"
    if cpu_out is None:
        return True, f"{len(got)} values (no CPU mode to compare)"
    want = numbers(cpu_out, entry["compare"])
    if len(got) != len(want):
        return False, f"{len(got)} values vs {len(want)} in CPU mode"
    worst = max((abs(a - b) / max(abs(b), 1e-12) for a, b in zip(got, want, strict=True)), default=0.0)
    ok = all(math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9) for a, b in zip(got, want, strict=True))
    return ok, f"{len(got)} values, max rel diff {worst:.1e}"


def run_entry(entry: dict[str, Any], mirrors: Path, work: Path) -> dict[str, Any]:
    dest = work / entry["name"]
    missing = [exe for exe in entry.get("executables", []) if shutil.which(exe) is None]
    if missing:
        raise SystemExit(f"{entry['name']}: needs {', '.join(missing)} on PATH (see the entry's `executables`)")
    materialise(entry, mirrors, dest)
    if entry.get("before"):
        _run([sys.executable, *entry["before"]], dest, entry).check_returncode()
    t0 = time.perf_counter()
    cuda = _run(_command(entry, True, entry["cuda_args"]), dest, entry)
    seconds = time.perf_counter() - t0
    # the CPU mode: the script's own CPU arguments, and no CUDA device visible (for scripts that pick CUDA when present)
    cpu_env = {"CUDA_VISIBLE_DEVICES": "", **entry.get("cpu_env", {})}
    cpu = None
    if entry["cpu_args"] is not None:
        cpu = _run(_command(entry, False, entry["cpu_args"]), dest, entry, cpu_env)
    if entry["compare"] == "files" and cpu is not None:
        ok, detail = compare_files(entry, dest)
    else:
        ok, detail = compare(entry, cuda.stdout, cpu.stdout if cpu else None)
    report = dest / "report.json"
    data = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
    passed = cuda.returncode == 0 and (cpu is None or cpu.returncode == 0) and ok
    return {
        "name": entry["name"],
        "repo": entry["repo"],
        "commit": entry["commit"][:12],
        "script": entry.get("script") or f"-m {entry['module']}",
        "exit": cuda.returncode,
        "cpu_exit": cpu.returncode if cpu else None,
        "result": "match" if passed and cpu else "runs" if passed else "FAIL",
        "detail": detail,
        "seconds": round(seconds, 1),
        "redirected": len(data.get("redirected", [])),
        "unmapped": [r["what"] for r in data.get("unmapped", [])],
        "failed_at": data.get("failed_at"),
        "stderr_tail": cuda.stderr.strip().splitlines()[-25:],
        "stdout": cuda.stdout,
    }


def same_stdout(entry: dict[str, Any], r: dict[str, Any], outputs: dict[str, str]) -> None:
    """`same_stdout_as`: the entry's stdout against that of an entry run before it in this invocation."""
    ref = entry["same_stdout_as"]
    if ref not in outputs:
        r["detail"] += f"; {ref} not run before it (list both with --only)"
        r["result"] = "FAIL"
    elif kept(entry, outputs[ref]) == kept(entry, r["stdout"]):
        r["detail"] += f"; stdout identical to {ref}'s"
    else:
        r["detail"] += f"; stdout differs from {ref}'s"
        r["result"] = "FAIL"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def docs_table(entries: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> list[str]:
    """The table of docs/accel.md: one row per entry that has a result, in the manifest's order."""
    rows = [
        "| # | entry | script (repo @ commit) | command under `isthmus run --target cpu` | CPU mode | result | kinds "
        "| s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        r = results.get(entry["name"])
        if r is None:
            continue
        program = f"-m {entry['module']}" if entry.get("module") else entry["script"]
        command = " ".join([program, *entry["args"], *entry["cuda_args"]])
        if entry.get("launcher") == "torchrun2":
            command = f"(torchrun, 2 processes) {command}"
        if entry["cpu_args"] is None:
            cpu = (
                f"none (stdout compared with #{_index(entries, entry['same_stdout_as'])})"
                if entry.get("same_stdout_as")
                else "none"
            )
        else:
            cpu = f"`{' '.join(entry['cpu_args'])}`" if entry["cpu_args"] else "no CUDA visible"
        if r["result"] == "match":
            what = "same losses" if r["detail"][:1].isdigit() else "same output"
            result = f"**{what}**: {r['detail']}"
        elif r["result"] == "runs":
            result = f"runs (exit 0): {r['detail']}"
        else:
            result = f"**fails** (exit {r['exit']}): {r['detail']}; failed at {r.get('failed_at') or 'unknown'}"
        script = entry.get("script") or f"python -m {entry['module']}"
        rows.append(
            f"| {_index(entries, entry['name'])} | {entry['name']} "
            f"| `{script}` ({entry['repo']} @ `{entry['commit'][:10]}`) "
            f"| `{_cell(command)}` | {_cell(cpu)} | {_cell(result)} | {r['redirected']} | {r['seconds']:.0f} |"
        )
    return rows


def _index(entries: list[dict[str, Any]], name: str) -> int:
    return next(i for i, e in enumerate(entries, 1) if e["name"] == name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/isthmus-realworld"))
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--site", action="append", default=[], help="extra package directory (pip install --target)")
    parser.add_argument(
        "--table",
        nargs="+",
        type=Path,
        default=None,
        metavar="RESULTS",
        help="print docs/accel.md's table from "
        "results.json files of earlier runs (entries need different environments), and run nothing",
    )
    args = parser.parse_args()
    SITES.extend(str(Path(p).resolve()) for p in args.site)
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    if args.table:
        done = {r["name"]: r for path in args.table for r in json.loads(path.read_text(encoding="utf-8"))}
        print("\n".join(docs_table(manifest["scripts"], done)))
        return 0 if all(r["result"] != "FAIL" for r in done.values()) else 1
    results = []
    outputs: dict[str, str] = {}  # name -> stdout under isthmus, for `same_stdout_as`
    print("| script | repo @ commit | result | detail | kinds redirected | unmapped |")
    print("|---|---|---|---|---|---|")
    for entry in manifest["scripts"]:
        if args.only and entry["name"] not in args.only:
            continue
        r = run_entry(entry, args.mirrors, args.work)
        if entry.get("same_stdout_as") and r["result"] != "FAIL":
            same_stdout(entry, r, outputs)
        outputs[entry["name"]] = r.pop("stdout")
        results.append(r)
        unmapped = ", ".join(r["unmapped"]) or "none"
        print(
            f"| `{r['script']}` | {r['repo']} @ {r['commit']} | {r['result']} (exit {r['exit']}) | {r['detail']} "
            f"| {r['redirected']} | {unmapped} |",
            flush=True,
        )
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if all(r["result"] != "FAIL" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
