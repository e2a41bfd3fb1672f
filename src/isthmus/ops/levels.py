"""The level at which a target's dispatcher sees an operator, shared by `isthmus ops` and `isthmus emulate`.

The host that runs a capture or an emulation is a CPU, and the CPU lowers a few device-neutral composites into
kernels only it has: `lstm` into `mkldnn_rnn_layer`, `scaled_dot_product_attention` into
`_scaled_dot_product_flash_attention_for_cpu`. A target never sees those kernels; it sees the operator the
program called and runs its own kernel for it (torch_npu lists `lstm.input`). Two mechanisms keep reports at
the program's level, and both commands use them:

- `HIGH_LEVEL` names the Python entry points of such composites; the capture records them as themselves
  (forward and backward) before they decompose (on meta tensors they would decompose into the generic path);
- `program_key` maps a host-only kernel that still reaches a dispatch mode (the emulation runs real CPU kernels)
  back to the operator the program called, from `knowledge.HOST_KERNELS` and `knowledge.LOWERINGS`.

A CPU-only kernel that neither table names (`mkldnn_*`, `_nnpack_*`, `fbgemm_*`, `*_cpu` without a CUDA
kernel) is reported as unverified: it may be the host's lowering of something else (see `host_only`).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from functools import cache
from typing import Any

from isthmus.ops import knowledge

_HOST_ONLY = re.compile(r"^_?(mkldnn_|_?nnpack_|fbgemm_)|_cpu(_backward)?$|_for_cpu")


@cache
def _host_table() -> dict[str, tuple[str, str]]:
    """Host kernel packet -> (op key the program called, source)."""
    out: dict[str, tuple[str, str]] = {}
    for composite, per_device in knowledge.LOWERINGS.items():
        kernels, source = per_device.get("cpu", ((), ""))
        for kernel in kernels:
            out[kernel] = (composite, source)
            out[kernel + "_backward"] = (composite, source)
    out.update(knowledge.HOST_KERNELS)
    return out


def program_key(key: str) -> str:
    """The op key the program called for a host kernel key (`mkldnn_rnn_layer` -> `lstm.input`), else `key`."""
    hit = _host_table().get(key.split(".", 1)[0])
    return hit[0] if hit else key


def lowering_source(key: str) -> str | None:
    """Where the mapping of a host kernel to the program's operator comes from (None: not a known lowering)."""
    hit = _host_table().get(key.split(".", 1)[0])
    return hit[1] if hit else None


def host_only(key: str, flags: str) -> bool:
    """A CPU-only kernel (by name and by native_functions.yaml: a CPU kernel and no CUDA kernel)."""
    return bool(_HOST_ONLY.search(key.split(".", 1)[0])) and "C" in flags and "G" not in flags


def _rnn_key(name: str) -> Callable[[tuple[Any, ...]], str]:
    """`torch.lstm(input, hx, ...)` is `lstm.input`; `torch.lstm(data, batch_sizes, ...)` (packed) is `lstm.data`."""

    def key(args: tuple[Any, ...]) -> str:
        import torch

        packed = len(args) > 1 and isinstance(args[1], torch.Tensor)
        return f"{name}.data" if packed else f"{name}.input"

    return key


def _fixed(key: str) -> Callable[[tuple[Any, ...]], str]:
    return lambda _args: key


@cache
def high_level() -> dict[Any, Callable[[tuple[Any, ...]], str]]:
    """Python entry point -> its op key from the call's arguments (imports torch: call lazily)."""
    import torch
    import torch.nn.functional as F

    return {
        F.scaled_dot_product_attention: _fixed("scaled_dot_product_attention"),
        F.dropout: _fixed("dropout"),
        F.rms_norm: _fixed("rms_norm"),
        torch.lstm: _rnn_key("lstm"),
        torch.gru: _rnn_key("gru"),
        torch.rnn_tanh: _rnn_key("rnn_tanh"),
        torch.rnn_relu: _rnn_key("rnn_relu"),
    }


_NO_TORCH_FUNCTION = {n: (lambda *_a, **_k: False) for n in
                      ("has_torch_function", "has_torch_function_unary", "has_torch_function_variadic")}  # fmt: skip
_OPEN: dict[Any, Any] = {}


def opened(func: Any) -> Any:
    """For a Python function of torch.nn.functional, a copy whose own torch-function check is off, else None.

    A `TorchFunctionMode` handler runs with the mode popped, so the composites a Python-level function calls
    (the scaled_dot_product_attention inside `multi_head_attention_forward`) would go unseen; running this copy
    with the mode pushed again lets the mode see them, without recursing into the function itself.
    """
    if getattr(func, "__module__", None) != "torch.nn.functional" or not isinstance(func, types.FunctionType):
        return None
    body = _OPEN.get(func)
    if body is None:
        globals_ = {**func.__globals__, **_NO_TORCH_FUNCTION}
        body = types.FunctionType(func.__code__, globals_, func.__name__, func.__defaults__, func.__closure__)
        body.__kwdefaults__ = func.__kwdefaults__
        _OPEN[func] = body
    return body


_ACTIVE: set[Any] = set()


def call_opened(mode: Any, func: Any, args: Any, kwargs: Any) -> Any:
    """Call `func` from `mode`'s `__torch_function__`: an opened copy with `mode` pushed again when `func` is a
    Python function of torch.nn.functional (once per call chain: `max_pool2d` hands its own handler a
    different function, which would otherwise open it again forever), else `func` itself."""
    body = opened(func) if func not in _ACTIVE else None
    if body is None:
        return func(*args, **kwargs)
    _ACTIVE.add(func)
    try:
        with mode:
            return body(*args, **kwargs)
    finally:
        _ACTIVE.discard(func)
