"""sha256 of files and the trust-on-first-use checksum lock.

Most sEMG datasets publish no checksums. The lock file records the sha256 of
every raw file the first time it is fetched, so a later download that differs
(a silently re-uploaded or corrupted file) is caught instead of quietly
changing the results. The file is in ``sha256sum`` format so that
``sha256sum -c`` can check a data folder by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from pathlib import Path

from emgrepro.errors import ChecksumMismatch, EmgreproError
from emgrepro.io import atomic_path

CHUNK_SIZE = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so large recordings fit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _normalise(value: str, what: str) -> str:
    hex_value = value.strip().lower()
    if not _HEX64.fullmatch(hex_value):
        raise EmgreproError(
            f"{what} {value!r} is not a sha256 (64 hex digits); fix the value where it is set"
        )
    return hex_value


class ChecksumLock:
    """A ``sha256sum``-format file of ``<hex>  <key>`` lines, trusted on first use.

    Keys are relative paths such as ``ninapro_db1/S1_A1_E1.mat``. The file is
    re-read on every call, so several processes may share one lock file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._sidecar = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"ChecksumLock({str(self.path)!r})"

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        entries: dict[str, str] = {}
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or not _HEX64.fullmatch(parts[0].lower()):
                raise EmgreproError(
                    f"{self.path}, line {lineno}: expected '<sha256>  <key>', got {raw!r}; "
                    "fix or delete that line (it is re-recorded on the next download)"
                )
            key = parts[1][1:] if parts[1].startswith("*") else parts[1]
            entries[key] = parts[0].lower()
        return entries

    def get(self, key: str) -> str | None:
        """The locked sha256 of ``key``, or None when it has not been recorded yet."""
        return self._read().get(key)

    def verify(self, key: str, actual: str, published: str | None = None) -> str:
        """Check ``actual`` against the published, else the locked, sha256; else record it.

        Returns ``"published"``, ``"locked"`` or ``"recorded"``. Raises
        ChecksumMismatch on a difference; the lock file is then left untouched.
        """
        if not key or "\n" in key or "\r" in key:
            raise ValueError(f"checksum lock key must be one non-empty line, got {key!r}")
        actual = _normalise(actual, f"sha256 of {key}")
        if published is not None:
            expected = _normalise(published, f"published sha256 of {key}")
            if actual != expected:
                raise ChecksumMismatch(
                    f"{key}: sha256 is {actual} but the published sha256 is {expected}; "
                    "the file is corrupt or not the original: get a good copy of it; "
                    "if it still differs, check the source and the published checksum."
                )
            return "published"
        locked = self.get(key)
        if locked is not None:
            self._compare_locked(key, locked, actual)
            return "locked"
        return self._record(key, actual)

    def _compare_locked(self, key: str, locked: str, actual: str) -> None:
        if actual != locked:
            raise ChecksumMismatch(
                f"{key}: sha256 is {actual} but {self.path} locked it as {locked} "
                "when it was first fetched; the file is corrupt or the source changed. "
                "Fetch it again; if you deliberately changed the source, "
                f"delete the line for {key} from {self.path}."
            )

    def _record(self, key: str, actual: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._sidecar, "a+b") as guard:
            fcntl.flock(guard.fileno(), fcntl.LOCK_EX)
            try:
                entries = self._read()
                if key in entries:  # another process recorded it meanwhile
                    self._compare_locked(key, entries[key], actual)
                    return "locked"
                entries[key] = actual
                self._write(entries)
            finally:
                fcntl.flock(guard.fileno(), fcntl.LOCK_UN)
        return "recorded"

    def _write(self, entries: dict[str, str]) -> None:
        """The whole lock, replaced at once; it keeps its permissions (a new one: as the
        umask allows, like any new file)."""
        text = "".join(f"{entries[k]}  {k}\n" for k in sorted(entries))
        with atomic_path(self.path, keep_mode=True) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
