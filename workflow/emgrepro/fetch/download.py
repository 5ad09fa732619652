"""Download one file safely: retries, truncation checks, sha256, atomic placement.

A dataset file only ever appears at its destination complete and verified, so a
crashed or interrupted run never leaves a half-written file that a later run
would take for good data.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from emgrepro.errors import ChecksumMismatch, ConfigError, DownloadError
from emgrepro.fetch.checksums import ChecksumLock

CHUNK_SIZE = 1 << 20
USER_AGENT = "emgrepro/0.1 (reproduction pipeline; Python urllib)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".mat")
MAX_RETRY_AFTER_S = 60.0
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_MANUAL_HINT = "download the file by hand and point the dataset's `sources` entry at it"


class _Transient(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def download(
    url: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    lock: ChecksumLock | None = None,
    lock_key: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 0.5,
) -> Path:
    """Fetch ``url`` (http(s)://, file:// or a local path) to ``dest`` and verify it.

    ``sha256`` is the published checksum; without it, ``lock`` checks the file
    against (or records it in) the trust-on-first-use lock under ``lock_key``
    (default: ``dest``'s file name). ``retries`` is the number of extra attempts
    after the first, with ``backoff * 2**n`` seconds between them. Returns ``dest``.
    """
    url = os.fspath(url)
    dest = Path(dest)
    expected = None
    if sha256 is not None:
        expected = sha256.strip().lower()
        if not _HEX64.fullmatch(expected):
            raise ConfigError(
                f"sha256 for {url} is {sha256!r}, not 64 hex digits; fix the checksum in the config"
            )
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    dest.parent.mkdir(parents=True, exist_ok=True)

    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".part-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as out:
            scheme = urllib.parse.urlsplit(url).scheme.lower()
            if scheme in ("http", "https"):
                actual = _fetch_http(url, dest, out, retries, timeout, backoff)
            elif scheme == "file" or scheme == "" or (len(scheme) == 1 and os.name == "nt"):
                actual = _copy_local(url, dest, out)
            else:
                raise DownloadError(
                    f"{url}: unsupported URL scheme {scheme!r}; use http(s)://, file:// or a "
                    f"local path, or {_MANUAL_HINT}"
                )
            out.flush()
            os.fsync(out.fileno())
        _verify(url, dest, actual, expected, lock, lock_key)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _verify(
    url: str,
    dest: Path,
    actual: str,
    expected: str | None,
    lock: ChecksumLock | None,
    lock_key: str | None,
) -> None:
    if expected is not None:
        if actual != expected:
            raise ChecksumMismatch(
                f"{url}: sha256 of the download is {actual} but the published sha256 is "
                f"{expected}; the download is corrupt or the file is not the original, and "
                f"nothing was written to {dest}. Rerun to fetch it again; if it still differs, "
                "check the source and the published checksum in the config."
            )
        return
    if lock is not None:
        try:
            lock.verify(lock_key or dest.name, actual)
        except ChecksumMismatch as exc:
            raise ChecksumMismatch(f"{url}: {exc} Nothing was written to {dest}.") from exc


def _looks_like_html(first: bytes) -> bool:
    head = first[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS)


def _wants_binary(url: str, dest: Path) -> bool:
    path = urllib.parse.urlsplit(url).path.lower()
    return path.endswith(ARCHIVE_SUFFIXES) or dest.name.lower().endswith(ARCHIVE_SUFFIXES)


def _html_error(url: str) -> DownloadError:
    return DownloadError(
        f"{url}: the server answered with a web page instead of the file, probably a login or "
        f"registration page; {_MANUAL_HINT}"
    )


def _copy_local(url: str, dest: Path, out: BinaryIO) -> str:
    """Copy a local file (plain path or file:// URL) into ``out``; return its sha256."""
    if url.lower().startswith("file:"):
        parts = urllib.parse.urlsplit(url)
        src = Path(urllib.request.url2pathname(parts.path))
    else:
        src = Path(url).expanduser()
    digest = hashlib.sha256()
    try:
        with open(src, "rb") as fh:
            first = True
            for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
                if first and _wants_binary(url, dest) and _looks_like_html(chunk):
                    raise _html_error(url)
                first = False
                digest.update(chunk)
                out.write(chunk)
    except FileNotFoundError:
        raise DownloadError(
            f"{url}: no such file ({src}); check the path in the dataset's `sources` entry"
        ) from None
    except IsADirectoryError:
        raise DownloadError(
            f"{url}: {src} is a folder, not a file; point `sources` at the file itself"
        ) from None
    except PermissionError:
        raise DownloadError(
            f"{url}: permission denied reading {src}; fix the file's permissions"
        ) from None
    return digest.hexdigest()


def _fetch_http(
    url: str, dest: Path, out: BinaryIO, retries: int, timeout: float, backoff: float
) -> str:
    """Stream ``url`` into ``out`` with retries; return the sha256 of the complete body."""
    attempts = retries + 1
    last: str = "no attempt made"
    for attempt in range(1, attempts + 1):
        out.seek(0)
        out.truncate()
        try:
            return _attempt(url, dest, out, timeout)
        except _Transient as exc:
            last = str(exc)
            wait = exc.retry_after
        if attempt < attempts:
            delay = backoff * 2 ** (attempt - 1)
            if wait is not None:
                delay = max(delay, min(wait, MAX_RETRY_AFTER_S))
            time.sleep(delay)
    raise DownloadError(
        f"could not download {url} after {attempts} attempt{'s' if attempts > 1 else ''}; "
        f"last error: {last}. Check the network and that the server is up, then rerun; "
        f"or {_MANUAL_HINT}"
    )


def _retry_after(headers: Message | None) -> float | None:
    """Seconds from a numeric Retry-After header (429/503), else None."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: fall back to the usual backoff
        return None


def _attempt(url: str, dest: Path, out: BinaryIO, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        status = f"HTTP {exc.code} {exc.reason}"
        if exc.code in RETRY_STATUSES:
            raise _Transient(f"server answered {status}", _retry_after(exc.headers)) from None
        if exc.code == 404:
            hint = "the URL is wrong or the file has moved; fix the URL in `sources`, or"
        elif exc.code in (401, 403):
            hint = "the server refused access (the dataset may need a login);"
        else:
            hint = "the request was refused;"
        raise DownloadError(
            f"{url}: server answered {status} (not retried): {hint} {_MANUAL_HINT}"
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise _Transient(f"timeout: no answer within {timeout} s") from None
        raise _Transient(f"could not connect: {reason}") from None
    except TimeoutError:
        raise _Transient(f"timeout: no answer within {timeout} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Transient(f"connection failed: {type(exc).__name__}: {exc}") from None

    with response:
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        digest = hashlib.sha256()
        received = 0
        first = True
        while True:
            try:
                chunk = response.read(CHUNK_SIZE)
            except TimeoutError:
                raise _Transient(
                    f"timeout: no data for {timeout} s after {received} bytes"
                ) from None
            except http.client.IncompleteRead as exc:
                raise _Transient(
                    f"truncated: connection closed after {received + len(exc.partial)} bytes"
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(
                    f"connection dropped after {received} bytes: {type(exc).__name__}: {exc}"
                ) from None
            if not chunk:
                break
            if first and _wants_binary(url, dest) and _looks_like_html(chunk):
                raise _html_error(url)
            first = False
            digest.update(chunk)
            out.write(chunk)
            received += len(chunk)
    if length is not None and received != length:
        raise _Transient(
            f"truncated: received {received} of {length} bytes announced by Content-Length"
        )
    return digest.hexdigest()
