"""Which accelerator this process uses: env override > one active plugin > built-in probe > CPU (with a warning).

Probes are zero-argument functions returning an `Accelerator` subclass or None; they never initialise a device.
Third-party backends register a probe in the entry-point group `isthmus.accelerators.v1`
(`name = "package.module:probe"`); a plugin is *active* when its probe returns a class. More than one active
plugin is an error, so a machine never picks a backend by accident.
"""

from __future__ import annotations

import difflib
import importlib
import os
import warnings
from collections.abc import Callable
from importlib.metadata import entry_points

from isthmus.accel.interface import Accelerator
from isthmus.errors import InputError, NotInstalledError

ENTRY_POINT_GROUP = "isthmus.accelerators.v1"
ENV_VAR = "ISTHMUS_ACCELERATOR"

# name -> module with `probe()` and the backend class; probe order for built-in detection
BUILTINS: dict[str, tuple[str, str]] = {
    "cuda": ("isthmus.accel.cuda", "CudaAccelerator"),
    "npu": ("isthmus.accel.npu", "NpuAccelerator"),
    "xpu": ("isthmus.accel.xpu", "XpuAccelerator"),
    "mps": ("isthmus.accel.mps", "MpsAccelerator"),
    "cpu": ("isthmus.accel.cpu", "CpuAccelerator"),
}

Probe = Callable[[], "type[Accelerator] | None"]


def backend_class(name: str) -> type[Accelerator]:
    """The class of a built-in backend by name (no probing)."""
    if name not in BUILTINS:
        raise _unknown(name)
    module_name, cls_name = BUILTINS[name]
    cls: type[Accelerator] = getattr(importlib.import_module(module_name), cls_name)
    return cls


def builtin_probe(name: str) -> Probe:
    probe: Probe = importlib.import_module(BUILTINS[name][0]).probe
    return probe


def plugin_probes() -> dict[str, Probe]:
    """Entry points of `isthmus.accelerators.v1`, loaded (loading a probe must not touch a device)."""
    found: dict[str, Probe] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as e:  # any error of third-party code at import: name the plugin, not our internals
            dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
            raise InputError(
                f"accelerator plugin {ep.name!r} ({ep.value}, from {dist}) fails to load: {type(e).__name__}: {e}",
                hint=f"fix or uninstall {dist if ep.dist is not None else 'the package that provides it'}",
            ) from e
    return found


def known_names() -> list[str]:
    return [*BUILTINS, *sorted(plugin_probes())]


def resolve(name: str) -> type[Accelerator]:
    """The backend class for `name` (built-in or plugin) if its stack is present and it sees a device.

    Unknown name -> InputError with the nearest names; stack missing or no device -> NotInstalledError/InputError.
    """
    plugins = plugin_probes()
    if name in plugins:
        cls = plugins[name]()
        if cls is None:
            raise InputError(f"accelerator plugin {name!r} is installed but not active on this machine")
        return cls
    cls_ = backend_class(name)
    if builtin_probe(name)() is None:
        if name == "npu" and importlib.util.find_spec("torch_npu") is None:
            raise NotInstalledError("torch_npu (the Ascend PyTorch adapter)", cls_.install_hint.split(": ", 1)[-1])
        if name in ("cuda", "xpu") and not _built_with(name):
            raise NotInstalledError(f"a {name.upper()} build of torch", cls_.install_hint.split(": ", 1)[-1])
        raise InputError(
            f"no {name} device is visible on this machine",
            hint=f"check the driver and {cls_.visible_devices_env or 'the torch build'}",
        )
    return cls_


def detect() -> type[Accelerator]:
    """Run discovery in order and return the chosen backend class."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return resolve(override)
    active = {name: cls for name, probe in plugin_probes().items() if (cls := probe()) is not None}
    if len(active) > 1:
        raise InputError(
            f"more than one accelerator plugin is active: {', '.join(sorted(active))}",
            hint=f"choose one with {ENV_VAR}=<name>",
        )
    if active:
        return next(iter(active.values()))
    for name in BUILTINS:
        if name == "cpu":
            break
        cls = builtin_probe(name)()
        if cls is not None:
            return cls
    warnings.warn("isthmus.accel: no accelerator found, using the CPU", RuntimeWarning, stacklevel=3)
    return backend_class("cpu")


def _built_with(name: str) -> bool:
    import torch

    if name == "cuda":
        return bool(torch.backends.cuda.is_built())  # type: ignore[no-untyped-call]
    return hasattr(torch, name) and hasattr(getattr(torch, name), "is_available")


def _unknown(name: str) -> InputError:
    names = known_names() if name not in BUILTINS else list(BUILTINS)
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"choose one of {', '.join(names)}"
    return InputError(f"unknown accelerator {name!r}", hint=hint)
