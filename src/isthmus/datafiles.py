"""Reading user data files (YAML) with one-line errors that say where the problem is.

Every user-supplied YAML file (fleets, scenarios, sweeps) is read here, so a syntax error reads the same
everywhere: `FILE: malformed YAML at line N: PROBLEM`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from isthmus.errors import InputError


def read_yaml(path: Path, *, what: str = "YAML file") -> Any:
    """Parse `path` with `yaml.safe_load`; unreadable or malformed files raise a one-line InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}", hint=f"pass the path of a readable {what}") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(e, "problem", None) or e).replace("\n", " ")
        raise InputError(f"{path}: malformed YAML{line}: {problem}", hint="fix the YAML syntax") from e
