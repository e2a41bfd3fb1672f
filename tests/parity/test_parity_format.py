"""Hostile and broken records fail cleanly: InputError in the library, exit status 2 on the command line."""

from __future__ import annotations

import json
import pickle
import shutil
import struct
from pathlib import Path

import pytest

from isthmus.errors import InputError
from isthmus.parity import (
    InputSpec,
    RecordOptions,
    load_record,
    record_model,
    save_record,
    written_line,
    written_summary,
)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, deep_file: Path) -> Path:
    out = tmp_path_factory.mktemp("records") / "good"
    save_record(record_model(f"{deep_file}:deep", InputSpec(), RecordOptions()), out)
    return out


def _copy(good: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "rec"
    shutil.copytree(good, dest)
    return dest


def _manifest(rec: Path) -> dict:
    return json.loads((rec / "manifest.json").read_text())


def test_good_record_loads(good: Path) -> None:
    assert len(load_record(good).manifest.entries) == 49  # 48 layers and the Sequential itself


def test_written_summary_counts_the_files_on_disk(good: Path) -> None:
    rec = load_record(good)
    info = written_summary(rec, good, 1.23456)
    assert json.loads(json.dumps(info)) == info
    assert info["entries"] == 49 and info["seconds"] == 1.235 and info["record"] == str(good)
    assert info["bytes"] == sum(p.stat().st_size for p in good.iterdir()) > 0
    assert info["weights_sha256"] == rec.manifest.model.weights_sha256
    line = written_line(rec, info)
    assert line.startswith(f"recorded 49 tensors of {rec.manifest.model.name} on cpu (")
    assert line.endswith(f"-> {good} ({info['bytes'] / 1e6:.2f} MB, 1.235 s)")


def _lying_header(rec: Path) -> None:
    blob = (rec / "tensors.safetensors").read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"][1] += 1 << 30  # claims a GiB more than the file holds
    raw = json.dumps(header).encode()
    (rec / "tensors.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + blob[8 + n :])


def _truncate(rec: Path) -> None:
    blob = (rec / "tensors.safetensors").read_bytes()
    (rec / "tensors.safetensors").write_bytes(blob[: len(blob) // 2])


def _pickle_as_tensors(rec: Path) -> None:
    (rec / "tensors.safetensors").write_bytes(pickle.dumps({"sample/0": [1.0, 2.0]}))


def _pickle_as_manifest(rec: Path) -> None:
    (rec / "manifest.json").write_bytes(pickle.dumps({"format": "isthmus-parity"}))


def _wrong_types(rec: Path) -> None:
    m = _manifest(rec)
    m["entries"][0]["shape"] = "4x32"
    m["run"]["seed"] = "0"
    (rec / "manifest.json").write_text(json.dumps(m))


def _numel_lie(rec: Path) -> None:
    m = _manifest(rec)
    m["entries"][0]["numel"] = 10**12
    m["entries"][0]["shape"] = [10**6, 10**6]
    (rec / "manifest.json").write_text(json.dumps(m))


def _missing_tensor(rec: Path) -> None:
    m = _manifest(rec)
    m["entries"][0]["sample"] = "sample/999999"
    (rec / "manifest.json").write_text(json.dumps(m))


def _nan_in_json(rec: Path) -> None:
    text = (rec / "manifest.json").read_text()
    m = _manifest(rec)
    old = json.dumps(m["entries"][0]["stats"]["mean"])
    (rec / "manifest.json").write_text(text.replace(old, "NaN", 1))


def _newer_version(rec: Path) -> None:
    m = _manifest(rec)
    m["version"] = 99
    (rec / "manifest.json").write_text(json.dumps(m))


def _extra_key(rec: Path) -> None:
    m = _manifest(rec)
    m["run"]["exec"] = "rm -rf /"
    (rec / "manifest.json").write_text(json.dumps(m))


def _no_tensors(rec: Path) -> None:
    (rec / "tensors.safetensors").unlink()


BREAKERS = {
    "header lies about sizes": (_lying_header, "outside"),
    "truncated tensors": (_truncate, "truncated|outside|header claims"),
    "pickle renamed to safetensors": (_pickle_as_tensors, "safetensors|header claims"),
    "pickle renamed to manifest": (_pickle_as_manifest, "not a JSON manifest"),
    "wrong types": (_wrong_types, "invalid manifest"),
    "numel lies": (_numel_lie, "sample must be|numel"),
    "missing tensor": (_missing_tensor, "missing"),
    "NaN in JSON": (_nan_in_json, "not a JSON manifest"),
    "newer version": (_newer_version, "newer"),
    "unknown key": (_extra_key, "invalid manifest"),
    "no tensors file": (_no_tensors, "missing"),
}


@pytest.mark.parametrize("case", list(BREAKERS))
def test_broken_record_is_refused(case: str, good: Path, tmp_path: Path, run_cli) -> None:
    breaker, pattern = BREAKERS[case]
    rec = _copy(good, tmp_path)
    breaker(rec)
    with pytest.raises(InputError, match=pattern):
        load_record(rec)
    code, out, err = run_cli("parity", "compare", str(good), str(rec))
    assert code == 2 and out == "" and err.startswith("isthmus: error:") and err.count("\n") == 1


def test_a_file_or_nothing_is_not_a_record(good: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such record"):
        load_record(tmp_path / "nope")
    with pytest.raises(InputError, match="directory, not a file"):
        load_record(good / "manifest.json")


def test_failed_recording_leaves_no_half_written_record(tmp_path: Path, run_cli, deep_file: Path) -> None:
    code, _, err = run_cli("parity", "record", f"{deep_file}:deep", "--dtype", "fp12", "-o", str(tmp_path / "x"))
    assert code == 2 and "unknown dtype" in err
    assert not (tmp_path / "x").exists()
