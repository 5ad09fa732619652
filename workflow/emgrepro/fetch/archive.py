"""Find and safely extract the wanted files from a dataset archive or folder.

Dataset archives nest their files under folders that differ between releases
and mirrors, so files are located by the end of their path rather than the
full path. Only the wanted members are extracted, each atomically, and an
archive with any member that could escape the destination is refused whole.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from emgrepro.errors import DataFormatError, EmgreproError, UnsafeArchiveError
from emgrepro.io import atomic_path

Aliases = Callable[[str], Iterable[str]]

_SEPARATORS = re.compile(r"[/\\]+")
_DRIVE = re.compile(r"^[A-Za-z]:")
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    EOFError,
    zlib.error,
    gzip.BadGzipFile,
)


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p for p in _SEPARATORS.split(name) if p not in ("", "."))


def _kind(archive: Path) -> str:
    if not archive.is_file():
        raise EmgreproError(
            f"{archive}: archive not found (or not a file); fetch it first or fix its path"
        )
    if zipfile.is_zipfile(archive):
        return "zip"
    if tarfile.is_tarfile(archive):
        return "tar"
    raise DataFormatError(
        f"{archive}: not a zip or tar archive (perhaps truncated, or a web page saved "
        "under an archive name); get a good copy of it"
    )


def _corrupt(archive: Path, exc: BaseException) -> DataFormatError:
    return DataFormatError(
        f"{archive}: archive is corrupt or truncated ({type(exc).__name__}: {exc}); "
        "get a good copy of it"
    )


def list_members(archive: str | os.PathLike[str]) -> list[str]:
    """Names of all members of a zip or tar(.gz) archive; directories end with ``/``.

    The format is detected from the content, not the file name.
    """
    path = Path(archive)
    kind = _kind(path)
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as zf:
                return zf.namelist()
        with tarfile.open(path, "r:*") as tf:
            return [m.name + "/" if m.isdir() else m.name for m in tf.getmembers()]
    except _READ_ERRORS as exc:
        raise _corrupt(path, exc) from exc


def check_member_name(name: str, archive: str | os.PathLike[str] | None = None) -> None:
    """Refuse a member name that is absolute or has a ``..`` component (path traversal)."""
    where = f"{os.fspath(archive)}: " if archive is not None else ""
    problem = None
    if "\x00" in name:
        problem = "contains a NUL byte"
    elif name.startswith(("/", "\\")) or _DRIVE.match(name):
        problem = "is an absolute path"
    elif ".." in _SEPARATORS.split(name):
        problem = "has a '..' component"
    if problem:
        raise UnsafeArchiveError(
            f"{where}member {name!r} {problem} and could write outside the extraction folder; "
            "the archive was refused and nothing was extracted. Get the archive from the "
            "official source, or unpack it by hand after checking it"
        )


def match_members(
    members: Iterable[str],
    wanted: Iterable[str],
    aliases: Aliases | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
) -> dict[str, str]:
    """Map each wanted relative path to the one member whose path ends with it.

    Matching is per path component, so ``data/EMG-S1/HC-1.csv`` matches
    ``EMG-S1/HC-1.csv`` but ``EMG-S11/HC-1.csv`` does not. ``aliases(canonical)``
    gives alternative names, tried in order after the canonical one; the first
    name that matches wins. Directories (names ending in ``/``) are ignored.
    Wanted paths with no match are left out. ``source`` only labels errors.
    """
    files = [(m, _parts(m)) for m in members if not m.endswith(("/", "\\"))]
    by_last: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for member, parts in files:
        if parts:
            by_last.setdefault(parts[-1], []).append((member, parts))
    result: dict[str, str] = {}
    for canonical in wanted:
        names = [canonical, *(aliases(canonical) if aliases else ())]
        for name in names:
            want = _parts(name)
            if not want:
                raise ValueError(f"wanted path {name!r} is empty")
            hits = sorted(
                {m for m, parts in by_last.get(want[-1], ()) if parts[-len(want) :] == want}
            )
            if len(hits) > 1:
                where = f"{os.fspath(source)}: " if source is not None else ""
                raise DataFormatError(
                    f"{where}{canonical!r} matches several members: {', '.join(hits)}; "
                    "the layout is ambiguous. Remove the extra copies or point `sources` at a "
                    "folder or archive holding one copy"
                )
            if hits:
                result[canonical] = hits[0]
                break
    return result


def _check_target(canonical: str) -> None:
    if _DRIVE.match(canonical) or canonical.startswith(("/", "\\")) or ".." in _parts(canonical):
        raise ValueError(f"canonical path {canonical!r} must be relative and stay inside dest_dir")


def _copy_member(src: IO[bytes], target: Path, commit: contextlib.ExitStack) -> None:
    """Copy one member beside its target; ``commit`` puts it in place when it closes."""
    with open(commit.enter_context(atomic_path(target)), "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)


def extract_members(
    archive: str | os.PathLike[str],
    mapping: Mapping[str, str],
    dest_dir: str | os.PathLike[str],
) -> list[Path]:
    """Extract ``mapping[canonical]`` to ``dest_dir / canonical`` for each entry.

    Every member name is checked first and an unsafe archive is refused before
    anything is written. Each file is written to a temp file and moved into
    place only after all members were read, so a failure leaves nothing behind.
    Returns the written paths in ``mapping`` order.
    """
    path = Path(archive)
    dest = Path(dest_dir)
    for canonical in mapping:
        _check_target(canonical)
    names = list_members(path)
    for name in names:
        check_member_name(name, path)
    present = set(names)
    missing = [m for m in mapping.values() if m not in present]
    if missing:
        raise EmgreproError(
            f"{path}: no member(s) {', '.join(map(repr, missing))}; the archive differs from "
            "the one expected: get a good copy of it"
        )

    # Every member is written beside its target; only when all were read does leaving the
    # stack rename each into place (a failure removes every temporary file instead).
    with contextlib.ExitStack() as commit:
        try:
            if _kind(path) == "zip":
                _extract_zip(path, mapping, dest, commit)
            else:
                _extract_tar(path, mapping, dest, commit)
        except _READ_ERRORS as exc:
            raise _corrupt(path, exc) from exc
    return [dest / canonical for canonical in mapping]


def _extract_zip(
    path: Path, mapping: Mapping[str, str], dest: Path, commit: contextlib.ExitStack
) -> None:
    with zipfile.ZipFile(path) as zf:
        for canonical, member in mapping.items():
            info = zf.getinfo(member)
            if info.is_dir():
                raise EmgreproError(f"{path}: member {member!r} is a folder, not a file")
            if info.flag_bits & 0x1:
                raise DataFormatError(
                    f"{path}: member {member!r} is encrypted; unpack the archive by hand "
                    "and point `sources` at the folder"
                )
            with zf.open(info) as src:
                _copy_member(src, dest / canonical, commit)


def _extract_tar(
    path: Path, mapping: Mapping[str, str], dest: Path, commit: contextlib.ExitStack
) -> None:
    with tarfile.open(path, "r:*") as tf:
        infos = {
            canonical: tf.getmember(member.rstrip("/")) for canonical, member in mapping.items()
        }
        # In data order, so a compressed tar is read forward once.
        for canonical, info in sorted(infos.items(), key=lambda kv: kv[1].offset_data):
            if not info.isfile():
                raise UnsafeArchiveError(
                    f"{path}: member {info.name!r} is a link or special file, not a regular "
                    "file; the archive was refused and nothing was extracted"
                )
            src = tf.extractfile(info)
            if src is None:  # pragma: no cover - isfile() guarantees a file object
                raise DataFormatError(f"{path}: member {info.name!r} has no data")
            with src:
                _copy_member(src, dest / canonical, commit)


def find_in_folder(
    folder: str | os.PathLike[str],
    wanted: Iterable[str],
    aliases: Aliases | None = None,
) -> dict[str, Path]:
    """Suffix-match wanted paths against files found recursively in an unpacked folder."""
    root = Path(folder)
    if not root.is_dir():
        raise EmgreproError(
            f"{root}: folder not found (or not a folder); fix the path in `sources`"
        )
    relative: list[str] = []
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:  # symlink loop
            dirnames.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        base = Path(dirpath).relative_to(root)
        relative.extend((base / f).as_posix() for f in sorted(filenames))
    matched = match_members(relative, wanted, aliases, source=root)
    return {canonical: root / member for canonical, member in matched.items()}
