"""Launchers under `isthmus run`: the processes they start are fresh interpreters, which a redirection of the
launcher's own process would not reach, so isthmus goes inside them instead.

`isthmus run --target cpu -m torch.distributed.run --nproc_per_node=2 train.py --lr 3` (or `isthmus run torchrun
...`) becomes `python -m torch.distributed.run --nproc_per_node=2 -m isthmus run --target cpu train.py --lr 3`:
torchrun's own options stay where they were, and every process it starts runs the program under the redirection
(the CLI does this). Other launchers (`accelerate launch`, `deepspeed`) are refused with the command to type.
"""

from __future__ import annotations

from pathlib import Path

from isthmus.errors import InputError

# module or script name -> the command that starts it (the one a user types with isthmus inside)
LAUNCHERS = {
    "torch.distributed.run": "torchrun",
    "torch.distributed.launch": "torchrun",
    "accelerate.commands.launch": "accelerate launch",
    "accelerate.commands.accelerate_cli": "accelerate launch",
    "deepspeed.launcher.runner": "deepspeed",
}
LAUNCHER_SCRIPTS = {"torchrun": "torchrun", "accelerate": "accelerate launch", "deepspeed": "deepspeed"}
TORCHRUN = ("torch.distributed.run", "torchrun")  # what `torchrun_inside` reads (not the deprecated launch module)


def _launcher(script: str | None, module: str | None) -> str | None:
    return LAUNCHERS.get(module or "") if script is None else LAUNCHER_SCRIPTS.get(Path(script).name)


def is_torchrun(script: str | None, module: str | None) -> bool:
    return (module if script is None else Path(script).name) in TORCHRUN


def refuse_launcher(script: str | None, module: str | None) -> None:
    """InputError for a launcher given as the program (one that `isthmus run` does not put itself inside)."""
    launcher = _launcher(script, module)
    if launcher is not None:
        given = script if script is not None else f"-m {module}"
        raise InputError(
            f"{given} is a launcher: the processes it starts are fresh interpreters, which would run without the "
            "redirection",
            hint=f"put isthmus inside it, with the launcher's module option: {launcher} [its options] -m isthmus run "
            "--target TARGET train.py [args]",
        )


def torchrun_inside(launcher_args: list[str], isthmus_options: list[str]) -> list[str]:
    """The interpreter arguments that run torchrun with `isthmus run ISTHMUS_OPTIONS` inside it, around the program
    it was given: `["-m", "torch.distributed.run", *its options, "-m", "isthmus", "run", *options, program...]`."""
    from torch.distributed.run import get_args_parser

    try:
        parsed = get_args_parser().parse_args(launcher_args)
    except SystemExit as e:  # argparse has printed what is wrong with torchrun's arguments
        raise InputError("torchrun's arguments do not parse", hint="see torchrun --help") from e
    if parsed.no_python:
        raise InputError(
            "torchrun --no-python starts a program that is not Python: isthmus cannot go inside it",
            hint="run a Python script or module under torchrun",
        )
    program_args: list[str] = list(parsed.training_script_args)
    options = launcher_args[: len(launcher_args) - len(program_args) - 1]
    options = [o for o in options if o not in ("-m", "--module")]  # torchrun's flag: now for isthmus's module
    program = ["-m", parsed.training_script] if parsed.module else [parsed.training_script]
    return ["-m", "torch.distributed.run", *options, "-m", "isthmus", "run", *isthmus_options, *program, *program_args]
