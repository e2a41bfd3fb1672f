"""`isthmus run`: execute an unmodified CUDA-style program on another backend and report every redirection.

    with redirect("cpu") as log:           # reversible: leaving the block restores torch exactly
        ...CUDA-style code...
    result = run_program("cpu", "train.py", None, ["--steps", "3"], Path("run.json"))

`run_program` runs the script (or `-m module`) as `__main__` with its own argv, writes the JSON report even when the
program raises or calls `sys.exit`, and returns the program's exit code in `RunResult.exit_code`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import runpy
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isthmus.accel.failure import Failure, locate
from isthmus.accel.launch import refuse_launcher
from isthmus.accel.redirect_log import Redirection, RedirectionLog, redirected_records, unmapped_records
from isthmus.errors import InputError
from isthmus.files import atomic_write_json

IS_AVAILABLE_NOTE = (
    "torch.cuda.is_available() returns True in the program when the target is usable, so the program takes its "
    "CUDA path and every CUDA call on it is redirected; torch and isthmus internals see the real answer."
)
TRITON_INTERPRET = "TRITON_INTERPRET"
TRITON_NOTE = (
    "Triton was imported and the target has no Triton backend: any `@triton.jit` kernel ran in Triton's interpreter "
    "(TRITON_INTERPRET=1), on the host and much slower than compiled"
)
_active = False
_ISTHMUS_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


@contextlib.contextmanager
def redirect(target: str = "cpu", rebind: Sequence[dict[str, Any]] = ()) -> Iterator[RedirectionLog]:
    """Redirect CUDA usage to `target` inside the block; yields the log. Not reentrant.

    `rebind` holds the namespaces of modules imported before the redirection (a spawned process imports the
    program's main module first): the torch functions they bound by name (`from torch.distributed import
    init_process_group`) are pointed at the replacements too.

    Unknown target -> InputError; target stack missing -> NotInstalledError (both exit code 2 in the CLI).
    """
    global _active
    from isthmus import accel
    from isthmus.accel import rules_cuda, rules_device, rules_generic, rules_misc
    from isthmus.accel.redirect import Patcher, RedirectContext

    acc = accel.get_accelerator(target)
    log = RedirectionLog(acc.name)
    if acc.device_type == "cuda":
        log.notes.append("the target is CUDA: nothing was redirected")
        yield log
        return
    if _active:
        raise InputError("a CUDA redirection is already active in this process", hint="do not nest redirect()")
    log.notes.append(IS_AVAILABLE_NOTE)
    patcher = Patcher()
    ctx = RedirectContext(acc, log, patcher)
    _active = True
    try:
        _follow_visible_devices(acc.visible_devices_env, patcher, log)
        _interpret_triton(acc.supports_triton(), patcher)
        for install in (rules_cuda.install, rules_device.install, rules_misc.install, rules_generic.install):
            install(ctx)
        for namespace in rebind:
            patcher.rebind(namespace)
        yield log
    finally:
        if os.environ.get(TRITON_INTERPRET) == "1" and "triton" in sys.modules:
            log.notes.append(TRITON_NOTE)
        patcher.restore()
        _active = False


def _interpret_triton(target_has_triton: bool, patcher: Any) -> None:
    """On a target without a Triton backend, `@triton.jit` kernels the program defines run in Triton's interpreter
    (on the host, with numpy) instead of failing to find libcuda; Triton reads TRITON_INTERPRET when `triton.jit`
    wraps a kernel. A value the program's environment sets is kept."""
    if not target_has_triton and TRITON_INTERPRET not in os.environ:
        patcher.set_item(os.environ, TRITON_INTERPRET, "1")


def _follow_visible_devices(env: str | None, patcher: Any, log: RedirectionLog) -> None:
    """CUDA_VISIBLE_DEVICES=2,3 selects the target's devices 2 and 3 too (ASCEND_RT_VISIBLE_DEVICES on Ascend,
    ZE_AFFINITY_MASK on Intel), unless the program's environment already sets the target's own variable."""
    cuda = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None or env == "CUDA_VISIBLE_DEVICES" or cuda is None or env in os.environ:
        return
    patcher.set_item(os.environ, env, cuda)
    log.notes.append(f"CUDA_VISIBLE_DEVICES={cuda} was applied as {env}={cuda}")


@dataclass(frozen=True)
class RunResult:
    """The outcome of one `run_program`: the program's exit code and what was redirected."""

    program: str
    argv: tuple[str, ...]
    target: str
    exit_code: int
    error: str | None  # "ExceptionType: message" when the program raised
    seconds: float
    records: tuple[Redirection, ...]
    notes: tuple[str, ...]
    failure: Failure | None = None  # where the program failed (user frame and torch call), when it raised

    @property
    def redirected(self) -> tuple[Redirection, ...]:
        return redirected_records(self.records)

    @property
    def unmapped(self) -> tuple[Redirection, ...]:
        return unmapped_records(self.records)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "isthmus-run/1",
            "program": self.program,
            "argv": list(self.argv),
            "target": self.target,
            "exit_code": self.exit_code,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "redirected": [r.to_json() for r in self.redirected],
            "unmapped": [r.to_json() for r in self.unmapped],
            "failed_at": self.failure.to_json() if self.failure else None,
            "notes": list(self.notes),
        }


def _check_program(script: str | None, module: str | None) -> str:
    if (script is None) == (module is None):
        raise InputError("give a script or -m MODULE (one of them)", hint="isthmus run train.py --steps 3")
    if script is not None:
        path = Path(script)
        refuse_launcher(script, None)
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "no such file"
            raise InputError(f"{script}: {what}", hint="pass the path of a Python script")
        return script
    assert module is not None
    refuse_launcher(None, module)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as e:
        raise InputError(f"cannot find module {module!r}: {e}", hint="check the name and sys.path") from e
    if spec is None:
        raise InputError(f"no module named {module!r}", hint="check the name, or run from its directory")
    return f"-m {module}"


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints the message and exits 1, like Python
    return 1


@contextlib.contextmanager
def _program_env(argv0: str, argv: list[str], path0: str) -> Iterator[None]:
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [argv0, *argv]
    sys.path.insert(0, path0)
    before = set(sys.modules)
    try:
        yield
    finally:
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        # forget the program's own modules (e.g. its `model.py`), so a later program in this process imports its own
        for name in set(sys.modules) - before:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(path0 + os.sep):
                del sys.modules[name]


def run_program(
    target: str,
    script: str | None,
    module: str | None,
    argv: list[str],
    report_path: Path | None,
    contexts: Sequence[Callable[[], contextlib.AbstractContextManager[Any]]] = (),
) -> RunResult:
    """Run a script or module as `__main__` under `redirect(target)` plus `contexts` (entered inside it, in order,
    around the program: they see the program's exception, `SystemExit` included, before the runner handles it).

    Returns the program's exit code (0, `sys.exit`'s code, 1 on an uncaught exception, 130 on Ctrl-C); the
    traceback of an uncaught exception goes to stderr. The report is written whatever the outcome.
    """
    from isthmus import accel

    accel.get_accelerator(target)  # unknown target or missing stack: fail before anything runs
    program = _check_program(script, module)
    log: RedirectionLog | None = None
    code, failure, t0 = 0, None, time.perf_counter()
    argv0 = str(Path(script).resolve()) if script else module or ""
    path0 = str(Path(script).resolve().parent) if script else os.getcwd()
    try:
        with redirect(target) as log, _program_env(argv0, argv, path0):
            with contextlib.ExitStack() as entering:  # all of `contexts` entered, or none left open
                for make in contexts:
                    entering.enter_context(make())
                around = entering.pop_all()
            code, failure = _outcome(script, module, around)
    finally:
        result = RunResult(
            program=program,
            argv=tuple(argv),
            target=log.target if log else target,
            exit_code=code,
            error=failure.error if failure else None,
            seconds=time.perf_counter() - t0,
            records=log.records() if log else (),
            notes=tuple(log.notes) if log else (),
            failure=failure,
        )
        if report_path is not None and log is not None:
            atomic_write_json(report_path, result.to_json())
    return result


def _run_main(script: str | None, module: str | None) -> None:
    if script is not None:
        runpy.run_path(script, run_name="__main__")
    else:
        runpy.run_module(module or "", run_name="__main__", alter_sys=True)


def _outcome(script: str | None, module: str | None, around: contextlib.ExitStack) -> tuple[int, Failure | None]:
    """Run the program inside `around` (the extra contexts, which see its exception first, and may handle it);
    return (exit code, where it failed or None) the way Python would end."""
    try:
        with around:
            _run_main(script, module)
    except SystemExit as e:
        return _exit_code(e.code), None
    except KeyboardInterrupt as e:
        return 130, locate(e)
    except Exception as e:  # the program's own failure: report it like Python would
        print_user_traceback(e)
        return 1, locate(e)
    return 0, None


_RUNPY = (runpy.__file__, contextlib.__file__)


def _is_user_frame(filename: str) -> bool:
    """False for the frames of isthmus itself, runpy, contextlib and frozen bootstrap modules."""
    return not (filename.startswith((_ISTHMUS_DIR, "<frozen")) or filename in _RUNPY)


def _user_frames_only(te: traceback.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if _is_user_frame(f.filename)])
    for other in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if other is not None:
            _user_frames_only(other, seen)


def print_user_traceback(e: BaseException) -> None:
    """Print the exception as Python would, with only the program's frames (and the libraries it called): the
    frames of isthmus, runpy and contextlib between the runner and the program are left out."""
    te = traceback.TracebackException.from_exception(e)
    _user_frames_only(te, set())
    print("".join(te.format()), end="", file=sys.stderr)


def format_text(result: RunResult) -> str:
    """The human summary printed to stderr at exit."""
    lines = [
        f"isthmus run: {result.program} on {result.target}: exit code {result.exit_code}"
        + (f" ({result.error})" if result.error else "")
    ]
    if result.redirected:
        lines.append(f"redirected ({len(result.redirected)} kinds):")
        width = max(len(r.what) for r in result.redirected)
        lines += [f"  {r.what:<{width}}  x{r.count:<5} -> {r.to}   first at {r.first_site}" for r in result.redirected]
    else:
        lines.append("redirected: nothing")
    if result.unmapped:
        lines.append(f"CUDA-only calls not mapped ({len(result.unmapped)}), passed through unchanged:")
        lines += [f"  {r.what}  x{r.count}   first at {r.first_site}" for r in result.unmapped]
    elif result.failure is None or not result.failure.cuda:
        lines.append("CUDA-only calls not mapped: none")
    if result.failure is not None:
        about = "the CUDA use it failed on" if result.failure.cuda else "where it failed (no CUDA use involved)"
        lines.append(f"failed on ({about}):")
        lines.append(f"  {result.failure.describe()}")
    return "\n".join(lines)
