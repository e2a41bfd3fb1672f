"""Every command against every class of bad input, as a user would type it (subprocesses, the installed CLI).

Each probe must: exit with its code (2 for bad input), say what is wrong on exactly one line of stderr that starts
with "isthmus: error:" (no traceback, no "internal error"), print nothing on stdout, write no output, and leave
every input file byte-identical (a hash of the whole inputs directory, links included, is compared).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Inputs shared by every probe: written once per session into a read-only-by-contract directory ({d}).
FILES: dict[str, bytes] = {
    "empty.yaml": b"",
    "empty.py": b"",
    "empty.toml": b"",
    "binary.bin": bytes(range(256)) * 8,
    "binary.yaml": b"\x00\x01\x02\xff\xfe" * 40,
    "latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
    "latin1.py": "x = 'caf\xe9'\n".encode("latin-1"),
    "broken.yaml": b"workloads: [\n  - {name: a\n",
    "list.yaml": b"- 1\n- 2\n",
    "scalar.yaml": b"42\n",
    "broken.py": b"def f(:\n",
    "broken.json": b'{"a": ',
    "broken.toml": b"[assess\nmodel = \n",
    "notfactory.py": b"x = 1\n",
    "raises.py": b"def make():\n    raise RuntimeError('boom')\n",
    "returns_int.py": b"def make():\n    return 42\n",
    "garbage.pt2": b"PK\x03\x04" + b"\x00" * 200,
    "garbage_text.pt2": b"this is not a zip file\n",
    "huge_shape.txt": b"",
    "bad_inputs.safetensors": b"\xff" * 64,
}


def _write_inputs(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, data in FILES.items():
        (d / name).write_bytes(data)
    fleet = (EXAMPLES / "fleet.yaml").read_text(encoding="utf-8")
    variants = {
        "fleet_month13.yaml": fleet.replace("date: 2026-06-01", "date: 2026-13-01"),
        "fleet_feb30.yaml": fleet.replace("date: 2026-06-01", "date: 2027-02-30"),
        "fleet_negative.yaml": fleet.replace("tokens_per_s: 120000", "tokens_per_s: -1"),
        "fleet_unknown_system.yaml": fleet.replace("system: dgx-h100", "system: dgx-h1000"),
        "fleet_unknown_key.yaml": fleet.replace("horizon_months:", "horizon_monthz:"),
        "fleet_huge.yaml": fleet.replace("tokens_per_s: 120000", "tokens_per_s: 1e400"),
        "fleet_nan.yaml": fleet.replace("tokens_per_s: 120000", "tokens_per_s: .nan"),
        "scenario_bad_date.yaml": "name: x\nrules: []\ndate: 2026-02-30\n",
        "sweep_bad_date.yaml": f"fleet: {EXAMPLES / 'fleet.yaml'}\ndate: 2027-02-30\n",
        "sweep_missing_fleet.yaml": "fleet: nowhere.yaml\n",
        "sweep_bad_price.yaml": f"fleet: {EXAMPLES / 'fleet.yaml'}\nprices:\n  b200-buy: [-1]\n",
        "sweep_unknown_offer.yaml": f"fleet: {EXAMPLES / 'fleet.yaml'}\nprices:\n  nosuch: [1.0]\n",
    }
    for name, text in variants.items():
        (d / name).write_text(text, encoding="utf-8")
    # Hugging Face directories: negative sizes, broken JSON, a config for an unknown architecture
    for name, cfg in {
        "hf_negative": '{"model_type": "llama", "hidden_size": -64, "num_hidden_layers": 2, '
        '"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}',
        "hf_zero_layers": '{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": -1, '
        '"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100}',
        "hf_broken": '{"model_type": "llama", ',
        "hf_unknown": '{"model_type": "no-such-architecture-xyz", "hidden_size": 8}',
        "hf_list": "[1, 2, 3]",
    }.items():
        (d / name).mkdir(exist_ok=True)
        (d / name / "config.json").write_text(cfg, encoding="utf-8")
    # projects for assess: broken isthmus.toml, missing model / script / fleet, wrong types
    for name, toml in {
        "proj_broken": "[assess\nmodel = ",
        "proj_missing_model": '[assess]\nmodel = "nope.py:make"\n',
        "proj_missing_script": '[assess]\ntrain_script = "nope.py"\n',
        "proj_missing_fleet": '[assess]\nfleet = "nope.yaml"\n',
        "proj_wrong_type": "[assess]\ntargets = 7\n",
        "proj_unknown_key": '[assess]\nmodle = "model.py:tiny"\n',
        "proj_unknown_target": '[assess]\ntargets = ["bogus-chip"]\n',
        "proj_binary": None,
    }.items():
        (d / name).mkdir(exist_ok=True)
        (d / name / "isthmus.toml").write_bytes(b"\x00\xff\xfe" * 10 if toml is None else toml.encode())
        (d / name / "main.py").write_text("print('hello')\n", encoding="utf-8")
    _write_records(d)
    # links: dangling, a loop, a link to a directory where a file is expected
    for name, target in {"dangling.yaml": "nowhere.yaml", "loop_a": "loop_b", "loop_b": "loop_a"}.items():
        if not (d / name).is_symlink():
            (d / name).symlink_to(target)
    (d / "a_dir").mkdir(exist_ok=True)
    (d / "a_dir" / "keep.txt").write_text("user file\n", encoding="utf-8")
    (d / "a_file").write_text("not a directory\n", encoding="utf-8")


def _write_records(d: Path) -> None:
    """Hostile parity records: each is a directory with manifest.json + tensors.safetensors that lies somehow."""
    good_manifest = {"format": "isthmus-parity", "version": 1}
    cases: dict[str, tuple[bytes, bytes]] = {
        "rec_empty_manifest": (b"", b""),
        "rec_broken_json": (b'{"format": ', b""),
        "rec_not_object": (b"[1,2,3]", b""),
        "rec_wrong_format": (json.dumps({"format": "pickle", "version": 1}).encode(), b""),
        "rec_future_version": (json.dumps({**good_manifest, "version": 99}).encode(), b""),
        "rec_nan": (b'{"format": "isthmus-parity", "version": NaN}', b""),
        "rec_deep": (b"[" * 100_000 + b"]" * 100_000, b""),
        "rec_header_lies": (json.dumps(good_manifest).encode(), struct.pack("<Q", 1 << 60) + b"{}"),
    }
    for name, (manifest, tensors) in cases.items():
        (d / name).mkdir(exist_ok=True)
        (d / name / "manifest.json").write_bytes(manifest)
        (d / name / "tensors.safetensors").write_bytes(tensors)
    (d / "rec_no_manifest").mkdir(exist_ok=True)


@dataclass(frozen=True)
class Probe:
    """One command line; {d} is the inputs directory, {out} a fresh output path that must stay absent."""

    name: str
    args: tuple[str, ...]
    code: int = 2


def _p(name: str, *args: str, code: int = 2) -> Probe:
    return Probe(name, args, code)


MODEL = str(REPO / "examples/tinygpt/model.py") + ":tiny"

# Input classes that apply to any file argument, with the filename that stands for each.
FILE_CLASSES = {
    "missing": "{d}/nope.yaml",
    "dir-for-file": "{d}/a_dir",
    "empty": "{d}/empty.yaml",
    "binary": "{d}/binary.yaml",
    "non-utf8": "{d}/latin1.yaml",
    "syntax": "{d}/broken.yaml",
    "list": "{d}/list.yaml",
    "scalar": "{d}/scalar.yaml",
    "dangling-link": "{d}/dangling.yaml",
    "link-loop": "{d}/loop_a",
}

MODEL_CLASSES = {
    "missing-file": "{d}/nope.py:make",
    "dir-no-config": "{d}/a_dir",
    "empty-file": "{d}/empty.py:make",
    "syntax": "{d}/broken.py:make",
    "non-utf8": "{d}/latin1.py:make",
    "no-factory": "{d}/notfactory.py:make",
    "factory-raises": "{d}/raises.py:make",
    "returns-int": "{d}/returns_int.py:make",
    "no-colon": "{d}/notfactory.py",
    "missing-module": "no_such_module_xyz:make",
    "garbage-pt2": "{d}/garbage.pt2",
    "text-pt2": "{d}/garbage_text.pt2",
    "hf-negative": "{d}/hf_negative",
    "hf-negative-layers": "{d}/hf_zero_layers",
    "hf-broken-json": "{d}/hf_broken",
    "hf-unknown-arch": "{d}/hf_unknown",
    "hf-not-object": "{d}/hf_list",
    "dangling-link": "{d}/dangling.yaml",
    "binary": "{d}/binary.bin",
}

RECORD_CLASSES = [
    "rec_empty_manifest",
    "rec_broken_json",
    "rec_not_object",
    "rec_wrong_format",
    "rec_future_version",
    "rec_nan",
    "rec_deep",
    "rec_header_lies",
    "rec_no_manifest",
    "a_file",
    "nope",
    "loop_a",
]

SHAPES = {"huge": "100000000000,4", "zero": "0,4", "negative": "-1,4", "words": "a,b", "empty": ",", "float": "1.5"}


def _probes() -> list[Probe]:
    probes: list[Probe] = []
    # plan: the fleet file, scenarios, sweeps, dates
    for cls, f in FILE_CLASSES.items():
        probes.append(_p(f"plan-fleet-{cls}", "plan", f, "--out", "{out}"))
        probes.append(_p(f"plan-scenario-{cls}", "plan", str(EXAMPLES / "fleet.yaml"), "--scenario", f))
        probes.append(_p(f"plan-sweep-{cls}", "plan", "--sweep", f, "--format", "json"))
        probes.append(
            _p(f"compliance-scenario-{cls}", "compliance", "check", "--chip", "H20", "--to", "CN", "--scenario", f)
        )
    for v in ("month13", "feb30", "negative", "unknown_system", "unknown_key", "huge", "nan"):
        probes.append(_p(f"plan-fleet-{v}", "plan", f"{{d}}/fleet_{v}.yaml", "--out", "{out}", "--format", "json"))
    probes.append(
        _p("plan-scenario-bad-date", "plan", str(EXAMPLES / "fleet.yaml"), "--scenario", "{d}/scenario_bad_date.yaml")
    )
    for v in ("bad_date", "missing_fleet", "bad_price", "unknown_offer"):
        probes.append(_p(f"plan-sweep-{v}", "plan", "--sweep", f"{{d}}/sweep_{v}.yaml"))
    for date in ("2026-13-01", "2027-02-30", "yesterday", ""):
        probes.append(_p(f"plan-date-{date or 'empty'}", "plan", str(EXAMPLES / "fleet.yaml"), "--date", date))
        probes.append(
            _p(
                f"compliance-date-{date or 'empty'}",
                "compliance",
                "check",
                "--chip",
                "H20",
                "--to",
                "CN",
                "--date",
                date,
            )
        )
    probes += [
        _p("plan-no-fleet", "plan"),
        _p("plan-ray-without-sweep", "plan", str(EXAMPLES / "fleet.yaml"), "--ray"),
        _p("plan-sweep-with-fleet", "plan", str(EXAMPLES / "fleet.yaml"), "--sweep", str(EXAMPLES / "sweep.yaml")),
        _p("plan-workers-zero", "plan", "--sweep", str(EXAMPLES / "sweep.yaml"), "--workers", "0"),
        _p("plan-out-is-file", "plan", str(EXAMPLES / "fleet.yaml"), "--out", "{d}/a_file"),
        _p("plan-out-foreign-dir", "plan", str(EXAMPLES / "fleet.yaml"), "--out", "{d}/a_dir"),
        _p("plan-out-under-file", "plan", str(EXAMPLES / "fleet.yaml"), "--out", "{d}/a_file/sub"),
        _p("plan-traceback-after", "plan", "{d}/fleet_month13.yaml", "--traceback"),
    ]
    # hw and compliance: names and numbers
    probes += [
        _p("hw-show-unknown", "hw", "show", "no-such-chip"),
        _p("hw-show-empty", "hw", "show", ""),
        _p("hw-compare-unknown", "hw", "compare", "H100", "no-such-chip"),
        _p("hw-compare-none", "hw", "compare"),
        _p("hw-bad-format", "hw", "show", "H100", "--format", "yaml"),
        _p("compliance-unknown-chip", "compliance", "check", "--chip", "nope", "--to", "CN"),
        _p("compliance-unknown-country", "compliance", "check", "--chip", "H20", "--to", "XX"),
        _p("compliance-lowercase-garbage", "compliance", "check", "--chip", "H20", "--to", "china!"),
        _p("compliance-bad-actor", "compliance", "check", "--chip", "H20", "--to", "CN", "--actor", "hq"),
        _p("compliance-unknown-actor-key", "compliance", "check", "--chip", "H20", "--to", "CN", "--actor", "x=1"),
        _p("compliance-bad-action", "compliance", "check", "--chip", "H20", "--to", "CN", "--action", "smuggle"),
        _p("compliance-matrix-unknown-chip", "compliance", "matrix", "--chips", "H100,nope"),
        _p("compliance-matrix-bad-region", "compliance", "matrix", "--regions", "US,12"),
        _p("compliance-classify-unknown", "compliance", "classify", "nope"),
        _p("compliance-classify-nothing", "compliance", "classify"),
    ]
    for label, figures in {
        "tflops-inf": ("--tflops", "inf", "--bits", "16", "--die-area", "800"),
        "tflops-nan": ("--tflops", "nan", "--bits", "16", "--die-area", "800"),
        "tflops-negative": ("--tflops", "-5", "--bits", "16", "--die-area", "800"),
        "tflops-zero": ("--tflops", "0", "--bits", "16", "--die-area", "800"),
        "bits-zero": ("--tflops", "300", "--bits", "0", "--die-area", "800"),
        "bits-negative": ("--tflops", "300", "--bits", "-16", "--die-area", "800"),
        "die-negative": ("--tflops", "300", "--bits", "16", "--die-area", "-5"),
        "die-zero": ("--tflops", "300", "--bits", "16", "--die-area", "0"),
        "die-nan": ("--tflops", "300", "--bits", "16", "--die-area", "nan"),
        "die-inf": ("--tflops", "300", "--bits", "16", "--die-area", "inf"),
        "unpaired": ("--tflops", "300", "--tflops", "200", "--bits", "16", "--die-area", "800"),
        "io-negative": ("--tflops", "300", "--bits", "16", "--die-area", "800", "--io-bw", "-1"),
        "dram-nan": ("--tflops", "300", "--bits", "16", "--die-area", "800", "--dram-bw", "nan"),
        "bad-date": ("--tflops", "300", "--bits", "16", "--die-area", "800", "--date", "2026-02-30"),
    }.items():
        probes.append(_p(f"classify-{label}", "compliance", "classify", *figures))
    # estimate: names and sizes
    probes += [
        _p("estimate-unknown-model", "estimate", "train", "no-such-model", "dgx-h100", "8"),
        _p("estimate-unknown-system", "estimate", "train", "llama3-8b", "no-such-system", "8"),
        _p("estimate-zero-devices", "estimate", "train", "llama3-8b", "dgx-h100", "0"),
        _p("estimate-negative-devices", "estimate", "train", "llama3-8b", "dgx-h100", "-8"),
        _p("estimate-word-devices", "estimate", "train", "llama3-8b", "dgx-h100", "eight"),
        _p("estimate-bad-precision", "estimate", "train", "llama3-8b", "dgx-h100", "8", "--precision", "fp3"),
        _p("estimate-bad-stack", "estimate", "train", "llama3-8b", "dgx-h100", "8", "--stack", "nope"),
        _p("estimate-seq-zero", "estimate", "train", "llama3-8b", "dgx-h100", "8", "--seq-len", "0"),
        _p("estimate-serve-no-lens", "estimate", "serve", "llama3-8b", "dgx-h100", "8"),
        _p(
            "estimate-serve-neg-tpot",
            "estimate",
            "serve",
            "llama3-8b",
            "dgx-h100",
            "8",
            "--prompt-len",
            "128",
            "--output-len",
            "128",
            "--tpot-ms",
            "-1",
        ),
        _p(
            "estimate-serve-bad-kv",
            "estimate",
            "serve",
            "llama3-8b",
            "dgx-h100",
            "8",
            "--prompt-len",
            "128",
            "--output-len",
            "128",
            "--kv-dtype",
            "fp2",
        ),
    ]
    # scan and rules
    probes += [
        _p("scan-missing", "scan", "{d}/nope"),
        _p("scan-dangling", "scan", "{d}/dangling.yaml"),
        _p("scan-bad-select", "scan", str(EXAMPLES / "tinygpt"), "--select", "NOPE999"),
        _p("scan-bad-ignore", "scan", str(EXAMPLES / "tinygpt"), "--ignore", "NOPE999"),
        _p("scan-bad-config-syntax", "scan", str(EXAMPLES / "tinygpt"), "--config", "{d}/broken.toml"),
        _p("scan-config-missing", "scan", str(EXAMPLES / "tinygpt"), "--config", "{d}/nope.toml"),
        _p("scan-config-binary", "scan", str(EXAMPLES / "tinygpt"), "--config", "{d}/binary.bin"),
        _p("scan-explain-unknown", "scan", "--explain", "IST999"),
        _p("scan-jobs-zero", "scan", str(EXAMPLES / "tinygpt"), "--jobs", "0"),
        _p("scan-bad-format", "scan", str(EXAMPLES / "tinygpt"), "--format", "xml"),
        _p("scan-bad-target", "scan", str(EXAMPLES / "tinygpt"), "--target", "tpu"),
        _p("rules-bad-category", "rules", "--category", "bogus"),
        _p("doctor-bad-option", "doctor", "--bogus"),
        _p("unknown-command", "frobnicate"),
    ]
    # ops, emulate, parity record: models and shapes
    for cls, spec in MODEL_CLASSES.items():
        probes.append(_p(f"ops-{cls}", "ops", spec))
        probes.append(_p(f"emulate-{cls}", "emulate", spec, "--target", "ascend-910b", "--report", "{out}"))
        probes.append(_p(f"parity-record-{cls}", "parity", "record", spec, "-o", "{out}"))
    for cls, shape in SHAPES.items():
        probes.append(_p(f"ops-shape-{cls}", "ops", MODEL, "--input-shape", shape))
        probes.append(_p(f"emulate-shape-{cls}", "emulate", MODEL, "--input-shape", shape))
        probes.append(_p(f"parity-shape-{cls}", "parity", "record", MODEL, "--input-shape", shape, "-o", "{out}"))
    probes += [
        _p("ops-unknown-target", "ops", MODEL, "--target", "bogus"),
        _p("ops-unknown-npu-version", "ops", MODEL, "--torch-npu-version", "9.9.9"),
        _p("emulate-unknown-target", "emulate", MODEL, "--target", "bogus"),
        _p("emulate-steps-zero", "emulate", MODEL, "--steps", "0"),
        _p("emulate-report-under-file", "emulate", MODEL, "--report", "{d}/a_file/r.json"),
        _p("parity-record-bad-device", "parity", "record", MODEL, "--device", "tpu", "-o", "{out}"),
        _p("parity-record-bad-dtype", "parity", "record", MODEL, "--dtype", "fp128", "-o", "{out}"),
        _p("parity-record-bad-autocast", "parity", "record", MODEL, "--autocast", "fp32x", "-o", "{out}"),
        _p("parity-record-bad-emulate", "parity", "record", MODEL, "--emulate", "bogus", "-o", "{out}"),
        _p("parity-record-out-is-file", "parity", "record", MODEL, "-o", "{d}/a_file"),
        _p("parity-record-out-foreign", "parity", "record", MODEL, "-o", "{d}/a_dir"),
        _p(
            "parity-record-bad-inputs",
            "parity",
            "record",
            MODEL,
            "--inputs",
            "{d}/bad_inputs.safetensors",
            "-o",
            "{out}",
        ),
        _p("parity-record-missing-inputs", "parity", "record", MODEL, "--inputs", "{d}/nope.st", "-o", "{out}"),
        _p("parity-record-zero-samples", "parity", "record", MODEL, "--samples", "0", "-o", "{out}"),
    ]
    for rec in RECORD_CLASSES:
        probes.append(_p(f"parity-compare-{rec}", "parity", "compare", f"{{d}}/{rec}", f"{{d}}/{rec}"))
        probes.append(_p(f"parity-compare-model-vs-{rec}", "parity", "compare", MODEL, f"{{d}}/{rec}"))
    # run: scripts and report paths
    probes += [
        _p("run-missing-script", "run", "{d}/nope.py"),
        _p("run-dir-script", "run", "{d}/a_dir"),
        _p("run-no-script", "run"),
        _p("run-unknown-target", "run", "--target", "tpu", "{d}/empty.py"),
        _p("run-report-under-file", "run", "--report", "{d}/a_file/r.json", "{d}/empty.py"),
        _p("run-report-is-dir", "run", "--report", "{d}/a_dir", "{d}/empty.py"),
        _p("run-emulate-unknown", "run", "--emulate", "bogus", "{d}/empty.py"),
        _p("run-strict-without-emulate", "run", "--strict", "{d}/empty.py"),
        _p("run-missing-module", "run", "-m", "no_such_module_xyz"),
    ]
    # assess: projects
    for proj in (
        "proj_broken",
        "proj_missing_model",
        "proj_missing_script",
        "proj_missing_fleet",
        "proj_wrong_type",
        "proj_unknown_key",
        "proj_unknown_target",
        "proj_binary",
    ):
        probes.append(_p(f"assess-{proj}", "assess", f"{{d}}/{proj}", "--out", "{out}", "--quick"))
    probes += [
        _p("assess-missing", "assess", "{d}/nope", "--out", "{out}"),
        _p("assess-file", "assess", "{d}/a_file", "--out", "{out}"),
        _p("assess-bogus-target", "assess", str(EXAMPLES / "tinygpt"), "--target", "bogus", "--out", "{out}"),
        _p("assess-bogus-only", "assess", str(EXAMPLES / "tinygpt"), "--only", "bogus", "--out", "{out}"),
        _p("assess-out-foreign", "assess", str(EXAMPLES / "tinygpt"), "--out", "{d}/a_dir"),
        _p("assess-out-file", "assess", str(EXAMPLES / "tinygpt"), "--out", "{d}/a_file"),
    ]
    return probes


PROBES = _probes()


def _tree_hash(root: Path) -> str:
    """Names, link targets, modes and bytes of everything under `root` (links are not followed)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            st = p.lstat()
            h.update(f"{p.relative_to(root)}|{st.st_mode}|".encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad-inputs")
    _write_inputs(d)
    return d


def test_there_are_at_least_200_probes_and_names_are_unique() -> None:
    assert len(PROBES) >= 200
    assert len({p.name for p in PROBES}) == len(PROBES)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_bad_input(probe: Probe, inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [a.replace("{d}", str(inputs)).replace("{out}", str(out)) for a in probe.args]
    before = _tree_hash(inputs)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "isthmus", *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    shown = f"exit {proc.returncode}\nstdout: {proc.stdout[-500:]!r}\nstderr: {proc.stderr[-1500:]}"
    assert proc.returncode == probe.code, shown
    assert "internal error" not in proc.stderr, shown
    if "--traceback" in args:  # the stack was asked for; the last line is still the one-line error
        assert lines and lines[-1].startswith("isthmus: error: "), shown
    else:
        assert "Traceback" not in proc.stderr, shown
        assert len(lines) == 1 and lines[0].startswith("isthmus: error: "), shown
    assert proc.stdout == "", shown
    assert not out.exists(), f"output written at {out}"
    assert _tree_hash(inputs) == before, "an input was changed"
