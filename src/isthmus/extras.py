"""Optional stacks: which pip extra installs which module, and the one-line error when one is missing.

The core install (`pip install isthmus`) runs `scan`, `rules`, `hw`, `compliance`, `estimate` and `plan`; torch and
the rest come with extras, so a job that only scans or plans does not pull gigabytes of wheels. A command that
needs a missing stack stops with one line naming the install command (exit code 2), never a traceback.
"""

from __future__ import annotations

import importlib.util

from isthmus.errors import NotInstalledError

# top-level import name -> the extra of pyproject.toml that installs it
EXTRA_OF: dict[str, str] = {
    "torch": "torch",
    "safetensors": "torch",
    "transformers": "hf",
    "torch_npu": "npu",
    "ray": "ray",
    "pynvml": "monitor",
    "prometheus_client": "monitor",
}


def install_command(extra: str) -> str:
    """The shell command that installs one extra: `pip install 'isthmus[torch]'`."""
    return f"pip install 'isthmus[{extra}]'"


def installed(module: str) -> bool:
    """Whether `module` can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that is not a package, or a module with no spec
        return False


def require(module: str, needed_by: str) -> None:
    """Raise NotInstalledError (exit code 2, with the install command) when `module` cannot be imported.

    `needed_by` names what needs it, e.g. "isthmus run"."""
    if not installed(module):
        raise NotInstalledError(f"{module} (needed by {needed_by})", install_command(EXTRA_OF[module]))


def missing_stack(error: BaseException) -> NotInstalledError | None:
    """The NotInstalledError for an import that failed because an optional stack is absent; None for anything else
    (a module missing from an installed stack is a bug, not an install step)."""
    if not isinstance(error, ModuleNotFoundError):
        return None
    top = (error.name or "").split(".")[0]
    if top not in EXTRA_OF or installed(top):
        return None
    return NotInstalledError(top, install_command(EXTRA_OF[top]))
