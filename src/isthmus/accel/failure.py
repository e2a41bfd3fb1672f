"""Where a program under `isthmus run` failed: the frame in user code and the torch call it was making.

A report that lists no unmapped CUDA call while the program died on one would be wrong, so on failure the runner
locates the failing use from the traceback: the innermost frame outside isthmus, torch and the standard library
(the user's line), and the torch function that frame called into (or, when the error came straight from C++, the
source line itself). When that frame belongs to an installed library (under site-packages, as transformers' or
Triton's), `program` also names the innermost line of the program's own files, the one that called into it.
`cuda` says whether the failure involves CUDA: the call, the line or the message names it.
"""

from __future__ import annotations

import linecache
import os
import re
import traceback
from dataclasses import dataclass
from typing import Any

from isthmus._paths import display_path
from isthmus.accel.redirect_log import is_internal_file, torch_dir

_CUDA_WORDS = re.compile(
    r"\bcuda\b|cuda[:(._]|\bnccl\b|cudnn|nvidia|accelerator device|not compiled with cuda|\bgpu\b", re.IGNORECASE
)


# torch's decorators: the frame below them names the function the program called
_WRAPPERS = ("wrapper", "_fn", "decorate_context", "inner", "_wrapped_call_impl", "_call_impl")


def _named(calls: list[str]) -> str | None:
    """The first call that is not one of torch's decorator frames (else the first)."""
    named = [c for c in calls if not c.rsplit(".", 1)[-1].endswith(_WRAPPERS)] or calls
    return named[0] if named else None


def _installed(filename: str) -> bool:
    """A file of an installed library (not the program's own)."""
    parts = filename.replace("\\", "/").split("/")
    return "site-packages" in parts or "dist-packages" in parts


@dataclass(frozen=True)
class Failure:
    """The failing use: `site` ("file.py:LINE" in user code), `call` (the torch function or the source line),
    `cuda` (the failure involves CUDA), `error` ("ExceptionType: message") and, when `site` is in an installed
    library, `program`: the program's own line that called into it."""

    site: str
    call: str
    cuda: bool
    error: str
    program: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "call": self.call, "cuda": self.cuda, "error": self.error, "program": self.program}

    def describe(self) -> str:
        called_from = f", called from {self.program}" if self.program else ""
        return f"{self.call}   at {self.site}{called_from}   ({self.error})"


def _program_line(files: list[tuple[str, int]], user: list[int]) -> str | None:
    """The innermost of the program's own frames, when the innermost user frame is an installed library's."""
    if not user or not _installed(files[user[-1]][0]):
        return None
    own = [i for i in user if not _installed(files[i][0])]
    return f"{display_path(files[own[-1]][0])}:{files[own[-1]][1]}" if own else None


def _qualified(frame: Any) -> str:
    module = str(frame.f_globals.get("__name__", "?"))
    name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}.{name}"


_TEXT_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)', re.M)


def _torch_function(filename: str, func: str) -> str:
    """torch/distributed/distributed_c10d.py + init_process_group -> torch.distributed.distributed_c10d.init_..."""
    rel = os.path.relpath(filename, os.path.dirname(torch_dir()))
    return f"{rel.removesuffix('.py').replace(os.sep, '.').removesuffix('.__init__')}.{func}"


def _locate_text(text: str) -> Failure | None:
    """The failing use in a traceback carried as text (a spawned process's error re-raised in the parent)."""
    frames = [(m["file"], int(m["line"]), m["func"]) for m in _TEXT_FRAME.finditer(text)]
    user = [i for i, (f, _, _) in enumerate(frames) if not is_internal_file(f)]
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not user or not lines:
        return None
    filename, line, _ = frames[user[-1]]
    error = lines[-1].strip()[:300]
    source = linecache.getline(filename, line).strip()
    tdir = torch_dir()
    into_torch = [_torch_function(f, fn) for f, _, fn in frames[user[-1] + 1 :] if f.startswith(tdir)]
    call = _named(into_torch) or source or "?"
    cuda = bool(_CUDA_WORDS.search(error) or _CUDA_WORDS.search(call) or _CUDA_WORDS.search(source))
    program = _program_line([(f, n) for f, n, _ in frames], user)
    suffix = " (in a spawned process)"
    return Failure(f"{display_path(filename)}:{line}{suffix}", call, cuda, error, program and program + suffix)


def locate(exc: BaseException) -> Failure:
    """The user frame and torch call where `exc` was raised (its innermost user frame; "?" when none)."""
    text = str(exc)
    if "Traceback (most recent call last):" in text:  # torch.multiprocessing's ProcessRaisedException
        found = _locate_text(text)
        if found is not None:
            return found
    frames = [(f, line) for f, line in traceback.walk_tb(exc.__traceback__)]
    user = [i for i, (f, _) in enumerate(frames) if not is_internal_file(f.f_code.co_filename)]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    error = (f"{type(exc).__name__}: {first}" if first else type(exc).__name__)[:300]
    if not user:
        return Failure("?", "?", bool(_CUDA_WORDS.search(error)), error)
    i = user[-1]
    frame, line = frames[i]
    filename = frame.f_code.co_filename
    source = linecache.getline(filename, line).strip()
    tdir = torch_dir()
    into_torch = [_qualified(f) for f, _ in frames[i + 1 :] if f.f_code.co_filename.startswith(tdir)]
    call = _named(into_torch) or source or "?"
    cuda = bool(_CUDA_WORDS.search(error) or _CUDA_WORDS.search(call) or _CUDA_WORDS.search(source))
    program = _program_line([(f.f_code.co_filename, n) for f, n in frames], user)
    return Failure(f"{display_path(filename)}:{line}", call, cuda, error, program)
