"""What a CompositeExplicitAutograd operator runs as, learnt by running its composite kernel once on meta copies.

`isthmus ops` and `isthmus emulate` both call `decompose(func, args, kwargs)` the first time they meet such an
operator, so both follow the same parts when the target has no kernel of its own (`_safe_softmax` ->
`_softmax`, `isneginf`, `all`, `masked_fill`...). Nested composites are expanded too (up to `MAX_NESTING`).
Running on meta copies costs no memory and never touches the caller's tensors.
"""

from __future__ import annotations

from typing import Any

from isthmus.ops.levels import program_key
from isthmus.ops.registry import torch_registry
from isthmus.ops.targets import key_of

MAX_NESTING = 4


def is_composite_explicit(key: str) -> bool:
    """CompositeExplicit (and not a view): it has one implementation made of other operators."""
    flags = torch_registry().flags.get(key, "")
    return "E" in flags and "V" not in flags


def _meta_copy(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value if value.device.type == "meta" else torch.empty_strided(
            value.shape, value.stride(), dtype=value.dtype, device="meta"
        )  # fmt: skip
    if isinstance(value, (list, tuple)):
        return type(value)(_meta_copy(v) for v in value)
    return value


def decompose(func: Any, args: Any, kwargs: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """{op key: parts} for `func` and the composites nested in it; {} when its composite kernel refuses meta."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    children: dict[str, list[str]] = {}
    stack: list[str] = []

    class Recorder(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __torch_dispatch__(self, f: Any, types: Any, a: Any = (), kw: Any = None) -> Any:
            kw = kw or {}
            if not isinstance(f, torch._ops.OpOverload) or f.namespace != "aten":
                return f(*a, **kw)
            key = program_key(key_of(f))
            if stack:
                kids = children.setdefault(stack[-1], [])
                if key not in kids and key != stack[-1]:
                    kids.append(key)
            if is_composite_explicit(key) and key not in children and len(stack) < MAX_NESTING:
                return run(f, key, a, kw)
            return f(*a, **kw)

    recorder = Recorder()  # type: ignore[no-untyped-call]

    def run(f: Any, key: str, a: Any, kw: Any) -> Any:
        dk = torch._C.DispatchKey.CompositeExplicitAutograd
        if not f.has_kernel_for_dispatch_key(dk):
            dk = torch._C.DispatchKey.CompositeExplicitAutogradNonFunctional
        children.setdefault(key, [])
        stack.append(key)
        try:
            with recorder:
                return f._op_dk(dk, *a, **kw)
        except Exception:  # the composite kernel refuses these inputs: run the operator itself
            children.pop(key, None)
            return f(*a, **kw)
        finally:
            stack.pop()

    with torch.no_grad():
        try:
            run(func, program_key(key_of(func)), _meta_copy(args), _meta_copy(kwargs))
        except Exception:
            return {}
    return {k: tuple(v) for k, v in children.items() if v}
