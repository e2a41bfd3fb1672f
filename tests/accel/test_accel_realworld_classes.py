"""One minimal regression test per class of failure seen when running public CUDA scripts under `isthmus run`
(the scripts themselves are listed in tools/realworld/manifest.json and are not part of the test suite).

Every test forces the CPU target explicitly, so each holds on CPU-only and CUDA hosts alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from isthmus.accel.runner import redirect


def test_torchscript_compiles_functions_and_modules_that_call_patched_factories() -> None:
    # class: `NotSupportedError: Compiled functions can't take variable number of arguments` at import
    # (torch.distributed.optim scripts functions that call torch factories)
    with redirect("cpu"):

        @torch.jit.script
        def fill(x: torch.Tensor) -> torch.Tensor:
            return torch.zeros_like(x) + x.new_ones(x.shape) + torch.full([2], 2.0)

        class Zeros(torch.nn.Module):
            def forward(self, x: torch.Tensor, dev: torch.device) -> torch.Tensor:
                return torch.ones_like(x).to(dev)

        module = torch.jit.script(Zeros())
        assert fill(torch.ones(2)).tolist() == [3.0, 3.0]
        assert module(torch.zeros(2), torch.device("cpu")).tolist() == [1.0, 1.0]
    from torch.jit import _builtins

    table = _builtins._get_builtin_table()  # type: ignore[no-untyped-call]
    assert table.get(id(torch.zeros_like)) == "aten::zeros_like"  # the real function again after leaving


def test_integer_device_ordinals_follow_the_redirection(tmp_path: Path) -> None:
    # class: `model.to(self.gpu_id)` with an int fails with "Cannot access accelerator device when none is available"
    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2)}, path)
    with redirect("cpu") as log:
        torch.cuda.set_device(1)
        assert torch.cuda.current_device() == 1
        rank = torch.cuda.current_device()
        tensors = [
            torch.ones(2).to(rank),
            torch.ones(2).to(device=0),
            torch.ones(2).cuda(rank),
            torch.zeros(2, device=rank),
            torch.load(path, map_location=rank)["w"],
            torch.load(path, map_location={"cpu": 0})["w"],
        ]
        model = torch.nn.Linear(2, 2).to(rank)
        dev = torch.device(rank)
        with torch.cuda.device(rank):
            inside = torch.ones(1, device=torch.device("cuda", rank))
        assert isinstance(dev, torch.device) and torch.device("cuda", 1).type == "cuda"
        assert torch.ones(1).to(torch.float64).dtype == torch.float64  # a dtype is not a device
    assert dev == torch.device("cpu") and model.weight.device.type == "cpu"
    assert all(t.device.type == "cpu" for t in [*tensors, inside])
    kinds = {r.what for r in log.records()}
    assert {"torch.device(int)", "Tensor.to(cuda)", "Module.to(cuda)", "torch.load(map_location=cuda)"} <= kinds


def test_device_queries_frameworks_make_have_answers_on_the_cpu() -> None:
    # class: Lightning-style capability checks and housekeeping calls reached the CUDA driver and raised
    with redirect("cpu") as log:
        assert torch.cuda.get_device_capability() == (0, 0)  # no CUDA architecture: the conservative path
        assert torch.cuda.get_arch_list() == [] and not torch.cuda.is_current_stream_capturing()
        assert "allocated_bytes.all.current" in torch.cuda.memory_stats()
        torch.cuda.reset_accumulated_memory_stats()
        torch.cuda.ipc_collect()
        assert torch.cuda.Stream.priority_range() == (0, -1)
        stream = torch.cuda.Stream(priority=-1)
        assert stream.priority == 0
        with torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False):
            rid = torch.cuda.nvtx.range_start("step")
            torch.cuda.nvtx.range_end(rid)
        torch.cuda._lazy_init()
    assert not log.unmapped
    assert "torch.cuda.get_device_capability" in {r.what for r in log.redirected}


def test_cuda_graphs_run_eagerly_and_a_replay_fails_clearly() -> None:
    # class: CUDA graph capture reached the CUDA driver on a target without graphs
    lin = torch.nn.Linear(2, 2)
    with redirect("cpu") as log:
        graphed = torch.cuda.make_graphed_callables(lin, (torch.ones(1, 2),))
        assert graphed is lin  # runs eagerly, same results
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            out = lin(torch.ones(1, 2))
        assert out.shape == (1, 2)
        with pytest.raises(RuntimeError, match=r"replay\(\) has no eager equivalent on cpu"):
            g.replay()
    kinds = {r.what for r in log.redirected}
    assert {"torch.cuda.make_graphed_callables", "torch.cuda.CUDAGraph", "torch.cuda.graph"} <= kinds


@pytest.mark.parametrize("constructors_known_before", [True, False])
def test_with_torch_device_cuda_gives_factories_the_target_as_default_device(constructors_known_before: bool) -> None:
    # class: `with torch.device("cuda"): model = Transformer(args)` (DeepSeek-V3 inference/generate.py): the factories
    # raised "Torch not compiled with CUDA enabled" (or landed on CUDA), and the report said "redirected: nothing".
    # torch's default-device mode knows its factories from a set built on first use: both orders must work.
    from torch.utils._device import DeviceContext, _device_constructors

    _device_constructors.cache_clear()
    if constructors_known_before:
        _device_constructors()
    real_init = DeviceContext.__init__
    with redirect("cpu") as log:
        with torch.device("cuda"):
            made = [torch.empty(2), torch.empty_permuted((2, 3), (0, 1)), torch.nn.Linear(2, 2).weight]
        with torch.device("cuda:0") as dev:
            made.append(torch.fft.rfftfreq(4))
    assert [t.device.type for t in made] == ["cpu"] * 4
    assert dev.type == "cuda"  # the object the program holds is unchanged; only the default it sets is mapped
    assert {r.what: r.count for r in log.redirected}.get("with torch.device(cuda)") == 2
    assert DeviceContext.__init__ is real_init  # restored on leaving
    _device_constructors.cache_clear()


def test_spawned_processes_run_under_the_same_redirection(monkeypatch: pytest.MonkeyPatch) -> None:
    # class: mp.spawn children started without the redirection and called the real nccl / CUDA
    import torch.multiprocessing as mp

    launched: list[Any] = []
    monkeypatch.setattr(mp, "spawn", lambda fn, args=(), nprocs=1, **kw: launched.append((fn, args)))
    seen: list[tuple[bool, str]] = []

    def child(rank: int, out: list[tuple[bool, str]]) -> None:
        out.append((torch.cuda.is_available(), str(torch.ones(1).to(rank).device)))

    with redirect("cpu") as log:
        mp.spawn(child, args=(seen,), nprocs=1)
    ((fn, args),) = launched
    fn(0, *args)  # what the spawned process runs: outside any redirection here, like a fresh interpreter
    assert seen == [(True, "cpu")]
    assert "torch.multiprocessing.spawn" in {r.what for r in log.records()}


def test_a_failure_names_the_cuda_use_it_failed_on(run_cli, tmp_path: Path) -> None:
    # class: the report said "CUDA-only calls not mapped: none" while the program died on a CUDA call
    script = tmp_path / "dies.py"
    script.write_text("import torch\n\n\ndef step():\n    torch.cuda.check_error(1)\n\n\nstep()\n")
    report = tmp_path / "r.json"
    code, _, err = run_cli("run", "--target", "cpu", "--report", str(report), str(script))
    failed = json.loads(report.read_text())["failed_at"]
    assert code == 1 and failed["cuda"] and failed["site"].endswith("dies.py:5")
    assert failed["call"] == "torch.cuda.check_error"
    assert "failed on (the CUDA use it failed on):" in err and "torch.cuda.check_error   at " in err


def test_a_failure_inside_an_installed_library_also_names_the_programs_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # class: DeepSeek-V3's fp8 path died in Triton's driver; the site named Triton's frame, not the program's line
    from isthmus.accel.failure import locate

    lib = tmp_path / "site-packages"
    lib.mkdir()
    (lib / "kernels_lib_xyz.py").write_text("def launch():\n    raise RuntimeError('libcuda.so cannot found!')\n")
    (tmp_path / "prog_xyz.py").write_text("import kernels_lib_xyz\n\n\ndef run():\n    kernels_lib_xyz.launch()\n")
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.syspath_prepend(str(tmp_path))
    import prog_xyz  # type: ignore[import-not-found]

    with pytest.raises(RuntimeError) as raised:
        prog_xyz.run()
    failure = locate(raised.value)
    assert failure.site.endswith("kernels_lib_xyz.py:2") and failure.program is not None
    assert failure.program.endswith("prog_xyz.py:5") and failure.cuda
    assert "called from " in failure.describe() and failure.to_json()["program"] == failure.program
    own = locate(RuntimeError("plain"))  # no traceback: nothing to name
    assert own.program is None


def test_the_summary_never_says_none_while_the_program_died_on_cuda() -> None:
    from isthmus.accel.failure import Failure
    from isthmus.accel.runner import RunResult, format_text

    failure = Failure("train.py:9", "torch._C._cuda_init", True, "RuntimeError: Found no NVIDIA driver")
    result = RunResult("train.py", (), "cpu", 1, failure.error, 0.1, (), (), failure)
    text = format_text(result)
    assert "not mapped: none" not in text and "torch._C._cuda_init   at train.py:9" in text
    ok = RunResult("train.py", (), "cpu", 0, None, 0.1, (), ())
    assert "CUDA-only calls not mapped: none" in format_text(ok)


def test_report_path_under_a_file_is_refused_before_the_program_runs(run_cli, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "s.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("run", "--target", "cpu", "--report", str(blocker / "r.json"), str(script))
    assert code == 2 and "is not a directory" in err and len(err.strip().splitlines()) == 1
    assert not marker.exists() and blocker.read_text() == "x"


def test_cuda_visible_devices_selects_the_targets_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    from isthmus.accel.redirect import Patcher
    from isthmus.accel.redirect_log import RedirectionLog
    from isthmus.accel.runner import _follow_visible_devices

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    monkeypatch.delenv("ASCEND_RT_VISIBLE_DEVICES", raising=False)
    patcher, log = Patcher(), RedirectionLog("npu")
    _follow_visible_devices("ASCEND_RT_VISIBLE_DEVICES", patcher, log)
    import os

    assert os.environ["ASCEND_RT_VISIBLE_DEVICES"] == "2,3" and "ASCEND_RT_VISIBLE_DEVICES=2,3" in log.notes[0]
    patcher.restore()
    assert "ASCEND_RT_VISIBLE_DEVICES" not in os.environ


def test_each_local_process_has_a_device_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    # class: `device_count() // local_world_size` gave torchrun's processes 0 devices and `device_ids[0]` failed
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    with redirect("cpu"):
        per_process = torch.cuda.device_count() // 2
        device_ids = list(range(1 * per_process, 2 * per_process))  # local rank 1's share, as the script computes
        model = torch.nn.Linear(2, 2).cuda(device_ids[0])
    assert per_process == 1 and model.weight.device.type == "cpu"


def test_names_bound_before_the_redirection_are_rebound_in_a_spawned_process() -> None:
    # class: `from torch.distributed import init_process_group` ran in the spawned process before the redirection,
    # so its nccl reached torch ("Distributed package doesn't have NCCL built in")
    import torch.distributed as dist

    program = {"init_process_group": dist.init_process_group, "rank": 0}  # the script's globals, bound earlier
    original = dist.init_process_group
    with redirect("cpu", rebind=[program]):
        assert program["init_process_group"] is dist.init_process_group is not original
    assert program == {"init_process_group": original, "rank": 0}


def test_a_failure_in_a_spawned_process_names_its_cuda_use(tmp_path: Path) -> None:
    from isthmus.accel.failure import locate

    script = tmp_path / "multi.py"
    script.write_text("import torch\n\n\ndef main(rank):\n    torch.distributed.init_process_group('nccl')\n")
    c10d = Path(torch.__file__).parent / "distributed" / "distributed_c10d.py"
    child = (
        "\n\n-- Process 0 terminated with the following error:\nTraceback (most recent call last):\n"
        f"  File \"{script}\", line 5, in main\n    torch.distributed.init_process_group('nccl')\n"
        f'  File "{c10d}", line 2181, in _new_process_group_helper\n'
        "RuntimeError: Distributed package doesn't have NCCL built in\n"
    )
    failure = locate(RuntimeError(child))
    assert failure.site.endswith("multi.py:5 (in a spawned process)") and failure.cuda
    assert failure.call == "torch.distributed.distributed_c10d._new_process_group_helper"
    assert failure.error == "RuntimeError: Distributed package doesn't have NCCL built in"


def test_triton_kernels_are_interpreted_on_a_target_without_triton(monkeypatch: pytest.MonkeyPatch) -> None:
    # class: DeepSeek-V3's fp8 path launches `@triton.jit` kernels: "AssertionError: libcuda.so cannot found!" in
    # Triton's NVIDIA driver. Triton reads TRITON_INTERPRET when a kernel is decorated.
    import os

    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with redirect("cpu"):
        assert os.environ.get("TRITON_INTERPRET") == "1"
    assert "TRITON_INTERPRET" not in os.environ  # restored on leaving
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with redirect("cpu"):
        assert os.environ["TRITON_INTERPRET"] == "0"  # the program's own setting is kept


def test_a_triton_kernel_runs_on_cpu_tensors_under_the_redirection(monkeypatch: pytest.MonkeyPatch) -> None:
    triton = pytest.importorskip("triton")
    tl = pytest.importorskip("triton.language")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with redirect("cpu") as log:

        @triton.jit
        def scaled(x_ptr, y_ptr, n, BLOCK: tl.constexpr):  # type: ignore[no-untyped-def]
            offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
            mask = offs < n
            tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask) * 2.0, mask=mask)

        x = torch.arange(10, dtype=torch.float32).cuda()
        y = torch.empty(10, device="cuda")
        scaled[(triton.cdiv(10, 8),)](x, y, 10, BLOCK=8)
    assert y.device.type == "cpu" and y.tolist() == [2.0 * v for v in range(10)]
    assert any("Triton's interpreter" in note for note in log.notes)


def test_ascend_compiles_triton_kernels_only_through_triton_ascend(monkeypatch: pytest.MonkeyPatch) -> None:
    # a stock `triton` has no Ascend backend (interpret there); Triton-Ascend provides the `triton` module and compiles
    import importlib.metadata

    from isthmus.accel.npu import NpuAccelerator

    installed: set[str] = set()

    def distribution(name: str) -> object:
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return object()

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    assert NpuAccelerator().supports_triton() is False
    installed.add("triton-ascend")
    assert NpuAccelerator().supports_triton() is True


def test_default_device_context_still_places_factories_under_the_redirection() -> None:
    # class: transformers builds models under `with torch.device("meta"):`; with the factories wrapped, torch's
    # default-device mode no longer recognised them, buffers were made on the CPU and later replaced by
    # uninitialised memory (BERT's position_ids -> "IndexError: index out of range in self")
    from torch.utils._device import _device_constructors

    _device_constructors.cache_clear()  # as in a fresh process, where the first use comes after the patching
    with redirect("cpu"):
        with torch.device("meta"):
            made = [torch.arange(4), torch.zeros(2), torch.empty(3), torch.nn.Linear(2, 2).weight]
        assert all(t.is_meta for t in made)
        assert not torch.arange(2).is_meta  # and the context ends as usual


def test_fsdp_given_a_cuda_device_ordinal_shards_on_the_cpu(tmp_path: Path) -> None:
    # class: Lightning's FSDPStrategy passes `device_id=<cuda index>` and FSDP asked for an accelerator
    # ("Cannot access accelerator device when none is available"); its full state dict then asks for
    # `offload_to_cpu=True`, which FSDP on the CPU answers with storage it has already freed
    import torch.distributed as dist
    from torch.distributed.fsdp import FullStateDictConfig, StateDictType
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    original = FSDP.__init__
    with redirect("cpu") as log:
        dist.init_process_group("nccl", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
        try:
            model = FSDP(torch.nn.Linear(4, 3), device_id=torch.cuda.current_device())
            model(torch.ones(2, 4).cuda()).sum().backward()
            config = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
            with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, config):
                settings = FSDP.get_state_dict_type(model)
                state = model.state_dict()
        finally:
            dist.destroy_process_group()
    assert next(model.parameters()).device.type == "cpu"
    assert settings.state_dict_config.offload_to_cpu is False and config.offload_to_cpu is True
    assert {k: tuple(v.shape) for k, v in state.items()} == {"weight": (3, 4), "bias": (3,)}
    kinds = {r.what: r.to for r in log.records()}
    assert kinds["FullyShardedDataParallel(device_id=cuda)"] == "device_id=cpu"
    assert kinds["FSDP FullStateDictConfig(offload_to_cpu=True)"] == "offload_to_cpu=False"
    assert FSDP.__init__ is original


def test_a_patch_for_a_module_waits_until_the_program_imports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FSDP is patched only once the program imports it: importing it up front cost every run about a second
    import sys

    from isthmus.accel.redirect import Patcher

    (tmp_path / "late_module.py").write_text("def value():\n    return 'real'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "late_module", raising=False)
    finders = list(sys.meta_path)
    patcher = Patcher()
    patcher.after_import("late_module", lambda m: patcher.set(m, "value", lambda: "patched"))
    assert "late_module" not in sys.modules
    import late_module

    assert late_module.value() == "patched"
    added = type("AddedByTheProgram", (), {"find_spec": staticmethod(lambda *a: None)})()
    sys.meta_path.append(added)
    patcher.restore()
    assert late_module.value() == "real" and sys.meta_path == [*finders, added]
    sys.meta_path.remove(added)
    now = Patcher()  # a module already loaded is patched at once
    now.after_import("late_module", lambda m: now.set(m, "value", lambda: "again"))
    assert late_module.value() == "again" and sys.meta_path == finders
    now.restore()


def test_a_cuda_device_mesh_is_a_mesh_of_the_targets_devices(tmp_path: Path) -> None:
    # class: Lightning's ModelParallelStrategy (litgpt's LoRA on several devices) calls init_device_mesh("cuda"),
    # and torch set the device through the real torch.cuda: `module 'torch._C' has no attribute '_cuda_setDevice'`
    import torch.distributed as dist
    from torch.distributed.device_mesh import DeviceMesh, init_device_mesh

    original = DeviceMesh.__init__
    with redirect("cpu") as log:
        dist.init_process_group("nccl", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
        try:
            mesh = init_device_mesh("cuda", (1,), mesh_dim_names=("data_parallel",))
            direct = DeviceMesh(device_type="cuda", mesh=[0])
        finally:
            dist.destroy_process_group()
    assert (mesh.device_type, direct.device_type, mesh.mesh_dim_names) == ("cpu", "cpu", ("data_parallel",))
    assert {r.what: r.to for r in log.records()}["DeviceMesh('cuda')"] == "DeviceMesh('cpu')"
    assert DeviceMesh.__init__ is original
