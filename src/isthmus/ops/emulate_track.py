"""Where an operator call comes from: module path (forward and backward) and the user's source line.

Module paths come from global module forward hooks; the backward phase of a module is bracketed by gradient
hooks on its outputs (entered) and inputs (left). Source lines come from a walk up the Python stack, done only
when a new problem site is recorded.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import sysconfig
import weakref
from collections.abc import Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from isthmus._paths import display_path

if TYPE_CHECKING:
    import torch
    from torch import nn


def _skip_prefixes() -> tuple[str, ...]:
    import torch

    import isthmus

    # the console-script launchers (`.venv/bin/isthmus`) are no model code either
    roots = {Path(torch.__file__).parent, Path(isthmus.__file__).parent, Path(sysconfig.get_paths()["stdlib"]),
             Path(sysconfig.get_paths()["scripts"]), Path(sys.executable).parent}  # fmt: skip
    for name in ("click", "rich", "pluggy", "_pytest", "pytest"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None):
            roots.add(Path(str(mod.__file__)).parent)
    return tuple(str(r) + os.sep for r in roots)


_SKIP: tuple[str, ...] | None = None


def is_user_file(filename: str) -> bool:
    """False for torch, isthmus, the standard library and frozen/internal code."""
    global _SKIP
    if _SKIP is None:
        _SKIP = _skip_prefixes()
    if filename.startswith("<"):
        return False
    return not os.path.abspath(filename).startswith(_SKIP)


def _describe(filename: str, lineno: int) -> tuple[str, str]:
    return f"{display_path(filename)}:{lineno}", linecache.getline(filename, lineno).strip()


def user_frame(start: FrameType | None = None) -> tuple[str, str]:
    """(file:line, code) of the innermost user frame on the current stack, or ("", "")."""
    frame: FrameType | None = start or sys._getframe(1)
    while frame is not None:
        if is_user_file(frame.f_code.co_filename):
            return _describe(frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return "", ""


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def forward_op_of(node: Any) -> str:
    """The forward operator's base name of an autograd node (`GeluBackward0` -> `gelu`), "" when unknown."""
    name = str(node.name()) if node is not None else ""
    base = re.sub(r"Backward\d*$", "", name)
    return _CAMEL.sub("_", base).lower() if base and base != name else ""


class ForwardLines:
    """The model's source line of each (module path, forward operator) first seen in forward, so that a backward
    kernel can be attributed to the forward line that created its autograd node, never to `.backward()` or the
    launcher. One stack walk per new pair; a dict lookup otherwise."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str | None, str], tuple[str, str]] = {}
        self.first: dict[str | None, tuple[str, str]] = {}

    def note(self, module: str | None, packet: str) -> None:
        """Remember where `packet` ran in `module` (call in forward, from inside the dispatch mode)."""
        key = (module, packet)
        if key not in self.lines:
            line = user_frame()
            self.lines[key] = line
            if line[0]:
                self.first.setdefault(module, line)

    def backward_site(self, module: str | None) -> tuple[str, str]:
        """(file:line, code) of the forward line that created the autograd node being run now."""
        import torch

        fwd = forward_op_of(torch._C._current_autograd_node())
        line = self.lines.get((module, fwd)) or self.lines.get((module, "_" + fwd)) if fwd else None
        if line and line[0]:
            return line[0], f"(backward of) {line[1]}"
        near = self.first.get(module)
        return (near[0], f"(backward, in the forward of this module) {near[1]}") if near else ("", "")


def traceback_location(tb: TracebackType | None, *, any_frame: bool = True) -> tuple[str, str]:
    """(file:line, code) of the innermost user frame of a traceback (where a crash happened); with `any_frame`,
    the innermost frame of all when no user code is involved."""
    found = last = ("", "")
    while tb is not None:
        here = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        if is_user_file(here[0]):
            found = _describe(*here)
        last = _describe(*here)
        tb = tb.tb_next
    return found if found[0] or not any_frame else last


def exception_location(exc: BaseException) -> tuple[str, str]:
    """Where `exc`, or the exception it was raised from, happened in user code (innermost frame otherwise)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for e in chain:
        loc = traceback_location(e.__traceback__, any_frame=False)
        if loc[0]:
            return loc
    return traceback_location(exc.__traceback__)


def _tensors(obj: Any) -> Iterable[torch.Tensor]:
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            if isinstance(o, torch.Tensor):
                yield o
    elif isinstance(obj, dict):
        for o in obj.values():
            if isinstance(o, torch.Tensor):
                yield o


class ModuleTracker:
    """Keeps the current module path in forward (`fwd`) and backward (`bwd`) while installed.

    `root`, when given, names every submodule by its path under it ("" for the root). Without it, the first
    module called from outside any module becomes a root. A module with no known name is named by its class.
    """

    def __init__(self, root: nn.Module | None = None) -> None:
        self.names: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()
        self.fwd: list[str] = []
        self.bwd: list[str] = []
        self._handles: list[Any] = []
        if root is not None:
            self._name_tree(root)

    def _name_tree(self, root: nn.Module) -> None:
        for name, m in root.named_modules(remove_duplicate=False):
            self.names.setdefault(m, name)

    def install(self) -> None:
        from torch.nn.modules import module as nn_module

        self._handles = [
            nn_module.register_module_forward_pre_hook(self._pre),
            nn_module.register_module_forward_hook(self._post),
        ]

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    @property
    def active(self) -> bool:
        """True inside a module's forward."""
        return bool(self.fwd)

    def current(self, backward: bool) -> str | None:
        stack = self.bwd if backward else self.fwd
        return stack[-1] if stack else None

    def _path(self, module: nn.Module) -> str:
        name = self.names.get(module)
        if name is None:
            if not self.fwd:
                self._name_tree(module)
                return self.names.get(module, "")
            return type(module).__name__
        return name

    def _pre(self, module: nn.Module, args: Any) -> None:
        import torch

        if not self.fwd:
            self.bwd.clear()  # a new step: the previous backward is over
        path = self._path(module)
        self.fwd.append(path)
        if torch.is_grad_enabled():
            for t in _tensors(args):
                if t.requires_grad:
                    t.register_hook(self._leave(path))  # type: ignore[no-untyped-call]

    def _post(self, module: nn.Module, args: Any, output: Any) -> None:
        import torch

        if not self.fwd:
            return
        path = self.fwd.pop()
        if torch.is_grad_enabled():
            for t in _tensors(output):
                if t.requires_grad and t.grad_fn is not None:
                    t.register_hook(self._enter(path))  # type: ignore[no-untyped-call]

    def _enter(self, path: str) -> Any:
        def hook(grad: torch.Tensor) -> None:
            self.bwd.append(path)

        return hook

    def _leave(self, path: str) -> Any:
        def hook(grad: torch.Tensor) -> None:
            for i in range(len(self.bwd) - 1, -1, -1):
                if self.bwd[i] == path:
                    del self.bwd[i]
                    return

        return hook
