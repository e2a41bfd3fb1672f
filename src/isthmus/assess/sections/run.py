"""Assess section "run": the project's CUDA-style training script, unmodified, under `isthmus run`.

It runs on the accelerator this machine has (`isthmus.assess.hardware.host_accelerator`: a CUDA GPU or an Ascend
NPU), else on the CPU, and says which and why. It runs in a subprocess (a crash or a hang in user code cannot take
the report down; the patching never touches the assessing process) with the project's `train_args`, and reports
what was redirected and which CUDA-only calls had no mapping.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from isthmus.assess.hardware import HostAccelerator, host_accelerator
from isthmus.assess.model import AssessContext, Blocker, SectionResult, SectionStatus
from isthmus.blocks import Block, Code, Link, Span, code, heading, para, table

KEY, TITLE = "run", "Unmodified run"
TIMEOUT_S = 300


def plan_runs(host: HostAccelerator) -> list[tuple[str, str]]:
    """(target, report file) of each run: the redirected run first (it is what the Ascend verdict rests on).

    On an NPU the real run is that check; on a CUDA GPU the script also runs natively there (redirection to the
    CPU still stands in for Ascend); without an accelerator it runs on the CPU.
    """
    if host.found and host.device_type != "cuda" and host.name:  # isthmus: ignore[IST105]  (picks runs by host)
        return [(host.name, "run.json")]
    runs = [("cpu", "run.json")]
    if host.found and host.name:
        runs.append((host.name, f"run-{host.name}.json"))
    return runs


def _run(ctx: AssessContext, script: str, target: str, report: Path) -> tuple[dict[str, Any] | None, str, float]:
    """Run the script under `isthmus run --target`: (its report, or None, and the stderr tail; seconds)."""
    path = (ctx.project.root / script).resolve()
    args = ["run", "--target", target, "--report", str(report), str(path), *ctx.project.config.train_args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "isthmus", *args],
            cwd=ctx.project.root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {TIMEOUT_S} s", time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if not report.is_file():
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return None, tail[0], seconds
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    # as the user would type it from the project root, with the report where it ends up (never the temp dir)
    shown = ["isthmus", "run", "--target", target, "--report", report.name, script, *ctx.project.config.train_args]
    data["command"] = " ".join(shown)
    data["report"] = ctx.rel(report)
    data["program"] = script
    data["stdout_tail"] = proc.stdout.strip().splitlines()[-5:]
    return data, proc.stderr[-4000:], seconds


def _phrase(script: str, data: dict[str, Any], where: str, seconds: float) -> str:
    code = data["exit_code"]
    ran = "ran" if code == 0 else f"exited {code}"
    if data["target"] == "cuda":
        return f"{script} {ran} natively on {where} in {seconds:.1f} s"
    return (
        f"{script} {ran} on {where} in {seconds:.1f} s: {len(data['redirected'])} kinds of CUDA use redirected, "
        f"{len(data['unmapped'])} CUDA-only calls not mapped"
    )


def section(ctx: AssessContext) -> SectionResult:
    script = ctx.project.config.train_script
    if not script:
        return SectionResult(KEY, TITLE, "skipped", "no train_script in isthmus.toml [assess]")
    if not (ctx.project.root / script).is_file():
        return SectionResult(KEY, TITLE, "fail", f"train_script {script} does not exist")
    host = host_accelerator()
    results: list[dict[str, Any]] = []
    phrases: list[str] = []
    status: SectionStatus = "pass"
    for target, name in plan_runs(host):
        data, err, seconds = _run(ctx, script, target, ctx.work_dir / name)
        if data is None:
            return SectionResult(KEY, TITLE, "error", f"isthmus run --target {target}: {err}", {"stderr": err})
        on_host = target == host.name
        data["ran_on"] = host.label() if on_host else "cpu"
        data["why_there"] = host.reason if on_host or not host.found else "redirection check (stands in for Ascend)"
        where = data["ran_on"] if on_host else f"cpu ({data['why_there']})"
        phrases.append(_phrase(script, data, where, seconds))
        if data["exit_code"] != 0:
            status = "fail"
        elif data["unmapped"] and status == "pass":
            status = "warn"
        results.append(data)
    primary = {**results[0], "runs": results[1:]}
    blocks = tuple(b for d in results for b in _blocks(d))
    return SectionResult(
        KEY, TITLE, status, "; ".join(phrases), primary, blocks, blockers=_blockers(script, results[0])
    )


def _blockers(script: str, data: dict[str, Any]) -> tuple[Blocker, ...]:
    found: list[Blocker] = []
    if data["exit_code"] != 0:
        found.append(
            Blocker(
                "ascend",
                "blocks",
                f"{script} fails under isthmus run: {data.get('error') or 'exit ' + str(data['exit_code'])}",
                "read the program's error in the Unmodified run section; port the failing call by hand",
                "hours",
            )
        )
    if data["unmapped"]:
        first = data["unmapped"][0]
        found.append(
            Blocker(
                "ascend",
                "caveat",
                f"{len(data['unmapped'])} CUDA-only call(s) have no mapping, e.g. {first['what']} at {first['first']}",
                "replace them with isthmus.accel calls (see isthmus scan)",
                "hours",
            )
        )
    return tuple(found)


def _blocks(data: dict[str, Any]) -> list[Block]:
    rows = [(r["what"], r["to"], r["count"], r["first"]) for r in data["redirected"]]
    parts: list[Block] = [
        heading(f"On {data['ran_on']}"),
        para(f"{data['why_there']}."),
        para(
            code(data["command"]),
            f" exit code {data['exit_code']}; full report: ",
            Link(data["report"], data["report"]),
        ),
        table(["CUDA use", "became", "count", "first at"], rows, numeric=(2,)) if rows else para("Nothing redirected."),
    ]
    if data["unmapped"]:
        parts.append(heading("CUDA-only calls not mapped (passed through)", level=4))
        parts.append(
            table(
                ["call", "count", "first at"],
                [(r["what"], r["count"], r["first"]) for r in data["unmapped"]],
                numeric=(1,),
            )
        )
    if data.get("error"):
        parts.append(para("The program raised: ", code(data["error"])))
    parts.append(Code("\n".join(data["stdout_tail"])))
    parts += [para(Span(n, "small")) for n in data.get("notes", [])]
    return parts
