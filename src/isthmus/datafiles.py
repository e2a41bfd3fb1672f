"""Reading user data files (YAML) with one-line errors that say where the problem is.

Every user-supplied YAML file (fleets, scenarios, sweeps) is read here, so a syntax error reads the same
everywhere: `FILE: malformed YAML at line N: PROBLEM`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from isthmus.errors import InputError


class _Loader(yaml.SafeLoader):
    """SafeLoader whose dates fail like syntax errors: with the line, instead of a bare ValueError."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a calendar date ({e})", node.start_mark
            ) from e


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def read_yaml(path: Path, *, what: str = "YAML file") -> Any:
    """Parse `path` with `yaml.safe_load`; unreadable or malformed files raise a one-line InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}", hint=f"pass the path of a readable {what}") from e
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        source = text.splitlines()[mark.line].strip() if mark is not None else ""
        field = f" ({source})" if source else ""
        raise InputError(f"{path}:{where}{field}: {e.problem}", hint=f"fix the value in the {what}") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(e, "problem", None) or e).replace("\n", " ")
        raise InputError(f"{path}: malformed YAML{line}: {problem}", hint="fix the YAML syntax") from e
