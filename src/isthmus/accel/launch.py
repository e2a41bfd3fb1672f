"""torchrun under `isthmus run`: its processes are fresh interpreters, so isthmus goes inside it instead.

`isthmus run --target cpu -m torch.distributed.run --nproc_per_node=2 train.py --lr 3` (or `isthmus run torchrun
...`) becomes `python -m torch.distributed.run --nproc_per_node=2 -m isthmus run --target cpu train.py --lr 3`:
torchrun's own options stay where they were, and every process it starts runs the program under the redirection.
Other launchers (`accelerate launch`, `deepspeed`) are refused by the runner with the command to type.
"""

from __future__ import annotations

from pathlib import Path

from isthmus.errors import InputError

TORCHRUN_MODULES = ("torch.distributed.run",)
TORCHRUN_SCRIPTS = ("torchrun",)


def is_torchrun(script: str | None, module: str | None) -> bool:
    return module in TORCHRUN_MODULES or (script is not None and Path(script).name in TORCHRUN_SCRIPTS)


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
