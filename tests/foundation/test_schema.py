"""The one strict base, the one error wording, and the TOML settings validated through them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from isthmus.errors import InputError
from isthmus.project import Project
from isthmus.scan.config import ScanConfig, load_config
from isthmus.schema import StrictModel, describe, location, validate_packaged


class _Item(StrictModel):
    name: str
    size: float = Field(1.0, gt=0)


class _Doc(StrictModel):
    items: list[_Item]


def _error(data: object) -> str:
    with pytest.raises(ValidationError) as info:
        _Doc.model_validate(data)
    return describe(info.value)


def test_strict_model_refuses_unknown_keys_infinities_and_changes() -> None:
    assert _error({"items": [{"name": "a", "colour": "red"}]}) == "items[0].colour: unknown key"
    assert _error({"items": [{"name": "a", "size": float("inf")}]}) == "items[0].size: Input should be a finite number"
    doc = _Doc.model_validate({"items": [{"name": "a"}]})
    with pytest.raises(ValidationError):
        doc.items[0].name = "b"  # type: ignore[misc]


def test_describe_counts_the_other_errors_and_keeps_one_line() -> None:
    text = _error({"items": [{"size": -1}, {}]})
    assert text == "items[0].name: Field required (and 2 more)"
    assert "\n" not in text


def test_location_drops_discriminator_tags_only_after_an_index() -> None:
    assert location(("workloads", 2, "serve", "tokens_per_s")) == "workloads[2].tokens_per_s"
    assert location(("serve", "x")) == "serve.x"
    assert location(()) == ""


def test_validate_packaged_reports_a_packaging_bug_on_one_line() -> None:
    assert validate_packaged(_Doc, "items: [{name: a}]\n", "test data").items[0].name == "a"
    with pytest.raises(RuntimeError, match=r"^isthmus test data is invalid: items\[0\]\.name: Field required$"):
        validate_packaged(_Doc, "items: [{}]\n", "test data")
    with pytest.raises(RuntimeError, match="isthmus test data is invalid"):
        validate_packaged(_Doc, "items: [\n", "test data")


def _project(tmp_path: Path, toml: str) -> Project:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "isthmus.toml").write_text(toml)
    return Project.load(tmp_path)


def test_isthmus_toml_is_read_into_project_config(tmp_path: Path) -> None:
    cfg = _project(
        tmp_path, '[assess]\nmodel = "m.py:f"\ntrain_args = ["--x", "1"]\nfleet = "f.yaml"\ntargets = ["cuda"]\n'
    ).config
    assert (cfg.model, cfg.train_args, cfg.targets) == ("m.py:f", ("--x", "1"), ("cuda",))
    assert cfg.fleet == (tmp_path / "f.yaml").resolve()
    empty = _project(tmp_path, "").config
    assert (empty.model, empty.fleet, empty.targets) == (None, None, ("cuda", "ascend-910b"))


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[assess]\nmodle = "m.py:f"\n', "[assess] modle: unknown key"),
        ("[assess]\nmodel = 3\n", "[assess] model: Input should be a valid string"),
        ("[assess]\ntargets = 7\n", "[assess] targets: Input should be a valid list"),
        ('[assess]\ntrain_args = ["a", 1]\n', "[assess] train_args[1]: Input should be a valid string"),
        ('assess = "x"\n', "[assess] must be a table"),
    ],
)
def test_isthmus_toml_errors_name_the_file_and_key(tmp_path: Path, toml: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        _project(tmp_path, toml)
    assert info.value.message == f"{tmp_path / 'isthmus.toml'}: {words}"


def _scan_config(tmp_path: Path, toml: str) -> ScanConfig:
    (tmp_path / "pyproject.toml").write_text(toml)
    return load_config(tmp_path)


def test_scan_table_is_read_into_scan_config(tmp_path: Path) -> None:
    assert _scan_config(tmp_path, "") == ScanConfig(tmp_path / "pyproject.toml", tmp_path)
    toml = (
        '[tool.isthmus.scan]\ntarget = "cuda"\nselect = ["ist1"]\nexclude = ["Third/*"]\nfail-on = "info"\n'
        '[tool.isthmus.scan.per-file-ignores]\n"a.py" = ["ist101"]\n'
    )
    cfg = _scan_config(tmp_path, toml)
    assert (cfg.target, cfg.select, cfg.ignore, cfg.fail_on) == ("cuda", ("IST1",), (), "info")
    assert cfg.exclude == ("Third/*",)  # globs keep their case
    assert cfg.per_file_ignores == (("a.py", ("IST101",)),)


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("bogus = 1\n", "bogus: unknown key"),
        ('fail_on = "error"\n', "fail_on: unknown key"),  # the key is spelled fail-on
        ('target = "gpu"\n', "target: 'gpu' is not one of npu, cuda, any"),
        ('fail-on = "fatal"\n', "fail-on: 'fatal' is not one of error, warning, info"),
        ('select = "IST1"\n', "select: Input should be a valid list"),
        ('[tool.isthmus.scan.per-file-ignores]\n"a.py" = "ALL"\n', "per-file-ignores.a.py: Input should be a valid"),
    ],
)
def test_scan_table_errors_name_the_file_and_key(tmp_path: Path, toml: str, words: str) -> None:
    if not toml.startswith("[tool"):
        toml = "[tool.isthmus.scan]\n" + toml
    with pytest.raises(InputError) as info:
        _scan_config(tmp_path, toml)
    assert info.value.message.startswith(f"{tmp_path / 'pyproject.toml'}: [tool.isthmus.scan] {words}")
