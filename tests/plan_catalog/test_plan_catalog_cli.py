"""`isthmus hw` and `isthmus compliance` end to end (in-process), and the assess section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from isthmus.assess.model import AssessContext
from isthmus.plan.policy import load_rules
from isthmus.project import Project
from isthmus.report import render_blocks


def test_hw_list_json(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("hw", "list", "--format", "json")
    data = json.loads(out)
    assert code == 0 and {"h100-sxm", "ascend-910c"} <= {c["key"] for c in data["chips"]}
    assert "cloudmatrix-384" in {s["key"] for s in data["systems"]}


def test_hw_show_lists_every_figure_with_source(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("hw", "show", "910C", "--format", "json")
    data = json.loads(out)
    bf16 = [f for f in data["figures"] if f["field"] == "bf16_tflops"]
    assert code == 0 and [f["source"] for f in bf16] == ["CM-PAPER", "SA-CM384", "HW-HC2025"]
    assert all(f["kind"] and f["source_url"] is not None for f in data["figures"])
    code, out, _ = run_cli("hw", "show", "H20")
    assert code == 0 and "TH-H20" in out and "Sources:" in out


def test_hw_compare_ratios(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("hw", "compare", "H100", "910C", "--format", "json")
    rows = {r["field"]: r for r in json.loads(out)["rows"]}
    assert code == 0 and rows["bf16_tflops"]["ratios"][1] == 752 / 989.5
    code, out, _ = run_cli("hw", "compare", "H100", "910C")
    assert "(0.76x)" in out


def test_hw_unknown_chip_is_a_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("hw", "show", "H1OO")
    assert code == 2 and "did you mean" in err and "h100-sxm" in err


def test_compliance_check_example(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli(
        "compliance",
        "check",
        "--chip",
        "H20",
        "--to",
        "CN",
        "--actor",
        "hq=DE",
        "--action",
        "deploy",
        "--date",
        "2026-03-01",
    )
    assert code == 1  # a licence is needed: a finding
    assert "case_by_case" in out and "US-H20-LICENSING-2025" in out and "evidence R" in out
    assert "Not legal advice" in out and load_rules().data_date.isoformat() in out


def test_compliance_check_allowed_exits_0_and_json(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli(
        "compliance", "check", "--chip", "H100", "--to", "DE", "--date", "2026-03-01", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["allowed"] is True and data["effect"] == "allowed"
    assert data["classification"]["eccn"] == "3A090.a"


def test_compliance_bad_input(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("compliance", "check", "--chip", "H2O", "--to", "CN", "--date", "2026-03-01")
    assert code == 2 and "unknown chip" in err and "h20" in err
    code, out, _ = run_cli("compliance", "check", "--chip", "H20", "--to", "CN", "--date", "2021-01-01")
    assert code == 0 and "no chip-specific export control applied then" in out  # answered, with the caveat
    code, _, err = run_cli("compliance", "check", "--chip", "H20", "--to", "XX", "--date", "2026-01-01")
    assert code == 2 and "country code" in err
    bad = tmp_path / "s.yaml"
    bad.write_text("name: [oops\n", encoding="utf-8")
    code, _, err = run_cli("compliance", "check", "--chip", "H20", "--to", "CN", "--scenario", str(bad))
    assert code == 2 and "malformed YAML" in err
    code, _, err = run_cli("compliance", "check", "--chip", "H20", "--to", "CN", "--actor", "ceo=me")
    assert code == 2 and "--actor" in err


def test_compliance_matrix_json(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli(
        "compliance", "matrix", "--date", "2026-03-01", "--chips", "H100,910C", "--regions", "US,CN", "--format", "json"
    )
    data = json.loads(out)
    cells = {(r["chip"], c["region"]): c["effect"] for r in data["rows"] for c in r["cells"]}
    assert code == 0 and cells == {
        ("h100-sxm", "US"): "allowed",
        ("h100-sxm", "CN"): "case_by_case",
        ("ascend-910c", "US"): "prohibited",
        ("ascend-910c", "CN"): "prohibited",
    }


def test_compliance_classify_shows_arithmetic(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli("compliance", "classify", "A100", "--date", "2026-03-01")
    assert code == 0 and "312 x 16 = 4,992" in out and "6.04" in out and "3A090.a" in out
    code, out, _ = run_cli(
        "compliance", "classify", "--tflops", "296", "--bits", "8", "--die-area", "814", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and {c["eccn"] for c in data["classifications"]} == {"not 3A090"}
    assert data["classifications"][-1]["tpp"] == 2368
    code, _, err = run_cli("compliance", "classify", "--tflops", "296")
    assert code == 2 and "pairs" in err


def test_assess_section_on_tinygpt(tinygpt_dir: Path) -> None:
    from isthmus.assess.sections.compliance import section

    project = Project.load(tinygpt_dir)
    r = section(AssessContext(project, ("cuda", "ascend-910b"), tinygpt_dir / "unused", quick=True))
    assert r.key == "compliance" and r.status in ("pass", "warn", "fail")
    chips = {c["chip"] for c in r.data["cells"]}
    assert (
        {"h100-sxm", "ascend-910b2"} <= chips
        and "<table>" in render_blocks(r.blocks)
        and "Not legal advice" in render_blocks(r.blocks)
    )
    skipped = section(AssessContext(project, ("cpu",), tinygpt_dir / "unused", quick=True))
    assert skipped.status == "skipped"


# a comparison stated as fact ("TPP 3,000 < 2,400"); "X >= Y? no" is a question, not a claim
_CLAIM = re.compile(r"(?:TPP|PD) ([\d,]+(?:\.\d+)?) (<|>=) ([\d,]+(?:\.\d+)?)(?![\d?])")


@pytest.mark.parametrize(
    ("tflops", "bits", "area", "failed"),
    [
        ("375", "8", "3000", "PD 1.00 < 1.6"),  # TPP 3,000 clears b.1's TPP floor; only PD fails
        ("296", "8", "814", "TPP 2,368 < 2,400"),  # PD 2.91 clears b.1's PD floor; only TPP fails
        ("296", "8", "2000", "TPP 2,368 < 2,400 and PD 1.18 < 1.6"),  # both fail
    ],
)
def test_compliance_classify_explains_only_the_conditions_that_failed(  # type: ignore[no-untyped-def]
    run_cli, tflops: str, bits: str, area: str, failed: str
) -> None:
    code, out, _ = run_cli(
        "compliance", "classify", "--tflops", tflops, "--bits", bits, "--die-area", area, "--format", "json"
    )
    assert code == 0
    results = json.loads(out)["classifications"]
    assert len(results) > 1  # every vintage
    for c in results:
        claims = [m for step in c["steps"] for m in _CLAIM.finditer(step)]
        for lhs, op, rhs in (m.groups() for m in claims):
            a, b = float(lhs.replace(",", "")), float(rhs.replace(",", ""))
            assert (a < b) if op == "<" else (a >= b), f"{c['vintage']}: false claim {lhs} {op} {rhs}"
        if c["eccn"] == "not 3A090" and c["vintage"] != "2022-10":
            assert any(f"not met: {failed} (" in s for s in c["steps"]), c["steps"]


@pytest.mark.parametrize(
    "args",
    [
        ("--tflops", "inf", "--bits", "16"),
        ("--tflops", "nan", "--bits", "16"),
        ("--tflops", "0", "--bits", "16"),
        ("--tflops", "-312", "--bits", "16"),
        ("--tflops", "312", "--bits", "16", "--die-area", "-5"),
        ("--tflops", "312", "--bits", "16", "--die-area", "0"),
        ("--tflops", "312", "--bits", "16", "--dram-bw", "nan"),
        ("--tflops", "312", "--bits", "16", "--io-bw", "-1"),
    ],
)
def test_classify_refuses_figures_that_are_not_finite_and_positive(run_cli, args) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("compliance", "classify", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "finite positive" in err and "Traceback" not in err


def test_every_compliance_answer_shows_its_data_date(run_cli) -> None:  # type: ignore[no-untyped-def]
    date = load_rules().data_date.isoformat()
    runs = [
        ("check", "--chip", "H20", "--to", "CN", "--date", "2026-03-01"),
        ("matrix", "--date", "2026-03-01", "--chips", "h20", "--regions", "CN"),
        ("classify", "H100"),
        ("classify", "--tflops", "312", "--bits", "16", "--date", "2021-01-01"),
        ("rules",),
    ]
    for args in runs:
        _, text, _ = run_cli("compliance", *args)
        assert date in text, args
        _, raw, _ = run_cli("compliance", *args, "--format", "json")
        assert json.loads(raw)["data_date"] == date, args


def test_answers_after_the_data_date_warn_that_they_may_be_stale(run_cli) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules()
    later = rules.data_date.replace(year=rules.data_date.year + 1).isoformat()
    _, raw, _ = run_cli("compliance", "check", "--chip", "H20", "--to", "CN", "--date", later, "--format", "json")
    data = json.loads(raw)
    assert data["stale"] is True and any(rules.data_date.isoformat() in w for w in data["warnings"])
    _, raw, _ = run_cli(
        "compliance", "matrix", "--date", later, "--chips", "h20", "--regions", "CN", "--format", "json"
    )
    assert json.loads(raw)["warnings"]
    _, text, _ = run_cli("compliance", "check", "--chip", "H20", "--to", "CN", "--date", later)
    assert "warning" in text and "stale" in text


def test_classify_before_any_3a090_rule_is_answered(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, raw, _ = run_cli("compliance", "classify", "H100", "--date", "2021-01-01", "--format", "json")
    data = json.loads(raw)
    assert code == 0 and data["classifications"] == [] and "not classified" in data["warnings"][0]


def test_hw_compare_accepts_every_name_hw_show_accepts(run_cli) -> None:  # type: ignore[no-untyped-def]
    from isthmus.plan.catalog import load_catalog

    cat = load_catalog()
    system = next(iter(cat.systems.values()))
    code, _, _ = run_cli("hw", "show", system.key)
    assert code == 0
    code, out, err = run_cli("hw", "compare", system.key, system.chip, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["chips"] == [system.chip, system.chip] and system.key in data["names"][0]
    code, _, err = run_cli("hw", "compare", "no-such-part", system.chip)
    assert code == 2 and "chip or system" in err
