"""No shell line is built from a config value, URL or path: hostile names run nothing."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import REPO, run_snakemake, write_yaml
from emgrepro.datasets.synthetic import write_twin
from emgrepro.fetch.checksums import ChecksumLock
from emgrepro.fetch.download import request_url
from http_server import serve

# a space, a parenthesis, a semicolon, a command substitution and a quote
HOSTILE = "My Data (1); $(touch pwned) 'x"


@pytest.mark.slow
def test_hostile_lock_path_and_url_run_nothing(tmp_path):
    """The fetch and download rules with a lock path and a mirror URL (folder and file name)
    full of shell syntax: the run works, the files land where named, nothing is executed."""
    archive = tmp_path / "s1.zip"
    write_twin("ninapro_db1", archive, subjects=[1], seed=3, scale={"exercises": [1, 2, 3]})
    lock = tmp_path / HOSTILE / "checksums.lock"
    work = tmp_path / "run"
    work.mkdir()
    with serve() as srv:
        srv.add(f"/{HOSTILE}/s1{HOSTILE}.zip", archive.read_bytes())
        url = srv.url(f"/{HOSTILE}/s{{subject}}{HOSTILE}.zip")
        conf = {
            "sources": {"ninapro_db1": url},
            "subjects": {"ninapro_db1": [1]},
            "papers": ["atzori2016"],
            "checksum_lock": str(lock),
        }
        write_yaml(work / "hostile.yaml", conf)
        target = "resources/raw/ninapro_db1/sub-1"
        run_snakemake(work, target, "--cores", "1", "--configfile", "hostile.yaml")
    assert (work / target / "S1_A1_E1.mat").is_file()
    assert (work / "resources/downloads/ninapro_db1" / f"s1{HOSTILE}.zip").is_file()
    assert "ninapro_db1/S1_A1_E1.mat" in lock.read_text()
    executed = [p for root in (tmp_path, REPO) for p in root.rglob("pwned")]
    assert not executed, f"a command ran from a config value: {executed}"


def test_request_url_encodes_what_http_forbids_and_keeps_escapes():
    assert request_url("http://h/a b/c(1);$(x)'.zip") == "http://h/a%20b/c(1);$(x)'.zip"
    assert request_url("http://h/a%20b/s1.zip?k=a b") == "http://h/a%20b/s1.zip?k=a%20b"


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_lock_follows_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        ChecksumLock(tmp_path / "checksums.lock").verify("ds/a.mat", "a" * 64)
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "checksums.lock").stat().st_mode)
    assert mode == 0o666 & ~mask


def test_an_existing_lock_keeps_its_mode(tmp_path):
    path = tmp_path / "checksums.lock"
    path.write_text("")
    path.chmod(0o600)
    ChecksumLock(path).verify("ds/a.mat", "b" * 64)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
