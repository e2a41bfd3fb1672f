"""Run a script on a host without an accelerator, giving the device-generic torch APIs their CPU meaning.

Upstream torch raises "Cannot access accelerator device when none is available" from `torch.accelerator.synchronize`
and friends, and `torch.Event` has no CPU backend; on such a host those calls mean "nothing to wait for" and
"wall-clock timing". Usage: python scan_cpu_host.py SCRIPT [ARGS...]
"""

from __future__ import annotations

import runpy
import sys
import time

import torch


class _CpuEvent:
    def __init__(self, *args: object, enable_timing: bool = False, **kwargs: object) -> None:
        self.t = 0.0

    def record(self, *args: object) -> None:
        self.t = time.perf_counter()

    def synchronize(self) -> None:
        pass

    def elapsed_time(self, end: _CpuEvent) -> float:
        return (end.t - self.t) * 1000.0


if not torch.accelerator.is_available():
    torch.Event = _CpuEvent  # type: ignore[misc,assignment]
    torch.accelerator.synchronize = lambda *a, **k: None  # type: ignore[assignment]
    torch.accelerator.max_memory_allocated = lambda *a, **k: 0  # type: ignore[assignment]
    torch.accelerator.empty_cache = lambda *a, **k: None  # type: ignore[assignment]
    torch.Tensor.pin_memory = lambda self, *a, **k: self  # type: ignore[method-assign]

script, sys.argv = sys.argv[1], sys.argv[1:]
sys.path.insert(0, str(__import__("pathlib").Path(script).resolve().parent))
runpy.run_path(script, run_name="__main__")
