"""The CLI frame: help without torch, version, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from isthmus import __version__
from isthmus.cli import COMMANDS
from isthmus.errors import ExitCode


def test_help_lists_every_command_without_importing_torch() -> None:
    code = (
        "import sys; from isthmus.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NOTORCH')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("NOTORCH")
    for name in COMMANDS:
        assert name in out


def test_version(run_cli) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and __version__ in out


def test_python_dash_m_runs() -> None:
    r = subprocess.run([sys.executable, "-m", "isthmus", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and __version__ in r.stdout


def test_unknown_command_is_usage_error(run_cli) -> None:
    code, _, err = run_cli("frobnicate")
    assert code == ExitCode.USAGE
    assert "frobnicate" in err


def test_doctor_json_has_every_group(run_cli) -> None:
    code, out, _ = run_cli("doctor", "--format", "json")
    assert code == 0
    groups = {c["group"] for c in json.loads(out)["checks"]}
    assert {"python", "torch", "cuda", "npu", "xpu", "mps", "extras", "capabilities"} <= groups


def test_doctor_survives_a_broken_probe(monkeypatch) -> None:
    from isthmus import doctor

    def boom() -> list[doctor.Check]:
        raise RuntimeError("libascendcl.so: cannot open shared object file")

    monkeypatch.setattr(doctor, "PROBES", (("npu", boom), *doctor.PROBES[:1]))
    report = doctor.run_doctor()
    npu = report.by_group("npu")
    assert npu[0].status == "error" and "libascendcl" in npu[0].detail
    assert report.by_group("python")  # later probes still ran


def test_internal_error_is_one_line_with_exit_3(run_cli, monkeypatch) -> None:
    from isthmus import doctor

    def broken() -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(doctor, "run_doctor", broken)
    code, _, err = run_cli("doctor")
    assert code == ExitCode.INTERNAL
    assert err.count("\n") == 1 and "--traceback" in err
