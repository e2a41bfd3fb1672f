"""Assess section "run": the project's CUDA-style training script, unmodified, under `isthmus run --target cpu`.

It runs in a subprocess (a crash or a hang in user code cannot take the report down; the patching never touches
the assessing process) with the project's `train_args`, and reports what was redirected and which CUDA-only calls
had no mapping.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from isthmus.report.html import esc, table
from isthmus.report.model import AssessContext, SectionResult, SectionStatus

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
    cmd = [
        sys.executable,
        "-m",
        "isthmus",
        "run",
        "--target",
        "cpu",
        "--report",
        str(report),
        str(path),
        *ctx.project.config.train_args,
    ]
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
    data["command"] = " ".join(["isthmus", *cmd[3:]])
    data["stdout_tail"] = proc.stdout.strip().splitlines()[-5:]
    redirected, unmapped = data["redirected"], data["unmapped"]
    code = data["exit_code"]
    status: SectionStatus = "fail" if code != 0 else "warn" if unmapped else "pass"
    summary = (
        f"{script} {'ran' if code == 0 else f'exited {code}'} on cpu in {seconds:.1f} s: "
        f"{len(redirected)} kinds of CUDA use redirected, {len(unmapped)} CUDA-only calls not mapped"
    )
    return SectionResult(KEY, TITLE, status, summary, data, _html(data))


def _html(data: dict[str, Any]) -> str:
    rows = [(r["what"], r["to"], r["count"], r["first"]) for r in data["redirected"]]
    parts = [
        f"<p><code>{esc(data['command'])}</code> exit code {esc(data['exit_code'])}</p>",
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
