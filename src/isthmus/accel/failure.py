"""Where a program under `isthmus run` failed: the frame in user code and the torch call it was making.

A report that lists no unmapped CUDA call while the program died on one would be wrong, so on failure the runner
locates the failing use from the traceback: the innermost frame outside isthmus, torch and the standard library
(the user's line), and the torch function that frame called into (or, when the error came straight from C++, the
source line itself). `cuda` says whether the failure involves CUDA: the call, the line or the message names it.
"""

from __future__ import annotations

import linecache
import re
import traceback
from dataclasses import dataclass
from typing import Any

from isthmus._paths import display_path
from isthmus.accel.redirect_log import is_internal_file, torch_dir

_CUDA_WORDS = re.compile(
    r"\bcuda\b|cuda[:(._]|\bnccl\b|cudnn|nvidia|accelerator device|not compiled with cuda|\bgpu\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Failure:
    """The failing use: `site` ("file.py:LINE" in user code), `call` (the torch function or the source line),
    `cuda` (the failure involves CUDA) and `error` ("ExceptionType: message")."""

    site: str
    call: str
    cuda: bool
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "call": self.call, "cuda": self.cuda, "error": self.error}

    def describe(self) -> str:
        return f"{self.call}   at {self.site}   ({self.error})"


def _qualified(frame: Any) -> str:
    module = str(frame.f_globals.get("__name__", "?"))
    name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}.{name}"


def locate(exc: BaseException) -> Failure:
    """The user frame and torch call where `exc` was raised (its innermost user frame; "?" when none)."""
    frames = [(f, line) for f, line in traceback.walk_tb(exc.__traceback__)]
    user = [i for i, (f, _) in enumerate(frames) if not is_internal_file(f.f_code.co_filename)]
    text = str(exc)
    error = (f"{type(exc).__name__}: {text}" if text else type(exc).__name__).splitlines()[0][:300]
    if not user:
        return Failure("?", "?", bool(_CUDA_WORDS.search(error)), error)
    i = user[-1]
    frame, line = frames[i]
    filename = frame.f_code.co_filename
    source = linecache.getline(filename, line).strip()
    tdir = torch_dir()
    into_torch = [f for f, _ in frames[i + 1 :] if f.f_code.co_filename.startswith(tdir)]
    call = _qualified(into_torch[0]) if into_torch else source or "?"
    cuda = bool(_CUDA_WORDS.search(error) or _CUDA_WORDS.search(call) or _CUDA_WORDS.search(source))
    return Failure(f"{display_path(filename)}:{line}", call, cuda, error)
