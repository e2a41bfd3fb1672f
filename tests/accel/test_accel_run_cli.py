"""`isthmus run`: the unmodified CUDA example trains on the CPU with the same losses as the portable version."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

LOSS = re.compile(r"^step\s+(\d+) \| loss (\d+\.\d+)", re.M)
# every kind of CUDA use in examples/tinygpt/train.py (single process, checkpointing on)
EXPECTED_KINDS = {
    "torch.cuda.manual_seed_all",
    "torch.backends.cuda.matmul.allow_tf32",
    "torch.backends.cudnn.allow_tf32",
    "torch.backends.cudnn.benchmark",
    "Module.cuda()",
    "torch.cuda.amp.GradScaler",
    "torch.cuda.Event",
    "Tensor.pin_memory()",
    "Tensor.cuda()",
    "torch.cuda.amp.autocast",
    "torch.cuda.synchronize",
    "torch.cuda.max_memory_allocated",
    "torch.cuda.empty_cache",
    "torch.load(map_location=cuda)",
}


def _losses(text: str) -> list[tuple[str, str]]:
    return LOSS.findall(text)


@pytest.fixture()
def portable_losses(tinygpt_copy: Path) -> list[tuple[str, str]]:
    env = {**os.environ, "ISTHMUS_ACCELERATOR": "cpu"}
    out = subprocess.run(
        [sys.executable, "train_portable.py", "--steps", "4"],
        cwd=tinygpt_copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _losses(out)


def test_unmodified_train_py_matches_the_portable_training(
    run_cli,
    tinygpt_copy: Path,
    portable_losses: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tinygpt_copy)
    report = tmp_path / "run.json"
    code, out, err = run_cli(
        "run", "--target", "cpu", "--report", str(report), "train.py", "--steps", "4", "--out", "ck"
    )
    assert code == 0, err
    assert len(portable_losses) == 4 and _losses(out) == portable_losses
    # resume from the checkpoint written above: torch.load(map_location="cuda:0") is redirected
    code, out2, err = run_cli(
        "run", "--report", str(report), "train.py", "--steps", "1", "--resume", "ck/ckpt.pt", "--out", "ck2"
    )
    assert code == 0, err
    assert _losses(out2)[0][0] == "4"
    data = json.loads(report.read_text())
    first = {r["what"] for r in data["redirected"]}
    assert first >= EXPECTED_KINDS, EXPECTED_KINDS - first
    assert data["unmapped"] == [] and data["exit_code"] == 0
    assert all(r["first"].startswith("train.py:") for r in data["redirected"])
    assert "redirected (" in err and "torch.cuda.Event" in err


def test_failing_programs_keep_their_exit_code_and_still_write_the_report(run_cli, tmp_path: Path) -> None:
    boom = tmp_path / "boom.py"
    boom.write_text(
        "import torch\n\ndef load():\n    raise ValueError('bad data')\n\nx = torch.ones(1).cuda()\nload()\n"
    )
    report = tmp_path / "r.json"
    code, _, err = run_cli("run", "--report", str(report), str(boom))
    assert code == 1 and "ValueError: bad data" in err
    frames = re.findall(r'^  File "([^"]+)", line (\d+)', err, re.M)
    assert [(Path(f).name, line) for f, line in frames] == [("boom.py", "7"), ("boom.py", "4")]  # user frames only
    data = json.loads(report.read_text())
    assert data["error"] == "ValueError: bad data" and data["redirected"][0]["what"] == "Tensor.cuda()"
    quitter = tmp_path / "quit.py"
    quitter.write_text("import sys\nprint(sys.argv[1:])\nsys.exit(3)\n")
    code, out, _ = run_cli("run", "--report", str(report), str(quitter), "--flag", "x")
    assert code == 3 and "['--flag', 'x']" in out and json.loads(report.read_text())["exit_code"] == 3


@pytest.mark.parametrize(
    ("body", "seen", "code"), [("raise KeyError('k')", KeyError, 1), ("raise SystemExit(5)", SystemExit, 5)]
)
def test_extra_contexts_see_the_program_exception(tmp_path: Path, body: str, seen: type, code: int) -> None:
    from isthmus.accel.runner import run_program

    events: list[object] = []

    @contextlib.contextmanager
    def watch() -> Iterator[None]:
        events.append("enter")
        try:
            yield
        except BaseException as e:
            events.append(type(e))
            raise
        finally:
            events.append("exit")

    script = tmp_path / "p.py"
    script.write_text(f"import torch\nx = torch.zeros(1, device='cuda')\n{body}\n")
    report = tmp_path / "r.json"
    result = run_program("cpu", str(script), None, [], report, contexts=[watch])
    assert events == ["enter", seen, "exit"]
    assert result.exit_code == code and json.loads(report.read_text())["exit_code"] == code


def test_scan_fixed_example_trains_like_the_unmodified_one(
    run_cli, tinygpt_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`isthmus scan --fix` output (torch.accelerator, torch.Event, ...) runs under `isthmus run --target cpu`."""
    monkeypatch.chdir(tinygpt_copy)
    code, out, err = run_cli("run", "--target", "cpu", "train.py", "--steps", "3")
    assert code == 0, err
    unmodified = _losses(out)
    code, _, _ = run_cli("scan", str(tinygpt_copy), "--fix")
    fixed_source = (tinygpt_copy / "train.py").read_text()
    assert code == 0 and "torch.accelerator.synchronize()" in fixed_source and "torch.cuda.Event" not in fixed_source
    report = tmp_path / "fixed.json"
    code, out, err = run_cli("run", "--target", "cpu", "--report", str(report), "train.py", "--steps", "3")
    assert code == 0, err
    assert len(unmodified) == 3 and _losses(out) == unmodified
    data = json.loads(report.read_text())
    whats = {r["what"] for r in data["redirected"]}
    assert {"torch.Event", "torch.accelerator.synchronize", "torch.accelerator.max_memory_allocated"} <= whats
    assert not whats & {"torch.cuda.Event", "torch.cuda.synchronize", "Tensor.cuda()"} and data["unmapped"] == []


def test_module_mode(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cudaprog.py").write_text("import torch\nprint(torch.zeros(1, device='cuda').device)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, _ = run_cli("run", "-m", "cudaprog")
    assert code == 0 and out.strip() == "cpu"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "tpu", "x.py"), "unknown accelerator 'tpu'"),
        (("missing_script.py",), "missing_script.py: no such file"),
        (("-m", "no_such_module_xyz"), "no module named 'no_such_module_xyz'"),
        ((), "no script given"),
        # launchers start fresh interpreters: the advice puts isthmus inside them (torchrun: see below)
        (("-m", "accelerate.commands.launch", "train.py"), "-m accelerate.commands.launch is a launcher"),
        (("/usr/local/bin/deepspeed", "train.py"), "deepspeed [its options] -m isthmus run --target TARGET train.py"),
        (("-m", "torch.distributed.run", "--no-python", "echo"), "torchrun --no-python starts a program that is not"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(run_cli, args: tuple[str, ...], message: str) -> None:
    code, _, err = run_cli("run", *args)
    assert code == 2 and message in err


def test_missing_stack_says_what_to_install(run_cli, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("torch_npu") is not None:
        pytest.skip("torch_npu is installed here")
    script = tmp_path / "s.py"
    script.write_text("pass\n")
    report = tmp_path / "never.json"
    code, _, err = run_cli("run", "--target", "npu", "--report", str(report), str(script))
    assert code == 2 and "pip install torch-npu" in err and not report.exists()


@pytest.mark.parametrize(
    ("launcher_args", "inside"),
    [
        (
            ["--standalone", "--nproc_per_node=2", "train.py", "--lr", "3"],
            ["--standalone", "--nproc_per_node=2", "-m", "isthmus", "run", "--target", "cpu", "train.py", "--lr", "3"],
        ),
        (  # the program's own -m moves to isthmus run; torchrun's options keep their values and order
            ["--nnodes", "1", "-m", "pkg.train", "-m", "x"],
            ["--nnodes", "1", "-m", "isthmus", "run", "--target", "cpu", "-m", "pkg.train", "-m", "x"],
        ),
    ],
)
def test_torchrun_gets_isthmus_inside_it(launcher_args: list[str], inside: list[str]) -> None:
    from isthmus.accel.launch import torchrun_inside

    assert torchrun_inside(launcher_args, ["--target", "cpu"]) == ["-m", "torch.distributed.run", *inside]


def test_the_runner_api_refuses_torchrun_with_the_command_to_type(tmp_path: Path) -> None:
    from isthmus.accel.runner import run_program
    from isthmus.errors import InputError

    with pytest.raises(InputError, match="torchrun \\[its options\\] -m isthmus run"):
        run_program("cpu", None, "torch.distributed.run", ["train.py"], None)


@pytest.mark.slow
def test_isthmus_run_around_torchrun_redirects_every_process(tmp_path: Path) -> None:
    # a user types the launcher inside isthmus run: each process torchrun starts must still be redirected
    script = tmp_path / "ddp.py"
    script.write_text(
        "import torch, torch.distributed as dist\n"
        "dist.init_process_group('nccl')\n"
        "x = torch.ones(1).cuda() * (dist.get_rank() + 1)\n"
        "dist.all_reduce(x)\n"
        "print(f'rank {dist.get_rank()} {dist.get_backend()} {x.device} {x.item()}')\n"
        "dist.destroy_process_group()\n"
    )
    report = tmp_path / "r.json"
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run(
        [sys.executable, "-m", "isthmus", "run", "--target", "cpu", "--report", str(report), "-m",
         "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": src},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # the two ranks share one pipe: their lines may interleave, so each rank's line is found by pattern
    assert sorted(re.findall(r"rank \d \w+ \w+ [\d.]+", done.stdout)) == [
        "rank 0 gloo cpu 3.0",
        "rank 1 gloo cpu 3.0",
    ]
    whats = {r["what"] for r in json.loads(report.read_text())["redirected"]}  # one rank's report
    assert "Tensor.cuda()" in whats and any("init_process_group" in w for w in whats)
