"""The one `--input-shape` parser shared by `isthmus ops`, `emulate` and `parity record`."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.cli._common import parse_shape
from isthmus.errors import InputError


@pytest.mark.parametrize(("text", "shape"), [("1,128", (1, 128)), (" 2, 3 ,4", (2, 3, 4)), ("7", (7,)), (None, None)])
def test_parse_shape_accepts_comma_separated_positive_integers(text: str | None, shape: tuple[int, ...] | None) -> None:
    assert parse_shape(None, None, text) == shape


@pytest.mark.parametrize("text", ["", "1,x", "0,3", "-1", "1,,2", "2x8", "1.5", "1,"])
def test_parse_shape_rejects_anything_else_with_the_fix(text: str) -> None:
    with pytest.raises(InputError, match=r"use comma-separated positive integers, e\.g\. 1,128"):
        parse_shape(None, None, text)


@pytest.mark.parametrize(
    "command",
    [
        ("ops", "examples/tinygpt/model.py:tiny"),
        ("emulate", "examples/tinygpt/model.py:tiny"),
        ("parity", "record", "examples/tinygpt/model.py:tiny", "-o"),
    ],
)
def test_every_command_gives_the_same_one_line_error(run_cli, command: tuple[str, ...], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = (*command, str(tmp_path / "rec")) if command[-1] == "-o" else command
    code, out, err = run_cli(*args, "--input-shape", "1,x")
    assert code == 2 and out == "" and not (tmp_path / "rec").exists()
    assert err.strip().splitlines() == [
        "isthmus: error: --input-shape '1,x': use comma-separated positive integers, e.g. 1,128"
    ]
