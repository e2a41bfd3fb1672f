"""The machinery under `isthmus run`: reversible attribute patches and device-argument rewriting.

`Patcher` remembers every attribute it replaces and puts each back in reverse order, so leaving the context
restores torch exactly (including attributes that were inherited rather than set on the object). `RedirectContext`
bundles the target accelerator, the log and the helpers the rule modules (`rules_*.py`) share.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import torch

from isthmus.accel.interface import Accelerator
from isthmus.accel.redirect_log import Kind, RedirectionLog

_MISSING = object()


class Patcher:
    """Set attributes and undo them all, last first.

    A replacement for a function TorchScript knows as a builtin operator (`torch.zeros_like` is `aten::zeros_like`)
    is registered as the same operator while it is installed: `torch.jit.script` on code that calls it compiles the
    operator, as it would without redirection, instead of trying to compile the Python wrapper.
    """

    def __init__(self) -> None:
        # (object, name, previous own value, is a mapping); is None: (list, "", item added to it)
        self._undo: list[tuple[Any, str, Any, bool | None]] = []
        self._jit_ids: list[int] = []  # ids of replacements registered as TorchScript builtins
        self._swaps: dict[int, Any] = {}  # id(value before) -> replacement, for `rebind`

    def set(self, obj: Any, name: str, value: Any) -> None:
        """`setattr(obj, name, value)`, remembering whether `name` was the object's own attribute."""
        own = vars(obj).get(name, _MISSING) if hasattr(obj, "__dict__") else getattr(obj, name, _MISSING)
        self._undo.append((obj, name, own, False))
        before = getattr(obj, name, None)
        self._share_jit_builtin(before, value)
        if before is not None:
            self._swaps[id(before)] = value
        setattr(obj, name, value)

    def rebind(self, namespace: dict[str, Any]) -> int:
        """Point names that a module bound before patching (`from torch.distributed import init_process_group`)
        at their replacements, undone with everything else; returns how many were rebound."""
        names = [k for k, v in namespace.items() if id(v) in self._swaps and not isinstance(v, (int, str, bool))]
        for name in names:
            self.set_item(namespace, name, self._swaps[id(namespace[name])])
        return len(names)

    def _share_jit_builtin(self, original: Any, replacement: Any) -> None:
        if original is None or not callable(replacement):
            return
        table = _jit_builtin_table()
        op = table.get(id(original))
        if op is not None:
            table[id(replacement)] = op
            self._jit_ids.append(id(replacement))

    def set_item(self, mapping: MutableMapping[str, Any], key: str, value: Any) -> None:
        """`mapping[key] = value` (used for `sys.modules` and `os.environ`)."""
        self._undo.append((mapping, key, mapping.get(key, _MISSING), True))
        mapping[key] = value

    def after_import(self, module: str, apply: Callable[[types.ModuleType], None]) -> None:
        """`apply(module)` now if the module is loaded, else right after the program imports it while patched:
        the patches `apply` makes are undone with the others, and a module that is never imported costs nothing."""
        loaded = sys.modules.get(module)
        if loaded is not None:
            apply(loaded)
            return
        finder = _AfterImport(module, apply)
        sys.meta_path.insert(0, finder)  # the list itself: finders the program adds meanwhile stay
        self._undo.append((sys.meta_path, "", finder, None))

    def set_setting(self, obj: Any, name: str, value: Any) -> None:
        """Write a setting that `obj` computes (a property or a `__setattr__` hook, as torch_npu's `allow_hf32`):
        restoring writes the value read now back, rather than deleting an attribute the object never stored."""
        self._undo.append((obj, name, getattr(obj, name), False))
        setattr(obj, name, value)

    def restore(self) -> None:
        table = _jit_builtin_table() if self._jit_ids else {}
        while self._jit_ids:
            table.pop(self._jit_ids.pop(), None)  # the id could be reused by another object once freed
        while self._undo:
            obj, name, old, is_mapping = self._undo.pop()
            if is_mapping is None:
                with contextlib.suppress(ValueError):  # the program may have taken it out itself
                    obj.remove(old)
            elif is_mapping:
                if old is _MISSING:
                    obj.pop(name, None)
                else:
                    obj[name] = old
            elif old is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, old)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds one module with the other finders, and loads it with a loader that then calls `apply` on it."""

    def __init__(self, name: str, apply: Callable[[types.ModuleType], None]) -> None:
        self.name = name
        self.apply = apply

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ThenApply(spec.loader, self.apply)
                return spec
        return None


class _ThenApply(importlib.abc.Loader):
    """The module's own loader, then `apply(module)`; everything else (get_source, ...) is the loader's."""

    def __init__(self, loader: importlib.abc.Loader, apply: Callable[[types.ModuleType], None]) -> None:
        self.loader = loader
        self.apply = apply

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        self.apply(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


def _jit_builtin_table() -> dict[int, str]:
    """TorchScript's table of Python functions it compiles as builtin operators (id -> "aten::name")."""
    from torch.jit import _builtins

    return _builtins._get_builtin_table()  # type: ignore[no-any-return,no-untyped-call]


def called_from_library(depth: int = 2) -> bool:
    """True when the caller `depth` frames up is torch or isthmus itself (they see the real, unredirected API)."""
    name: str = sys._getframe(depth).f_globals.get("__name__", "")
    return name.startswith(("torch.", "isthmus.")) or name in ("torch", "isthmus")


def is_cuda_device(d: Any) -> bool:
    """A device argument that names CUDA: "cuda", "cuda:N" or torch.device("cuda", N)."""
    if isinstance(d, str):
        return d == "cuda" or d.startswith("cuda:")
    return isinstance(d, torch.device) and d.type == "cuda"


def is_ordinal(d: Any) -> bool:
    """A bare device ordinal (`.to(0)`, `device=rank`): CUDA code means "CUDA device N" by it."""
    return isinstance(d, int) and not isinstance(d, bool)


def is_cuda_or_ordinal(d: Any) -> bool:
    """A device argument that CUDA code means as a CUDA device: a CUDA device or a bare ordinal."""
    return is_cuda_device(d) or is_ordinal(d)


class RedirectContext:
    """What every rule module gets: the target, the log, the patcher and device mapping."""

    def __init__(self, accelerator: Accelerator, log: RedirectionLog, patcher: Patcher) -> None:
        self.acc = accelerator
        self.log = log
        self.patcher = patcher
        self.type = accelerator.device_type
        self.indexed = accelerator.device_type != "cpu"  # the CPU has one device: drop indices

    def map_device(self, d: Any) -> Any:
        """The target device for a CUDA device argument, in the same form (str, torch.device or int)."""
        if isinstance(d, int):
            return torch.device(self.type, d) if self.indexed else "cpu"
        index = d.index if isinstance(d, torch.device) else (int(d[5:]) if d.startswith("cuda:") else None)
        text = f"{self.type}:{index}" if self.indexed and index is not None else self.type
        return torch.device(text) if isinstance(d, torch.device) else text

    @staticmethod
    def device_index(device: Any) -> int:
        """The index in a device argument (int, "cuda:N", "npu:N" or torch.device); 0 when it names none."""
        if isinstance(device, int):
            return device
        if isinstance(device, torch.device):
            return device.index or 0
        if isinstance(device, str) and ":" in device:
            return int(device.rsplit(":", 1)[1])
        return 0

    def hit(self, what: str, to: str, kind: Kind = "redirected") -> None:
        self.log.hit(what, to, kind)

    def counted(self, what: str, to: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn`, recording one hit of `what` -> `to` per call."""
        log_hit = self.log.hit

        def call(*args: Any, **kwargs: Any) -> Any:
            log_hit(what, to)
            return fn(*args, **kwargs)

        return call

    def wrap_library_aware(self, original: Callable[..., Any], replacement: Callable[..., Any]) -> Callable[..., Any]:
        """Call `replacement` from user code, `original` when torch or isthmus itself is the caller."""

        def dispatch(*args: Any, **kwargs: Any) -> Any:
            if called_from_library():
                return original(*args, **kwargs)
            return replacement(*args, **kwargs)

        dispatch.__name__ = getattr(original, "__name__", "redirected")
        dispatch.__doc__ = getattr(original, "__doc__", None)
        dispatch.__wrapped__ = original  # type: ignore[attr-defined]
        return dispatch
