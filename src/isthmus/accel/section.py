"""Assess section "run": the project's CUDA-style training script, unmodified, under `isthmus run`.

It runs on the accelerator this machine has (`isthmus.report.hardware.host_accelerator`: a CUDA GPU or an Ascend
NPU), else on the CPU, and says which and why. It runs in a subprocess (a crash or a hang in user code cannot take
the report down; the patching never touches the assessing process) with the project's `train_args`, and reports
what was redirected and which CUDA-only calls had no mapping.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from isthmus.report.hardware import host_accelerator
from isthmus.report.html import esc, table
from isthmus.report.model import AssessContext, Blocker, SectionResult, SectionStatus

KEY, TITLE = "run", "Unmodified run"
TIMEOUT_S = 300


def section(ctx: AssessContext) -> SectionResult:
    script = ctx.project.config.train_script
    if not script:
        return SectionResult(KEY, TITLE, "skipped", "no train_script in isthmus.toml [assess]")
    path = (ctx.project.root / script).resolve()
    if not path.is_file():
        return SectionResult(KEY, TITLE, "fail", f"train_script {script} does not exist")
    report = ctx.work_dir / "run.json"
    host = host_accelerator()
    target = host.name or "cpu"
    args = ["run", "--target", target, "--report", str(report), str(path), *ctx.project.config.train_args]
    cmd = [sys.executable, "-m", "isthmus", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ctx.project.root, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return SectionResult(KEY, TITLE, "fail", f"{script} did not finish in {TIMEOUT_S} s under isthmus run")
    seconds = time.perf_counter() - t0
    if not report.is_file():
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return SectionResult(
            KEY, TITLE, "error", f"isthmus run wrote no report: {tail[0]}", {"stderr": proc.stderr[-4000:]}
        )
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    # as the user would type it from the project root, with the report where it ends up (never the temp dir)
    shown = ["isthmus", "run", "--target", target, "--report", "run.json", script, *ctx.project.config.train_args]
    data["command"] = " ".join(shown)
    data["report"] = ctx.rel(report)
    data["program"] = script
    data["ran_on"] = host.label()
    data["why_there"] = host.reason
    data["stdout_tail"] = proc.stdout.strip().splitlines()[-5:]
    redirected, unmapped = data["redirected"], data["unmapped"]
    code = data["exit_code"]
    status: SectionStatus = "fail" if code != 0 else "warn" if unmapped else "pass"
    where = host.label() if host.found else f"cpu ({host.reason})"
    summary = (
        f"{script} {'ran' if code == 0 else f'exited {code}'} on {where} in {seconds:.1f} s: "
        f"{len(redirected)} kinds of CUDA use redirected, {len(unmapped)} CUDA-only calls not mapped"
    )
    return SectionResult(KEY, TITLE, status, summary, data, _html(data), blockers=_blockers(script, data))


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


def _html(data: dict[str, Any]) -> str:
    rows = [(r["what"], r["to"], r["count"], r["first"]) for r in data["redirected"]]
    parts = [
        f"<p>Ran on <b>{esc(data['ran_on'])}</b>: {esc(data['why_there'])}.</p>",
        f"<p><code>{esc(data['command'])}</code> exit code {esc(data['exit_code'])}; "
        f'full report: <a href="{esc(data["report"])}">{esc(data["report"])}</a></p>',
        table(["CUDA use", "became", "count", "first at"], rows, numeric=(2,)),
    ]
    if data["unmapped"]:
        parts.append("<h4>CUDA-only calls not mapped (passed through)</h4>")
        parts.append(
            table(
                ["call", "count", "first at"],
                [(r["what"], r["count"], r["first"]) for r in data["unmapped"]],
                numeric=(1,),
            )
        )
    if data.get("error"):
        parts.append(f"<p>The program raised: <code>{esc(data['error'])}</code></p>")
    parts.append(f"<pre>{esc(chr(10).join(data['stdout_tail']))}</pre>")
    parts += [f"<p><small>{esc(n)}</small></p>" for n in data.get("notes", [])]
    return "\n".join(parts)
