"""Atomic file output: a reader never sees a half-written file, and a failure leaves the old file in place.

Every file isthmus writes for the user goes through these helpers: write to a temporary sibling, flush, then
`os.replace` it over the destination (atomic on POSIX and Windows when both are on one file system).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from isthmus.errors import InputError

# Written into every directory that `atomic_output_dir` builds: an existing directory is replaced only if it
# carries this marker (or is empty), so `--out` can never wipe a directory isthmus did not write.
OUTPUT_MARKER = ".isthmus-output"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically, creating parent directories; return the path."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dest


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write `obj` as indented JSON (keys kept in insertion order) atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, default=str) + "\n")


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a directory in a temporary sibling and move it into place only if the block succeeds.

    An existing directory at `path` is replaced as a whole, but only if isthmus wrote it (it carries
    OUTPUT_MARKER) or it is empty; anything else is refused before work starts. On failure the existing
    directory is left untouched and the temporary directory is removed.
    """
    dest = Path(path)
    check_output_dir(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        (tmp / OUTPUT_MARKER).write_text("written by isthmus; this directory is replaced as a whole on rewrite\n")
        yield tmp
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_output_file(dest: Path) -> None:
    """Refuse an output file path that cannot be written: a directory, or a path under an existing non-directory.

    Checked before work that would be lost if the final write failed (a program run whose report goes there)."""
    if dest.is_dir():
        raise InputError(f"{dest}: is a directory", hint="give a file path for the output")
    for parent in dest.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{dest}: {parent} is not a directory", hint="choose an output path in a directory")
            return


def check_output_dir(dest: Path) -> None:
    """Refuse an output path that is a file, or a non-empty directory that isthmus did not write."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise InputError(f"{dest}: exists and is not a directory", hint="choose another output directory")
    if dest.is_dir() and not (dest / OUTPUT_MARKER).is_file() and any(dest.iterdir()):
        raise InputError(
            f"{dest}: refusing to replace a non-empty directory that isthmus did not write",
            hint="choose a new output directory, or empty this one",
        )
