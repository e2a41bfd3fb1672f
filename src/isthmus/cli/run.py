"""`isthmus run`: run an unmodified CUDA-style script on another backend and report every redirection."""

from __future__ import annotations

from pathlib import Path

import click

from isthmus.cli._common import TargetName
from isthmus.errors import InputError


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    epilog="Example: isthmus run --target cpu --report run.json examples/tinygpt/train.py --steps 3\n\n"
    "Emulating Ascend: isthmus run --emulate ascend-910b --emulate-report emu.json examples/tinygpt/train.py --steps 3",
)
@click.option(
    "--target",
    default="cpu",
    show_default=True,
    help="auto|cpu|cuda|npu|xpu|mps (or an installed accelerator plugin's name).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the redirection report as JSON to this file (written even if the program fails).",
)
@click.option("-m", "module", default=None, metavar="MODULE", help="Run a module as __main__, like python -m.")
@click.option(
    "--emulate",
    "emulate",
    default=None,
    type=TargetName(),
    help="Also emulate an `isthmus ops` target (e.g. ascend-910b) on the CPU and report what would break.",
)
@click.option("--strict", is_flag=True, help="With --emulate: stop at the first operator or dtype the target lacks.")
@click.option("--numerics", is_flag=True, help="With --emulate: emulate the target's matmul arithmetic.")
@click.option(
    "--emulate-report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --emulate: write the emulation report as JSON to this file.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(
    target: str,
    report: Path | None,
    module: str | None,
    emulate: str | None,
    strict: bool,
    numerics: bool,
    emulate_report: Path | None,
    args: tuple[str, ...],
) -> int:
    """Run SCRIPT [ARGS...] (or -m MODULE [ARGS...]) with torch.cuda, .cuda(), "cuda" devices, CUDA amp,
    streams/events, nccl and cuDNN/TF32 flags redirected to the target; the program's exit code passes through."""
    from isthmus.extras import require

    require("torch", "isthmus run")
    from isthmus.accel.runner import format_text, run_program
    from isthmus.files import check_output_file

    script = None
    argv = list(args)
    if module is None:
        if not argv:
            raise InputError("no script given", hint="isthmus run [--target cpu] script.py [args...]")
        script = argv.pop(0)
    for out, what in ((report, "report"), (emulate_report, "emulation report")):
        if out is not None:
            check_output_file(out, what)  # before the program runs: a report that cannot be written loses the run
    from isthmus.accel.launch import is_torchrun, torchrun_inside

    if is_torchrun(script, module):  # its processes are fresh interpreters: isthmus goes inside it
        import shlex
        import subprocess
        import sys

        options = ["--target", target, *(["--report", str(report)] if report else [])]
        options += ["--emulate", emulate] if emulate else []
        options += [flag for flag, on in (("--strict", strict), ("--numerics", numerics)) if on]
        options += ["--emulate-report", str(emulate_report)] if emulate_report else []
        inside = torchrun_inside(argv, options)
        click.echo(f"isthmus: each process torchrun starts runs under isthmus: python {shlex.join(inside)}", err=True)
        return subprocess.run([sys.executable, *inside], check=False).returncode
    contexts = []
    if emulate is not None:
        from isthmus.ops.emulate import resolve_target
        from isthmus.ops.emulate_program import echo_stderr, program_emulation

        if target != "cpu":
            raise InputError("--emulate runs on the CPU", hint="drop --target or use --target cpu")
        resolve_target(emulate)  # an unknown target fails here, before the program starts
        contexts.append(
            program_emulation(emulate, strict=strict, numerics=numerics, report_path=emulate_report, echo=echo_stderr)
        )
    elif strict or numerics or emulate_report:
        raise InputError("--strict, --numerics and --emulate-report need --emulate TARGET")
    result = run_program(target, script, module, argv, report, contexts)
    click.echo(format_text(result), err=True)
    if report is not None:
        click.echo(f"report: {report}", err=True)
    return result.exit_code
