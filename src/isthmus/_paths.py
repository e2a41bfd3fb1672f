"""How isthmus shows a source path in its reports: relative to the working directory when the file lies under it.

Call sites in redirection and emulation records read `train.py:12` rather than a long absolute path, while files
outside the working directory (site-packages, another drive) keep their full path, so no record is ambiguous.
"""

from __future__ import annotations

import os


def display_path(path: str) -> str:
    """`path` relative to the current directory when it lies under it, else `path` unchanged."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel
