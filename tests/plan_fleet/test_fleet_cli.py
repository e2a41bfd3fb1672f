"""`isthmus plan` end to end on the example fleet, with the real catalogue, performance model and rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from isthmus.plan.fleet.sweep import load_sweep, run_sweep
from isthmus.report import render_blocks


def test_example_plan_writes_outputs(run_cli: Any, repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    code, stdout, _ = run_cli("plan", str(repo_root / "examples/fleet.yaml"), "--out", str(out), "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert data["plan"]["feasible"] and data["plan"]["mip_gap"] <= 0.001
    on_disk = json.loads((out / "plan.json").read_text())
    assert on_disk["plan"]["cost_usd"] == data["plan"]["cost_usd"]
    assert "## Cost of the split" in (out / "plan.md").read_text()
    assert "<svg" in (out / "plan.html").read_text()
    regions = {r["region"]: r for r in data["plan"]["regions"]}
    assert set(regions) == {"us-east", "eu-central", "cn-east"}
    assert all(r["systems"] for r in regions.values())
    # every region's cost is the sum of its lines, and the total is the sum of the regions
    total = sum(r["cost_usd"] for r in regions.values())
    assert total == pytest.approx(data["plan"]["cost_usd"], rel=1e-6)
    excluded = {e["offer"]: e for e in data["plan"]["excluded"]}
    # H200 is excluded in China by China's import block although the offer declares a US licence: a licence never
    # unlocks a prohibition, and the reason names the rule
    h200 = excluded["h200-cn-buy@cn-east"]
    assert h200["kind"] == "rule" and "CN-H200-IMPORT-BLOCK-2026" in h200["reason"] and "prohibited" in h200["reason"]
    # whatever the China joint venture runs (Ascend or licensed H20), it is discouraged there: each planned offer
    # carries a warning naming the rule
    warned = {w["offer"] for w in data["plan"]["warnings"] if w["kind"] == "discouraged" and w["rules"]}
    assert {f"{s['offer']}@cn-east" for s in regions["cn-east"]["systems"]} <= warned
    assert not any(w["offer"].endswith(("@us-east", "@eu-central")) for w in data["plan"]["warnings"])


ASCEND = {"ascend-910b-buy", "ascend-910b-rent", "cloudmatrix-buy"}


def test_new_us_rule_forces_china_off_ascend_and_names_the_rule(run_cli: Any, repo_root: Path) -> None:
    """The unmodified example: a hypothetical US rule from 2027 makes the China joint venture leave Ascend."""
    scenario = repo_root / "examples/scenario-us-gp10-2027.yaml"
    code, stdout, _ = run_cli(
        "plan", str(repo_root / "examples/fleet.yaml"), "--scenario", str(scenario), "--format", "json"
    )
    assert code == 0
    data = json.loads(stdout)

    def units(plan: dict[str, Any]) -> dict[str, int]:
        return {s["offer"]: s["units"] for r in plan["regions"] if r["region"] == "cn-east" for s in r["systems"]}

    base_cn, new_cn = units(data["plan"]), units(data["scenario_plan"])
    assert set(base_cn) & ASCEND, f"the example's China plan should run on Ascend: {base_cn}"
    assert new_cn and not set(new_cn) & ASCEND  # other hardware carries China
    changes = {(c["region"], c["offer"]) for c in data["scenario_diff"]["changes"]}
    assert {("cn-east", o) for o in set(base_cn) & ASCEND} <= changes
    newly = {e["offer"]: e for e in data["scenario_diff"]["newly_excluded"]}
    for offer in ASCEND:
        why = newly[f"{offer}@cn-east"]
        assert why["kind"] == "rule" and "SCN-US-GP10-PRC-2027" in why["reason"] and "from 2027-01-01" in why["reason"]
    # what replaces Ascend in China needs a US licence: the plan says it relies on the one the offer declares
    licence_notes = {w["offer"] for w in data["scenario_plan"]["warnings"] if w["kind"] == "licence"}
    assert {f"{o}@cn-east" for o in new_cn} <= licence_notes
    # losing options never makes the optimum cheaper (up to the 0.1 % gap the example solves to)
    assert data["scenario_diff"]["delta_usd"] >= -0.002 * data["plan"]["cost_usd"]


def test_text_output_and_bad_inputs(run_cli: Any, repo_root: Path, tmp_path: Path) -> None:
    code, stdout, _ = run_cli("plan", str(repo_root / "examples/fleet.yaml"))
    assert code == 0 and "Cost of the split" in stdout and "[rule]" in stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions: [unclosed\n")
    code, _, err = run_cli("plan", str(bad))
    assert code == 2 and "malformed YAML" in err
    bad.write_text((repo_root / "examples/fleet.yaml").read_text().replace("tokens_per_s: 120000", "tokens_per_s: -1"))
    code, _, err = run_cli("plan", str(bad))
    assert code == 2 and "workloads[0].tokens_per_s" in err
    bad.write_text((repo_root / "examples/fleet.yaml").read_text().replace("system: dgx-h100", "system: dgx-h1000"))
    code, _, err = run_cli("plan", str(bad), "--out", str(tmp_path / "never"))
    assert code == 2 and "offers[0].system" in err
    assert not (tmp_path / "never").exists()  # nothing half-written
    code, _, err = run_cli("plan", str(repo_root / "examples/fleet.yaml"), "--date", "2026-02-30")
    assert code == 2 and "--date" in err


def test_sweep_runs_every_combination(repo_root: Path) -> None:
    sweep = load_sweep(repo_root / "examples/sweep.yaml")
    assert len(sweep.runs) == 3 * 2 * 2
    few = type(sweep)(sweep.runs[:2])
    results = run_sweep(few, workers=2)
    assert [r.name for r in results] == [r.name for r in few.runs]
    assert all(r.feasible for r in results)
    # the second run only makes B200 dearer: it cannot cost less than the first (up to the 0.1 % gap)
    assert results[1].cost_usd >= results[0].cost_usd * 0.998


def test_ray_missing_is_a_clear_error(run_cli: Any, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, whether or not it is installed
    code, _, err = run_cli("plan", "--sweep", str(repo_root / "examples/sweep.yaml"), "--ray")
    assert code == 2 and "ray" in err and "pip install" in err


def test_assess_section_has_charts(repo_root: Path, tmp_path: Path) -> None:
    from isthmus.assess.model import AssessContext
    from isthmus.assess.sections.fleet import section
    from isthmus.project import Project

    project = Project.load(repo_root / "examples/tinygpt")
    result = section(AssessContext(project, ("cuda",), tmp_path, quick=True))
    # the example's China region runs hardware that is discouraged there: the section says so
    assert result.status == "warn" and "compliance warning" in result.summary and "discouraged" in result.summary
    assert "Compliance warnings on planned hardware" in render_blocks(result.blocks)
    assert render_blocks(result.blocks).count("<svg") == 3  # cost per region, chosen systems, cost of the split
    assert (tmp_path / "plan.json").is_file()


def test_sweep_after_a_solve_in_the_same_process_finishes(repo_root: Path) -> None:
    """A solve starts HiGHS's thread pool in this process; forked workers that inherit it spin forever. Sweep
    workers must start clean (the per-test timeout turns a regression into a failure, not a hung suite)."""
    from isthmus.plan.fleet import load_fleet, plan_fleet

    assert plan_fleet(load_fleet(repo_root / "examples/fleet.yaml"), split=False).base.feasible
    sweep = load_sweep(repo_root / "examples/sweep.yaml")
    results = run_sweep(type(sweep)(sweep.runs[:2]), workers=2)
    assert [r.name for r in results] == [r.name for r in sweep.runs[:2]] and all(r.feasible for r in results)


class _FakeRay:
    """Stands in for the ray module: `init` behaves as Ray does when no cluster is reachable."""

    def __init__(self) -> None:
        self.inits: list[object] = []

    def init(self, address: object = None, **_: object) -> None:
        self.inits.append(address)
        raise ConnectionError("Could not find any running Ray instance")


def test_ray_without_a_cluster_says_how_to_start_one(
    run_cli: Any, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)  # type: ignore[arg-type]
    code, out, err = run_cli("plan", "--sweep", str(repo_root / "examples/sweep.yaml"), "--ray", "--format", "json")
    assert code == 2 and out == "" and "ray start --head" in err and "--ray local" in err
    assert fake.inits == ["auto"]


def test_ray_address_where_nothing_listens_fails_fast(
    run_cli: Any, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import sys

    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)  # type: ignore[arg-type]
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run_cli("plan", "--sweep", str(repo_root / "examples/sweep.yaml"), "--ray", f"127.0.0.1:{port}")
    assert code == 2 and "nothing answers" in err and fake.inits == []  # never handed to Ray's slow retries
    code, _, err = run_cli("plan", "--sweep", str(repo_root / "examples/sweep.yaml"), "--ray", "nohost")
    assert code == 2 and "HOST:PORT" in err
