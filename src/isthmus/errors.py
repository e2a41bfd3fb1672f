"""Exit codes and the exceptions that the CLI turns into one-line messages.

Library code raises an `IsthmusError` subclass whose message says what went wrong *and how to fix it*;
the CLI's top-level handler prints it on one line and exits with the error's `exit_code`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes shared by every `isthmus` command."""

    OK = 0
    FINDINGS = 1  # the command ran and found problems (scan findings, failed parity, a "prohibited" verdict)
    USAGE = 2  # bad input or usage: the message says what to change
    INTERNAL = 3  # a bug in isthmus: rerun with --traceback and report it
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class IsthmusError(Exception):
    """Base class for errors with a user-facing message.

    `hint`, when given, is appended to the message as the fix ("... : try X").
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(IsthmusError):
    """Bad user input: a missing path, a malformed file, an unknown name."""

    exit_code = ExitCode.USAGE


class NotInstalledError(InputError):
    """An optional stack (torch_npu, transformers, ray...) is needed but missing."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} is not installed", hint=f"install it with: {install}")
        self.what = what
        self.install = install
