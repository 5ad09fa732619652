"""Download one file safely: retries, truncation checks, content checks, sha256, atomic
placement, progress in the log.

A dataset file only ever appears at its destination complete and checked, so a crashed or
interrupted run never leaves a half-written file that a later run would take for good
data. What arrives must be an archive (zip, tar, tar.gz) or a MATLAB file: an empty body, a
web page (by its Content-Type or its first bytes) or anything else is refused before it is
placed. Nothing is recorded as trusted here: the checksum lock learns a raw file's hash
only once the fetch step has extracted it and its reader has accepted it.

Written here rather than with pooch (installed through MNE): pooch checks a known hash or
none, while this pipeline needs file:// and local sources, login-page and truncation
detection with errors that say what to do, and the trust-on-first-use lock after the
reader's checks.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from emgrepro.errors import ChecksumMismatch, ConfigError, DownloadError
from emgrepro.io import atomic_path

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
USER_AGENT = "emgrepro/0.1 (reproduction pipeline; Python urllib)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".mat")
MAX_RETRY_AFTER_S = 60.0
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<?xml")
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
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 0.5,
) -> Path:
    """Fetch ``url`` (http(s)://, file:// or a local path) to ``dest`` and check it.

    The body must be an archive or a MATLAB file (``check_content``); ``sha256`` is its
    published checksum, if there is one. ``retries`` is the number of extra attempts after
    the first, with ``backoff * 2**n`` seconds between them. Returns ``dest``.
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
    with atomic_path(dest) as tmp, open(tmp, "w+b") as out:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        content_type = ""
        if scheme in ("http", "https"):
            actual, content_type = _fetch_http(url, dest, out, retries, timeout, backoff)
        elif scheme == "file" or scheme == "" or (len(scheme) == 1 and os.name == "nt"):
            actual = _copy_local(url, dest, out)
        else:
            raise DownloadError(
                f"{url}: unsupported URL scheme {scheme!r}; use http(s)://, file:// or a "
                f"local path, or {_MANUAL_HINT}"
            )
        out.flush()
        check_content(tmp, url, content_type)
        _verify(url, dest, actual, expected)
    return dest


def identify(path: Path) -> str:
    """What a downloaded file is, from its bytes: zip, tar, gzip, bzip2, xz, mat, html,
    empty or unknown."""
    with open(path, "rb") as fh:
        head = fh.read(520)
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"MATLAB "):
        return "mat"
    if _looks_like_html(head):
        return "html"
    return "unknown"


def check_content(path: Path, url: str, content_type: str = "") -> None:
    """Refuse what cannot be the data: an empty body, a web page, an unreadable archive,
    anything that is not an archive or a MATLAB file."""
    kind = identify(path)
    if kind == "empty":
        raise DownloadError(
            f"{url}: the server sent an empty body (0 bytes); nothing was kept. Rerun later, or "
            f"{_MANUAL_HINT}"
        )
    if kind == "html" or (content_type.startswith("text/html") and kind == "unknown"):
        raise _html_error(url)
    if kind == "unknown":
        with open(path, "rb") as fh:
            first = fh.read(16)
        raise DownloadError(
            f"{url}: not an archive (.zip, .tar, .tar.gz) or a .mat file (it starts with "
            f"{first!r}); point the dataset's `sources` entry at the archive itself"
        )
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as zf:
                zf.namelist()
        elif kind in ("tar", "gzip", "bzip2", "xz"):
            with tarfile.open(path, "r:*") as tf:
                tf.getmembers()
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise DownloadError(
            f"{url}: the {kind} archive is truncated or corrupt ({type(exc).__name__}: {exc}); "
            "nothing was kept. Rerun to fetch it again"
        ) from None


def _verify(url: str, dest: Path, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected:
        raise ChecksumMismatch(
            f"{url}: sha256 of the download is {actual} but the published sha256 is "
            f"{expected}; the download is corrupt or the file is not the original, and "
            f"nothing was written to {dest}. Rerun to fetch it again; if it still differs, "
            "check the source and the published checksum in the config."
        )


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
) -> tuple[str, str]:
    """Stream ``url`` into ``out`` with retries; (sha256 of the complete body, its
    Content-Type)."""
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


def request_url(url: str) -> str:
    """``url`` as sent: characters HTTP does not allow in a request line (a space in a
    mirror's folder name) percent-encoded, those already encoded left as they are."""
    parts = urllib.parse.urlsplit(url)
    safe = "/%:@!$&'()*+,;=~-._"
    return urllib.parse.urlunsplit(
        parts._replace(
            path=urllib.parse.quote(parts.path, safe=safe),
            query=urllib.parse.quote(parts.query, safe=safe + "?"),
        )
    )


def _attempt(url: str, dest: Path, out: BinaryIO, timeout: float) -> tuple[str, str]:
    request = urllib.request.Request(request_url(url), headers={"User-Agent": USER_AGENT})
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
        content_type = (response.headers.get("Content-Type") or "").lower()
        digest = hashlib.sha256()
        received = 0
        first = True
        progress = _Progress(url, length)
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
            progress.update(received)
    if length is not None and received != length:
        raise _Transient(
            f"truncated: received {received} of {length} bytes announced by Content-Length"
        )
    progress.done(received)
    return digest.hexdigest(), content_type


class _Progress:
    """Download progress in the job's log: every 10 % (or 5 s without a length)."""

    def __init__(self, url: str, length: int | None) -> None:
        self.url, self.length = url, length
        self.start = self.last = time.monotonic()
        self.step = 0

    def update(self, received: int) -> None:
        now = time.monotonic()
        if self.length:
            step = int(10 * received / self.length)
            if step > self.step:
                self.step = step
                self._log(received, now)
        elif now - self.last >= 5.0:
            self.last = now
            self._log(received, now)

    def _log(self, received: int, now: float) -> None:
        rate = received / max(now - self.start, 1e-6) / 2**20
        total = (
            f" of {self.length / 2**20:.1f} MiB ({100 * received / self.length:.0f} %)"
            if (self.length)
            else ""
        )
        log.info("%s: %.1f MiB%s, %.1f MiB/s", self.url, received / 2**20, total, rate)

    def done(self, received: int) -> None:
        seconds = time.monotonic() - self.start
        log.info("%s: %.1f MiB in %.1f s", self.url, received / 2**20, seconds)
