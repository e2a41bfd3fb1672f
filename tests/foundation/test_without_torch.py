"""The core install has no torch: scan, rules, hw, compliance, estimate and plan work without it, and the commands
that need it stop with one line naming the install command.

Each command runs in a fresh interpreter where the torch extra (and the other optional stacks) cannot be imported:
`sys.modules[name] = None` makes `import name` raise ModuleNotFoundError and `find_spec(name)` return None, as on a
machine where they were never installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from isthmus.errors import ExitCode, NotInstalledError
from isthmus.extras import EXTRA_OF, install_command, missing_stack, require

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("torch", "torch_npu", "safetensors", "transformers", "libcst", "matplotlib")
INSTALL = install_command("torch")
_PRELUDE = (
    "import sys\n"
    f"for name in {BLOCKED!r}:\n"
    "    sys.modules[name] = None\n"
    "from isthmus.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "finally:\n"
    f"    loaded = sorted(n for n in sys.modules if n.split('.')[0] in {BLOCKED!r} and sys.modules[n] is not None)\n"
    "    assert not loaded, loaded\n"
)


def without_torch(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`isthmus ARGS` in a fresh interpreter where torch and the other optional stacks cannot be imported."""
    cmd = [sys.executable, "-c", _PRELUDE, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def _json(r: subprocess.CompletedProcess[str]) -> object:
    assert "Traceback" not in r.stderr, r.stderr
    return json.loads(r.stdout)


def test_scan_finds_the_same_as_with_torch(run_cli) -> None:
    r = without_torch("scan", "examples/tinygpt", "--format", "json")
    assert r.returncode == ExitCode.FINDINGS, r.stderr
    code, out, _ = run_cli("scan", str(REPO / "examples" / "tinygpt"), "--format", "json")
    with_torch = json.loads(out)["findings"]
    found = _json(r)["findings"]  # type: ignore[index]
    assert code == ExitCode.FINDINGS and len(found) == len(with_torch) > 20
    key = lambda f: (Path(f["path"]).name, f["line"], f["column"], f["code"])  # noqa: E731
    assert sorted(map(key, found)) == sorted(map(key, with_torch))
    assert {"IST206", "IST301", "IST201"} <= {f["code"] for f in found}


def test_scan_operator_rules_and_fix_need_no_torch(tmp_path: Path) -> None:
    """IST9xx read the shipped registry tables; --fix checks its result with compile()."""
    (tmp_path / "q.py").write_text("import torch\ny = torch._int_mm(a, b)\ntorch.cuda.synchronize()\n")
    r = without_torch("scan", tmp_path, "--format", "json")
    codes = {f["code"] for f in _json(r)["findings"]}  # type: ignore[index]
    assert r.returncode == ExitCode.FINDINGS and {"IST902", "IST206"} <= codes
    fixed = without_torch("scan", tmp_path, "--fix")
    assert fixed.returncode == 0, fixed.stderr  # the error is fixed; the fallback is a warning
    assert "torch.accelerator.synchronize()" in (tmp_path / "q.py").read_text()


def test_rules() -> None:
    rules = _json(without_torch("rules", "--format", "json"))
    assert len(rules) > 50 and {"IST101", "IST902"} <= {r["code"] for r in rules}  # type: ignore[union-attr,index]


def test_hw() -> None:
    chips = _json(without_torch("hw", "list", "--format", "json"))["chips"]  # type: ignore[index]
    assert {"h100-sxm", "ascend-910c"} <= {c["key"] for c in chips}


def test_compliance() -> None:
    r = without_torch("compliance", "check", "--chip", "H20", "--to", "CN", "--actor", "hq=DE", "--date",
                      "2026-03-01", "--format", "json")  # fmt: skip
    verdict = _json(r)
    assert r.returncode == ExitCode.FINDINGS and verdict["chip"] == "h20" and verdict["rules"]  # type: ignore[index]


def test_estimate_train() -> None:
    train = _json(without_torch("estimate", "train", "llama3-70b", "dgx-h100", "64", "--format", "json"))
    assert train["feasible"] and train["metrics"]["tokens_per_s"] > 0  # type: ignore[index]


def test_estimate_serve_from_a_config_json(tmp_path: Path) -> None:
    """A Hugging Face config.json is read as data: neither torch nor transformers."""
    config = {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
              "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 128256,
              "max_position_embeddings": 8192}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(config))
    serve = without_torch("estimate", "serve", tmp_path / "config.json", "dgx-h100", "1", "--prompt-len", "1024",
                          "--output-len", "128", "--format", "json")  # fmt: skip
    assert serve.returncode == 0 and _json(serve)["metrics"]["tokens_per_s"] > 0  # type: ignore[index]


def test_plan() -> None:
    plan = _json(without_torch("plan", "examples/fleet.yaml", "--format", "json"))["plan"]  # type: ignore[index]
    assert plan["feasible"] and len(plan["regions"]) == 3 and plan["cost_usd"] > 0


def test_plan_sweep_on_local_workers(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"fleet: {REPO / 'examples' / 'fleet.yaml'}\npolicies:\n  now: []\nprices:\n  b200-buy: [1.0]\n")
    runs = _json(without_torch("plan", "--sweep", sweep, "--workers", "1", "--format", "json"))["runs"]  # type: ignore[index]
    assert len(runs) == 1 and runs[0]["feasible"] and len(runs[0]["by_region"]) == 3 and runs[0]["cost_usd"] > 0


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (("run", "examples/tinygpt/train.py"), "isthmus run"),
        (("ops", "examples/tinygpt/model.py:tiny"), "isthmus ops"),
        (("emulate", "examples/tinygpt/model.py:tiny"), "isthmus emulate"),
        (("parity", "record", "examples/tinygpt/model.py:tiny", "-o", "{tmp}/rec"), "isthmus parity"),
        (("parity", "compare", "{tmp}/a", "{tmp}/b"), "isthmus parity"),
    ],
)
def test_torch_commands_say_how_to_install_it(args: tuple[str, ...], command: str, tmp_path: Path) -> None:
    r = without_torch(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert r.returncode == ExitCode.USAGE
    assert r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("isthmus: error: torch") and command in r.stderr and INSTALL in r.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_ops_lists_targets_without_torch() -> None:
    r = without_torch("ops", "--list-targets", "--format", "json")
    assert r.returncode == 0 and {"cuda", "ascend-910b"} <= set(_json(r))  # type: ignore[arg-type]


def test_assess_runs_the_rest_and_marks_torch_sections_not_run(tmp_path: Path) -> None:
    r = without_torch("assess", "examples/tinygpt", "--only", "scan", "--only", "ops", "--only", "compliance",
                      "--out", tmp_path / "out", "--format", "json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    sections = {s["key"]: s for s in _json(r)["sections"]}  # type: ignore[index]
    assert sections["scan"]["status"] == "fail" and sections["compliance"]["status"] in ("pass", "warn")
    ops = sections["ops"]
    assert ops["status"] == "skipped" and INSTALL in ops["summary"] and ops["data"]["install"] == INSTALL
    assert (tmp_path / "out" / "report.html").is_file()


def test_doctor_reports_torch_absent_not_broken() -> None:
    r = without_torch("doctor", "--format", "json")
    checks = _json(r)["checks"]  # type: ignore[index]
    torch_line = next(c for c in checks if c["group"] == "torch")
    assert torch_line["status"] == "absent" and INSTALL in torch_line["detail"]
    assert next(c for c in checks if c["group"] == "cuda")["detail"] == "not probed: torch is not installed"


def test_missing_stack_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EXTRA_OF, "isthmus_absent_stack", "torch")
    e = missing_stack(ModuleNotFoundError("no", name="isthmus_absent_stack.sub"))
    assert isinstance(e, NotInstalledError) and e.exit_code == ExitCode.USAGE and INSTALL in str(e)
    with pytest.raises(NotInstalledError, match=r"needed by isthmus x.*isthmus\[torch\]"):
        require("isthmus_absent_stack", "isthmus x")
    # an installed stack whose submodule is missing is a bug, and a module no extra installs is not ours to name
    monkeypatch.setitem(EXTRA_OF, "json", "torch")
    assert missing_stack(ModuleNotFoundError("no", name="json.nope")) is None
    assert missing_stack(ModuleNotFoundError("no", name="isthmus_unknown_module")) is None
    assert missing_stack(ValueError("torch")) is None
