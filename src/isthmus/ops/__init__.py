"""Operator inventories and target profiles: what a model executes, and whether each target can run it.

Public API (other capabilities use only this):
- `get_target(name, torch_npu_version=None) -> TargetProfile`, `list_targets()`: device profiles with their
  operator registries (torch's native_functions.yaml, torch_npu's published op lists) and dtype tables;
- `TargetProfile.support(op) / .support_of(func) -> OpSupport`, `.dtype_support(dtype) -> DtypeSupport`;
- `inventory(spec, targets, ...) -> Inventory`: capture a model's operators on meta tensors and check them;
- `emulation(target, strict=..., numerics=...) -> ContextManager[EmulationReport]`: run real computation on the CPU
  under a target's operator and dtype constraints (raises `EmulationError` in strict mode);
  `emulate_model(spec, target, ...)` runs a model's training step that way, `resolve_target(name)` gives the
  profile it uses;
- `collapse(paths)`: module paths shortened for a table cell.

Importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from isthmus.ops.registry import npu_versions
from isthmus.ops.targets import DtypeSupport, OpSupport, TargetProfile, get_target, key_of, list_targets, op_key

if TYPE_CHECKING:
    from isthmus.ops.capture import Capture, capture_model
    from isthmus.ops.emulate import EmulationError, emulation, resolve_target
    from isthmus.ops.emulate_report import EmulationReport
    from isthmus.ops.emulate_run import emulate_model
    from isthmus.ops.inventory import Inventory, build_inventory, inventory
    from isthmus.ops.render import collapse

__all__ = [
    "Capture",
    "DtypeSupport",
    "EmulationError",
    "EmulationReport",
    "Inventory",
    "OpSupport",
    "TargetProfile",
    "build_inventory",
    "capture_model",
    "collapse",
    "emulate_model",
    "emulation",
    "get_target",
    "inventory",
    "key_of",
    "list_targets",
    "npu_versions",
    "op_key",
    "resolve_target",
]

_LAZY = {
    "Capture": "isthmus.ops.capture",
    "capture_model": "isthmus.ops.capture",
    "Inventory": "isthmus.ops.inventory",
    "build_inventory": "isthmus.ops.inventory",
    "inventory": "isthmus.ops.inventory",
    "emulation": "isthmus.ops.emulate",
    "EmulationError": "isthmus.ops.emulate",
    "EmulationReport": "isthmus.ops.emulate_report",
    "emulate_model": "isthmus.ops.emulate_run",
    "resolve_target": "isthmus.ops.emulate",
    "collapse": "isthmus.ops.render",
}


def __getattr__(name: str) -> Any:
    """Import the torch-using parts on first use, so `import isthmus.ops` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'isthmus.ops' has no attribute {name!r}")
