"""download() against a real local HTTP server, and the trust-on-first-use checksum lock."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emgrepro.errors import ChecksumMismatch, DownloadError
from emgrepro.fetch.checksums import ChecksumLock, sha256_file
from emgrepro.fetch.download import download

try:
    from http_server import TestServer, serve
except ImportError:  # tests/ imported as a package
    from tests.http_server import TestServer, serve

BODY = bytes(range(256)) * 4096  # 1 MiB: more than one read chunk
BODY_SHA = hashlib.sha256(BODY).hexdigest()
FAST = {"timeout": 2.0, "backoff": 0.01}  # short, yet wide enough for a busy machine


@pytest.fixture
def server() -> Iterator[TestServer]:
    with serve() as srv:
        yield srv


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _zip_of(payload: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("data.bin", payload)
    return buf.getvalue()


BODY = _zip_of(BODY)  # a real archive of 1 MiB: more than one read chunk
BODY_SHA = hashlib.sha256(BODY).hexdigest()


def test_download_ok_with_published_sha(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/data/file.bin", BODY)
    dest = tmp_path / "out" / "file.bin"
    assert download(url, dest, sha256=BODY_SHA.upper(), **FAST) == dest
    assert dest.read_bytes() == BODY
    assert _leftovers(dest.parent) == ["file.bin"]
    assert server.hits["/data/file.bin"] == 1


def test_wrong_sha_raises_and_leaves_nothing(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/file.bin", BODY)
    wrong = "0" * 64
    with pytest.raises(ChecksumMismatch) as info:
        download(url, tmp_path / "file.bin", sha256=wrong, **FAST)
    message = str(info.value)
    assert url in message and wrong in message and BODY_SHA in message
    assert _leftovers(tmp_path) == []
    assert server.hits["/file.bin"] == 1  # a checksum mismatch is not retried


def test_truncated_body_retried_then_fails(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/t.bin", BODY, mode="truncate")
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "t.bin", retries=2, **FAST)
    message = str(info.value)
    assert url in message and "3 attempts" in message and "truncated" in message
    assert server.hits["/t.bin"] == 3
    assert _leftovers(tmp_path) == []


def test_dropped_connection_retried_then_fails(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/d.bin", BODY, mode="drop")
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "d.bin", retries=1, **FAST)
    assert url in str(info.value) and "2 attempts" in str(info.value)
    assert server.hits["/d.bin"] == 2
    assert _leftovers(tmp_path) == []


def test_404_not_retried(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/missing.zip", status=404)
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "missing.zip", retries=3, **FAST)
    assert "404" in str(info.value) and url in str(info.value)
    assert server.hits["/missing.zip"] == 1
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("status", [500, 429])
def test_transient_status_twice_then_ok(server: TestServer, tmp_path: Path, status: int) -> None:
    url = server.add("/f.bin", BODY, status=status, fail_times=2)
    dest = download(url, tmp_path / "f.bin", sha256=BODY_SHA, retries=2, **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits["/f.bin"] == 3
    assert _leftovers(tmp_path) == ["f.bin"]


def test_500_always_fails_naming_status(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/e.bin", status=503)
    with pytest.raises(DownloadError, match="503"):
        download(url, tmp_path / "e.bin", retries=1, **FAST)
    assert server.hits["/e.bin"] == 2
    assert _leftovers(tmp_path) == []


def test_slow_server_times_out(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/s.bin", BODY, mode="slow", delay=10)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="timeout") as info:
        download(url, tmp_path / "s.bin", retries=1, **FAST)
    assert time.monotonic() - start < 9, "two attempts gave up before the server's 10 s"
    assert url in str(info.value)
    assert _leftovers(tmp_path) == []


def test_stall_mid_body_times_out(server: TestServer, tmp_path: Path) -> None:
    url = server.add("/p.bin", BODY, mode="stall", delay=10)
    with pytest.raises(DownloadError, match="timeout"):
        download(url, tmp_path / "p.bin", retries=0, **FAST)
    assert _leftovers(tmp_path) == []


def test_html_page_for_zip_url(server: TestServer, tmp_path: Path) -> None:
    page = b"\n<!DOCTYPE html><html><body>Please log in</body></html>"
    url = server.add("/dataset.zip", page, content_type="text/html")
    with pytest.raises(DownloadError, match="login or registration page") as info:
        download(url, tmp_path / "dataset.zip", **FAST)
    assert url in str(info.value) and "sources" in str(info.value)
    assert server.hits["/dataset.zip"] == 1
    assert _leftovers(tmp_path) == []


def test_what_is_not_an_archive_is_refused(server: TestServer, tmp_path: Path) -> None:
    """Login pages (by their first bytes or Content-Type), empty bodies and anything else
    that is not an archive or a MATLAB file never reach their destination."""
    cases = {
        "/login": (b"<!-- portal -->\n<html><body>Sign in</body></html>", "text/html"),
        "/index.html": (b"<html></html>", "text/html"),
        "/empty.zip": (b"", "application/zip"),
        "/junk.zip": (b"just some bytes, not a zip at all", "application/octet-stream"),
        "/broken.zip": (b"PK\x03\x04" + b"\x00" * 40, "application/zip"),
    }
    for path, (body, ctype) in cases.items():
        url = server.add(path, body, content_type=ctype)
        with pytest.raises(DownloadError) as info:
            download(url, tmp_path / path.strip("/"), **FAST)
        assert url in str(info.value)
        assert "\n" not in str(info.value).strip(), "one line: what was wrong and what to do"
    assert _leftovers(tmp_path) == []


def test_an_archive_behind_a_url_without_suffix_is_recognised(server: TestServer, tmp_path: Path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("s1/S1_A1_E1.mat", b"MATLAB 5.0 MAT-file")
    url = server.add("/download/17", buf.getvalue(), content_type="application/octet-stream")
    dest = download(url, tmp_path / "s1.zip", **FAST)
    assert zipfile.is_zipfile(dest)


def test_local_path_and_file_url(tmp_path: Path) -> None:
    src = tmp_path / "src" / "S1_A1_E1.mat"
    src.parent.mkdir()
    body = b"MATLAB 5.0 MAT-file, made by hand" + bytes(200)
    sha = hashlib.sha256(body).hexdigest()
    src.write_bytes(body)
    a = download(src, tmp_path / "a" / "S1_A1_E1.mat", sha256=sha)
    b = download(src.as_uri(), tmp_path / "b" / "S1_A1_E1.mat", sha256=sha)
    assert a.read_bytes() == b.read_bytes() == body
    with pytest.raises(DownloadError, match="no such file"):
        download(tmp_path / "nope.mat", tmp_path / "c" / "nope.mat")
    assert _leftovers(tmp_path / "c") == []


def test_a_killed_download_leaves_nothing_for_the_next(server: TestServer, tmp_path: Path):
    stale = tmp_path / ".file.bin.abc123.tmp"  # atomic_path's temporary name
    stale.write_bytes(b"half")
    url = server.add("/file.bin", BODY)
    download(url, tmp_path / "file.bin", sha256=BODY_SHA, **FAST)
    assert _leftovers(tmp_path) == ["file.bin"]


def test_lock_rules(tmp_path: Path) -> None:
    lock = ChecksumLock(tmp_path / "sub" / "lock.sha256")
    a, b = "a" * 64, "b" * 64
    assert lock.get("x") is None
    assert lock.verify("z/2.mat", b) == "recorded"
    assert lock.verify("a/1.mat", a) == "recorded"
    assert lock.path.read_text() == f"{a}  a/1.mat\n{b}  z/2.mat\n"  # sorted by key
    assert lock.verify("a/1.mat", a) == "locked"
    assert lock.verify("a/1.mat", b, published=b) == "published"  # published wins
    with pytest.raises(ChecksumMismatch, match="not the original"):
        lock.verify("new.mat", a, published=b)
    assert lock.get("new.mat") is None
    before = lock.path.read_bytes()
    with pytest.raises(ChecksumMismatch, match="delete the line"):
        lock.verify("a/1.mat", b)
    assert lock.path.read_bytes() == before


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(BODY * 3)
    assert sha256_file(path) == hashlib.sha256(BODY * 3).hexdigest()


def _record_many(path: str, worker: int) -> None:
    lock = ChecksumLock(path)
    for i in range(15):
        lock.verify(f"w{worker}/f{i}.mat", hashlib.sha256(f"{worker}-{i}".encode()).hexdigest())


def test_lock_concurrent_recording(tmp_path: Path) -> None:
    path = tmp_path / "lock.sha256"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record_many, args=(str(path), w)) for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 6 * 15
    assert lines == sorted(lines, key=lambda line: line.split("  ", 1)[1])
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
