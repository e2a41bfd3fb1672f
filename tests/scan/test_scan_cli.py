"""`isthmus scan` / `isthmus rules` from the command line: formats, selection, suppression, config, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(
        "import torch as th\n"
        "x = th.zeros(3).cuda()\n"
        "th.cuda.synchronize()  # isthmus: ignore[IST206]\n"
        "# th.cuda.synchronize() in a comment\n"
        "s = 'torch.cuda.synchronize()'\n"
        "mem = th.cuda.memory_allocated()\n"
    )
    (tmp_path / "requirements.txt").write_text("flash-attn==2.6.3\n")
    return tmp_path


def test_json_findings_have_the_documented_fields(project: Path, run_cli) -> None:
    code, out, _ = run_cli("scan", str(project), "--format", "json")
    assert code == 1
    data = json.loads(out)
    findings = data["findings"]
    assert {f["code"] for f in findings} == {"IST101", "IST201", "IST801"}
    for f in findings:
        assert {"path", "line", "column", "end_line", "code", "severity", "message", "fix"} <= set(f)
    cuda = next(f for f in findings if f["code"] == "IST101")
    assert (cuda["path"], cuda["line"], cuda["column"]) == ("a.py", 2, 5)
    assert cuda["fix"]["safe"] is True
    assert data["summary"]["by_severity"]["error"] == 1


def test_sarif_validates_against_the_official_schema(project: Path, run_cli, tinygpt_dir: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    for path in (project, tinygpt_dir):
        _, out, _ = run_cli("scan", str(path), "--format", "sarif")
        log = json.loads(out)
        jsonschema.validate(log, schema)
        assert log["runs"][0]["results"]
    cu = [r for r in log["runs"][0]["results"] if r["ruleId"] == "IST806"]
    assert cu and cu[0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "tinygpt/generate.py"
    )


def test_select_ignore_fail_on_exit_zero(project: Path, run_cli) -> None:
    code, out, _ = run_cli("scan", str(project), "--select", "IST2")
    assert code == 0 and "IST201" in out and "IST101" not in out
    code, out, _ = run_cli("scan", str(project), "--select", "IST2", "--fail-on", "warning")
    assert code == 1
    code, out, _ = run_cli("scan", str(project), "--ignore", "IST101")
    assert code == 0 and "IST101" not in out
    code, _, _ = run_cli("scan", str(project), "--exit-zero")
    assert code == 0
    code, _, err = run_cli("scan", str(project), "--select", "IST999X")
    assert code == 2 and "unknown rule code" in err


def test_pyproject_config_and_per_file_ignores(project: Path, run_cli) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.isthmus.scan]\nignore = ["IST8"]\nfail-on = "warning"\n'
        '[tool.isthmus.scan.per-file-ignores]\n"a.py" = ["IST101"]\n'
    )
    code, out, _ = run_cli("scan", str(project))
    assert "IST101" not in out and "IST801" not in out and "IST201" in out
    assert code == 1  # fail-on = warning
    (project / "pyproject.toml").write_text("[tool.isthmus.scan]\nbogus = 1\n")
    code, _, err = run_cli("scan", str(project))
    assert code == 2 and "bogus" in err


def test_explain_statistics_and_rules(run_cli, project: Path) -> None:
    code, out, _ = run_cli("scan", "--explain", "IST101")
    assert code == 0 and "Bad:" in out and "Good:" in out and "fixable" in out
    code, _, _ = run_cli("scan", "--explain", "IST000")
    assert code == 2
    code, out, _ = run_cli("scan", str(project), "--statistics")
    assert "IST201" in out and "cuda-memory-stats" in out
    code, out, _ = run_cli("rules", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and len(rules) >= 45 and any(r["fixable"] for r in rules)


def test_missing_path_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("scan", str(tmp_path / "nope"))
    assert code == 2 and "no such file" in err
