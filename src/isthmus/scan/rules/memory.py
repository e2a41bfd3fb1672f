"""IST2xx: memory, streams, events, RNG and synchronisation (portability.md §6.2), plus CUDA env vars."""

from __future__ import annotations

import ast
from typing import ClassVar

from isthmus.scan.context import PyContext
from isthmus.scan.rules._env import CUDA_VAR, advice, env_var_nodes
from isthmus.scan.rules.base import Case, NameRule, NodeRule

_STATS = (
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "reset_peak_memory_stats",
    "memory_stats",
    "empty_cache",
    "reset_accumulated_memory_stats",
)


class CudaMemoryStats(NameRule):
    """`torch.cuda` memory statistics read 0 (and `empty_cache()` does nothing) where CUDA is absent.

    Bad:  `mem = torch.cuda.max_memory_allocated()`
    Good: `mem = torch.accelerator.max_memory_allocated()` (torch >= 2.8)
    """

    code = "IST201"
    name = "cuda-memory-stats"
    category = "memory"
    severity = "warning"
    message = "silently 0 / a no-op on the target: use torch.accelerator.<same name>"
    tokens = (b"memory", b"empty_cache")
    names: ClassVar[dict[str, str | None]] = {
        **{f"torch.cuda.{n}": f"{{torch}}.accelerator.{n}" for n in _STATS},
        **{f"torch.cuda.memory.{n}": f"{{torch}}.accelerator.{n}" for n in _STATS},
    }
    VALID = ("import torch\nm = torch.accelerator.memory_allocated()",)
    INVALID = (
        Case(
            "import torch\nm = torch.cuda.max_memory_allocated() / 2**20",
            "import torch\nm = torch.accelerator.max_memory_allocated() / 2**20",
        ),
        Case("import torch\ntorch.cuda.empty_cache()", "import torch\ntorch.accelerator.empty_cache()"),
    )


class CudaMemoryControl(NameRule):
    """Other `torch.cuda` memory APIs fail without CUDA.

    Bad:  `free, total = torch.cuda.mem_get_info()`, `torch.cuda.set_per_process_memory_fraction(0.9)`
    Good: `torch.accelerator.get_memory_info()`, `torch.get_device_module().set_per_process_memory_fraction(0.9)`
    """

    code = "IST202"
    name = "cuda-memory-control"
    category = "memory"
    severity = "error"
    message = "fails without CUDA: use torch.accelerator / torch.get_device_module() memory APIs"
    tokens = (b"mem_get_info", b"memory_summary", b"memory_fraction", b"caching_allocator", b"MemPool")
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.mem_get_info": "!{torch}.accelerator.get_memory_info",
        "torch.cuda.memory.mem_get_info": "!{torch}.accelerator.get_memory_info",
        "torch.cuda.memory_summary": "!{torch}.get_device_module().memory_summary",
        "torch.cuda.set_per_process_memory_fraction": "!{torch}.get_device_module().set_per_process_memory_fraction",
        "torch.cuda.caching_allocator_alloc": None,
        "torch.cuda.caching_allocator_delete": None,
        "torch.cuda.MemPool": None,
    }
    VALID = ("import torch\nfree, total = torch.accelerator.get_memory_info()",)
    INVALID = (
        Case(
            "import torch\nfree, total = torch.cuda.mem_get_info()",
            "import torch\nfree, total = torch.accelerator.get_memory_info()",
        ),
        Case(
            "import torch\ns = torch.cuda.memory_summary()",
            "import torch\ns = torch.get_device_module().memory_summary()",
        ),
    )


class CudaMemorySnapshot(NameRule):
    """Memory-history snapshots are CUDA-only APIs (torch_npu has its own under `torch.npu.memory`).

    Bad:  `torch.cuda.memory._record_memory_history()`
    Good: call the target's device module behind a check: `torch.get_device_module()` on the target
    """

    code = "IST203"
    name = "cuda-memory-snapshot"
    category = "memory"
    severity = "error"
    message = "CUDA-only memory history: guard it and use the target's device module"
    tokens = (b"snapshot", b"memory_history")
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.memory._record_memory_history": None,
        "torch.cuda.memory._snapshot": None,
        "torch.cuda.memory._dump_snapshot": None,
        "torch.cuda.memory_snapshot": None,
    }
    VALID = ("import torch\nsnap = take_snapshot()",)
    INVALID = ("import torch\ntorch.cuda.memory._record_memory_history(max_entries=100000)",)


class CudaStream(NameRule):
    """CUDA streams do not exist on the target.

    Bad:  `s = torch.cuda.Stream()`; `with torch.cuda.stream(s): ...`; `torch.cuda.current_stream()`
    Good: `s = torch.Stream()`; `with torch.get_device_module().stream(s): ...`;
          `torch.accelerator.current_stream()`
    """

    code = "IST204"
    name = "cuda-stream"
    category = "memory"
    severity = "error"
    message = "CUDA streams: use torch.Stream / torch.accelerator.current_stream()"
    tokens = (b"Stream", b"stream")
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.Stream": "!{torch}.Stream",
        "torch.cuda.stream": "{torch}.get_device_module().stream",
        "torch.cuda.current_stream": "!{torch}.accelerator.current_stream",
        "torch.cuda.set_stream": "!{torch}.accelerator.set_stream",
        "torch.cuda.default_stream": None,
        "torch.cuda.ExternalStream": None,
        "torch.cuda.streams": None,
    }
    VALID = ("import torch\ns = torch.Stream()",)
    INVALID = (
        Case("import torch\ns = torch.cuda.Stream()", "import torch\ns = torch.Stream()"),
        Case(
            "import torch\nwith torch.cuda.stream(s):\n    pass\n",
            "import torch\nwith torch.get_device_module().stream(s):\n    pass\n",
        ),
    )


class CudaEvent(NameRule):
    """CUDA events do not exist on the target; `torch.Event` works on every accelerator.

    Bad:  `start = torch.cuda.Event(enable_timing=True)`
    Good: `start = torch.Event(enable_timing=True)`

    With keyword arguments the fix is safe (same calls, same timings on CUDA); positional arguments are not
    rewritten because `torch.Event`'s first parameter is the device.
    """

    code = "IST205"
    name = "cuda-event"
    category = "memory"
    severity = "error"
    message = "CUDA events: use torch.Event(enable_timing=...)"
    tokens = (b"Event",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.Event": None, "torch.cuda.streams.Event": None}
    VALID = ("import torch\ne = torch.Event(enable_timing=True)",)
    INVALID = (
        Case(
            "import torch\ne = torch.cuda.Event(enable_timing=True)",
            "import torch\ne = torch.Event(enable_timing=True)",
        ),
        "import torch\ne = torch.cuda.Event(True)",
    )

    def check_ref(self, node: ast.expr, qualname: str, matched: str, parent: ast.AST | None, ctx: PyContext) -> None:
        fix = None
        if isinstance(parent, ast.Call) and parent.func is node and not parent.args:
            fix = ctx.replace(node, f"{ctx.torch_name}.Event", "use torch.Event")
        ctx.report(self, node, self.message_for(qualname), fix)


class CudaSynchronize(NameRule):
    """`torch.cuda.synchronize()` fails without CUDA.

    Bad:  `torch.cuda.synchronize()`
    Good: `torch.accelerator.synchronize()`
    """

    code = "IST206"
    name = "cuda-synchronize"
    category = "memory"
    severity = "error"
    message = "fails without CUDA: use torch.accelerator.synchronize()"
    tokens = (b"synchronize",)
    names: ClassVar[dict[str, str | None]] = {"torch.cuda.synchronize": "{torch}.accelerator.synchronize"}
    VALID = ("import torch\ntorch.accelerator.synchronize()", "stream.synchronize()")
    INVALID = (
        Case("import torch\ntorch.cuda.synchronize()", "import torch\ntorch.accelerator.synchronize()"),
        Case(
            "from torch.cuda import synchronize\nsynchronize()",
            "from torch.cuda import synchronize\nimport torch\ntorch.accelerator.synchronize()",
        ),
    )


class CudaSeed(NameRule):
    """Seeding through `torch.cuda` is silently skipped on the target: its RNG stays unseeded.

    Bad:  `torch.cuda.manual_seed_all(seed)`
    Good: `torch.manual_seed(seed)` (seeds the CPU and every device)

    The fix is unsafe: `torch.manual_seed` also reseeds the CPU generator.
    """

    code = "IST207"
    name = "cuda-seed"
    category = "memory"
    severity = "warning"
    message = "skipped on the target (its RNG stays unseeded): torch.manual_seed(seed) seeds every device"
    tokens = (b"seed",)
    names: ClassVar[dict[str, str | None]] = {
        "torch.cuda.manual_seed": "!{torch}.manual_seed",
        "torch.cuda.manual_seed_all": "!{torch}.manual_seed",
        "torch.cuda.random.manual_seed": "!{torch}.manual_seed",
        "torch.cuda.random.manual_seed_all": "!{torch}.manual_seed",
        "torch.cuda.seed": "!{torch}.seed",
        "torch.cuda.seed_all": "!{torch}.seed",
    }
    VALID = ("import torch\ntorch.manual_seed(0)",)
    INVALID = (Case("import torch\ntorch.cuda.manual_seed_all(1)", "import torch\ntorch.manual_seed(1)"),)


class CudaRngState(NameRule):
    """CUDA RNG state APIs fail without CUDA, and RNG state bytes are not portable between backends.

    Bad:  `state = torch.cuda.get_rng_state()`
    Good: `state = torch.get_device_module().get_rng_state()`
    """

    code = "IST208"
    name = "cuda-rng-state"
    category = "memory"
    severity = "error"
    message = "fails without CUDA: use torch.get_device_module().<same name>"
    tokens = (b"rng", b"initial_seed", b"default_generators")
    names: ClassVar[dict[str, str | None]] = {
        **{
            f"torch.cuda.{n}": f"{{torch}}.get_device_module().{n}"
            for n in ("get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all", "initial_seed")
        },
        "torch.cuda.default_generators": None,
    }
    VALID = ("import torch\ns = torch.get_rng_state()",)
    INVALID = (
        Case(
            "import torch\ns = torch.cuda.get_rng_state()",
            "import torch\ns = torch.get_device_module().get_rng_state()",
        ),
    )


class CudaDeviceQueries(NameRule):
    """NVML-backed queries (`torch.cuda.utilization()`...) need NVIDIA's driver library.

    Bad:  `util = torch.cuda.utilization()`
    Good: read the target's tools behind a backend check (npu-smi on Ascend), or drop the metric
    """

    code = "IST209"
    name = "cuda-nvml-query"
    category = "memory"
    severity = "error"
    message = "needs NVML (NVIDIA driver): put the metric behind a backend check"
    tokens = (b"utilization", b"temperature", b"power_draw", b"clock_rate", b"list_gpu_processes")
    names: ClassVar[dict[str, str | None]] = {
        f"torch.cuda.{n}": None
        for n in ("utilization", "temperature", "power_draw", "clock_rate", "list_gpu_processes")
    }
    VALID = ("import torch\nn = torch.accelerator.device_count()",)
    INVALID = ("import torch\nu = torch.cuda.utilization()",)


class CudaEnvVar(NodeRule):
    """CUDA environment variables read or set from Python are ignored on the target.

    Bad:  `os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"`
    Good: `os.environ["ASCEND_RT_VISIBLE_DEVICES"] = "0,1"` behind a backend check (or a platform helper)
    """

    code = "IST210"
    name = "cuda-env-var"
    category = "memory"
    severity = "warning"
    message = "CUDA environment variable is ignored on the target"
    tokens = (b"CUDA_",)
    node_types = (ast.Subscript, ast.Call, ast.Dict)
    VALID = ("import os\nv = os.environ.get('HOME')", "x = 'CUDA_VISIBLE_DEVICES'")
    INVALID = (
        "import os\nos.environ['CUDA_VISIBLE_DEVICES'] = '0'",
        "import os\nv = os.getenv('PYTORCH_CUDA_ALLOC_CONF')",
    )

    def check(self, node: ast.AST, parent: ast.AST | None, ctx: PyContext) -> None:
        for key, var in env_var_nodes(node, ctx, CUDA_VAR, parent):
            ctx.report(self, key, advice(var))
