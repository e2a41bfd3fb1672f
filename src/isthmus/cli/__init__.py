"""The `isthmus` command line: a lazy click group and the top-level error handler.

Each subcommand lives in its own module (`isthmus.cli.<name>`, attribute `command`) and is imported only when it
runs, so `isthmus --help` never imports torch. Add a command by adding one line to `COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any, NoReturn

import click

from isthmus import __version__
from isthmus.errors import ExitCode, IsthmusError
from isthmus.extras import missing_stack

# name -> (module under isthmus.cli, one-line help shown by `isthmus --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("assess", "Run every capability on a project and write a readiness report."),
    "doctor": ("doctor", "Show what this machine can run: torch build, GPUs/NPUs, installed extras."),
    "scan": ("scan", "Find (and fix) CUDA-only code: rule codes, suppressions, JSON/SARIF."),
    "rules": ("scan", "List the scan rules with their codes, categories and severities."),
    "ops": ("ops", "List the operators a model executes and check them against target registries."),
    "emulate": (
        "emulate",
        "Run a model on the CPU under a target's constraints and report what would break.",
    ),
    "run": ("run", "Run an unmodified CUDA-style script on another backend, reporting every redirection."),
    "parity": (
        "parity",
        "Record activations on one platform, compare on another, find the first divergence.",
    ),
    "hw": ("hw", "Browse the hardware catalogue (every figure with its source)."),
    "compliance": (
        "compliance",
        "Export-control verdicts, chip x region matrices and ECCN 3A090 classification.",
    ),
    "estimate": ("estimate", "Estimate LLM training and serving performance on NVIDIA and Ascend systems."),
    "plan": ("plan", "Plan a fleet: what to run where, at what cost, under which rules."),
    "monitor": ("monitor", "Accelerator telemetry in one schema for NVIDIA and Ascend; Prometheus exporter."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"isthmus.cli.{module_name}")
        attr = "rules" if cmd_name == "rules" else "command"
        command: click.Command = getattr(module, attr)
        if not any(p.name == "traceback" for p in command.params):
            # `isthmus scan --traceback ...` works like `isthmus --traceback scan ...` (main() reads the flag)
            command.params.append(
                click.Option(["--traceback"], is_flag=True, hidden=True, expose_value=False, is_eager=True)
            )
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog="Example: isthmus assess examples/tinygpt --out build/assess",
)
@click.version_option(__version__, "--version", "-V", prog_name="isthmus")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, traceback: bool) -> None:
    """isthmus: make one PyTorch codebase, model and capacity plan serve both CUDA and Ascend."""
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = traceback


def _one_line(message: str, limit: int = 600) -> str:
    """Messages that wrap inside (a library's multi-line text) become one line, cut at `limit` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _own_args(args: list[str]) -> list[str]:
    """The arguments that are ours: for `isthmus run`, those after the script (or `-m MODULE`) are the program's."""
    if "run" not in args:
        return args
    for i, a in enumerate(args):
        if a.endswith(".py") or (a == "-m" and i > 0):
            return args[: i + (2 if a == "-m" else 1)]
    return args


def _fail(e: IsthmusError, show_tb: bool) -> NoReturn:
    """Print a known error on one line (after the stack with --traceback) and exit with its code."""
    if show_tb:  # the stack, then the same exit code as without --traceback
        traceback.print_exc()
    click.echo(f"isthmus: error: {_one_line(str(e))}", err=True)
    sys.exit(int(e.exit_code))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every failure into a one-line message and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    show_tb = "--traceback" in _own_args(args)
    try:
        code: Any = cli.main(args=args, prog_name="isthmus", standalone_mode=False)
    except IsthmusError as e:
        _fail(e, show_tb)
    except click.exceptions.Abort:
        click.echo("isthmus: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as e:
        ctx = getattr(e, "ctx", None)
        usage = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(e.format_message().split())  # one line, whatever click wrapped
        click.echo(f"isthmus: error: {message}{usage}", err=True)
        sys.exit(int(ExitCode.USAGE) if e.exit_code == 2 else e.exit_code)
    except KeyboardInterrupt:
        click.echo("isthmus: interrupted", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # a bug: say so, briefly, unless asked for the stack
        missing = missing_stack(e)  # ... unless it is an optional stack that is not installed
        if missing is not None:
            _fail(missing, show_tb)
        if show_tb:
            traceback.print_exc()
            sys.exit(int(ExitCode.INTERNAL))
        click.echo(
            f"isthmus: internal error: {type(e).__name__}: {_one_line(str(e))} (rerun with --traceback and report it)",
            err=True,
        )
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(int(code) if isinstance(code, int) else 0)
