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

# Written into every directory that `atomic_output_dir` builds, with the list of files written: an existing directory
# is replaced only if it is empty, or carries this marker and holds nothing else than those files, so `--out` can
# never wipe a directory, or a file, that isthmus did not write.
OUTPUT_MARKER = ".isthmus-output"
_MARKER_HEAD = "written by isthmus; this directory is replaced as a whole on rewrite. Files written:\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_file(path: str | os.PathLike[str], what: str = "output file") -> Path:
    """Refuse, before any work, an output file path that cannot be written: a directory, or a path under a file."""
    dest = Path(path)
    if dest.is_dir():
        raise InputError(f"{dest}: is a directory", hint=f"give a file path for the {what}")
    for parent in dest.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise InputError(f"{dest}: {parent} is not a directory", hint=f"choose another path for the {what}")
            break
    return dest


def _make_parent(dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        raise InputError(f"{dest}: a parent is not a directory", hint="choose another output path") from e


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically, creating parent directories; return the path."""
    dest = Path(path)
    _make_parent(dest)
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
    _make_parent(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        yield tmp
        written = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if not p.is_dir())
        (tmp / OUTPUT_MARKER).write_text(_MARKER_HEAD + "".join(f"{name}\n" for name in written))
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


def check_output_dir(dest: Path) -> None:
    """Refuse an output path that is a file, or a non-empty directory that isthmus did not write."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise InputError(f"{dest}: exists and is not a directory", hint="choose another output directory")
    check_output_file(dest / "x", "output directory")  # no file stands where a parent directory must be
    if not dest.is_dir() or not any(dest.iterdir()):
        return
    marker = dest / OUTPUT_MARKER
    if not marker.is_file() or marker.is_symlink():
        raise InputError(
            f"{dest}: refusing to replace a non-empty directory that isthmus did not write",
            hint="choose a new output directory, or empty this one",
        )
    head, _, listing = marker.read_text(encoding="utf-8", errors="replace").partition("Files written:\n")
    if not listing and not head.startswith("written by isthmus"):
        raise InputError(f"{dest}: {OUTPUT_MARKER} is not ours", hint="choose a new output directory")
    if listing:  # markers of older versions list nothing: their directories hold only what isthmus wrote
        ours = set(listing.splitlines()) | {OUTPUT_MARKER}
        foreign = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if not p.is_dir())
        foreign = [name for name in foreign if name not in ours]
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise InputError(
                f"{dest}: holds files isthmus did not write ({shown}); refusing to replace it",
                hint="move those files away, or choose a new output directory",
            )
