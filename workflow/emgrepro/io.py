"""Atomic writes: an output either appears complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(dest: Path | str, mode: int = 0o666, keep_mode: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success.

    The file gets ``mode`` less the umask, as a file made by ``open`` would (``mkstemp``
    alone would leave it readable by its owner only); with ``keep_mode`` an existing
    ``dest`` keeps its own permissions (a file updated in place, e.g. the checksum lock).
    A failure removes the temporary file; a killed process leaves ``.<name>.*.tmp``, which
    the next write of the same output removes first.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep(dest.parent, dest.name)  # what a killed writer of this output left
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        kept = dest.stat().st_mode & 0o777 if keep_mode and dest.exists() else None
        os.chmod(tmp_path, kept if kept is not None else mode & ~_umask())
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_folder(dest: Path | str) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; put it in place of ``dest`` on success.

    Its folders and files get the permissions the umask allows (``mkdtemp`` alone would
    make them private). A failure removes the temporary folder; a killed process leaves
    ``.<name>.*.tmp``, which the next write of the same folder removes first.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep(dest.parent, dest.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=dest.parent))
    try:
        yield tmp
        mask = _umask()
        for path in [tmp, *tmp.rglob("*")]:
            os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@contextlib.contextmanager
def scratch_path(dest: Path | str, suffix: str = "") -> Iterator[Path]:
    """A temporary file beside ``dest`` (named like atomic_path's), removed on exit: a
    killed process leaves it where the next write of ``dest`` sweeps it."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep(dest.parent, dest.name)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=f"{suffix}{TEMP_SUFFIX}", dir=dest.parent
    )
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def sweep(folder: Path | str, name: str | None = None) -> list[Path]:
    """Remove temporary files a killed writer left in ``folder`` (of ``name`` only, if
    given); returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = f".{name}.*{TEMP_SUFFIX}" if name else f".*{TEMP_SUFFIX}"
    removed = []
    for path in folder.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def write_text(dest: Path | str, text: str) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_text(text)


def write_csv(df: pd.DataFrame, dest: Path | str) -> None:
    with atomic_path(dest) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
