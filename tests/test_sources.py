"""Sources end to end: official, mirror URL, local archive, synthetic; checksums on all."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import KHUSHABA_DEV_ZIP, REPO, need_shared, run_snakemake, write_yaml
from emgrepro import config as cfg
from emgrepro.datasets.synthetic import write_twin
from emgrepro.errors import ChecksumMismatch, EmgreproError, ManualDownloadRequired
from emgrepro.fetch.sources import fetch_subject, plan_source
from emgrepro.selection import twin_scale
from http_server import serve


def _config(**overrides) -> dict:
    return cfg.load([REPO / "config" / "config.yaml"]) | overrides


def test_plan_kinds(tmp_path):
    conf = _config()
    official = plan_source(conf, "ninapro_db2", 3)
    assert official.kind == "official"
    assert official.downloads == {
        "resources/downloads/ninapro_db2/DB2_s3.zip": "https://ninapro.hevs.ch/files/DB2_Preproc/DB2_s3.zip"
    }
    manual = plan_source(conf, "khushaba_2ch", 1)
    assert manual.hashes == "published" and len(manual.required) == 60
    conf["sources"] = {"ninapro_db1": "https://mirror.example.org/db1/s{subject}.zip"}
    mirror = plan_source(conf, "ninapro_db1", 7)
    assert list(mirror.downloads.values()) == ["https://mirror.example.org/db1/s7.zip"]
    assert mirror.hashes == "lock"


def test_files_and_twins_follow_the_exercises_the_run_reads():
    """Only the selected papers' experiments decide which exercise files a subject needs,
    and a Ninapro twin holds exactly those (unless its scale names its exercises)."""
    full = _config()
    assert plan_source(full, "ninapro_db2", 1).required == [
        "S1_E1_A1.mat", "S1_E2_A1.mat", "S1_E3_A1.mat"
    ]  # fmt: skip
    wu = _config(papers=["wu2024"])
    assert plan_source(wu, "ninapro_db2", 1).required == ["S1_E1_A1.mat"]
    demo = cfg.load([REPO / "config" / "config.yaml", REPO / "config" / "demo.yaml"])
    assert twin_scale(demo | {"papers": ["wu2024"]}, "ninapro_db2")["exercises"] == [1]
    assert twin_scale(demo | {"papers": ["ding2018"]}, "ninapro_db2")["exercises"] == [1, 3]
    demo["synthetic"] = {**demo["synthetic"], "scale": {"ninapro_db2": {"exercises": [2]}}}
    assert twin_scale(demo, "ninapro_db2") == {"exercises": [2]}
    assert "exercises" not in twin_scale(demo, "khushaba_2ch")


def test_manual_dataset_says_where_to_get_it(tmp_path):
    plan = plan_source(_config(), "khushaba_2ch", 1)
    with pytest.raises(ManualDownloadRequired) as e:
        fetch_subject(plan, tmp_path / "raw", tmp_path / "lock")
    msg = str(e.value)
    assert "rami-khushaba.com" in msg and "sources: {khushaba_2ch:" in msg
    assert not (tmp_path / "raw").exists()


def _khushaba_twin(tmp_path: Path, tamper: bool = False) -> Path:
    archive = tmp_path / "twin.zip"
    write_twin("khushaba_2ch", archive, subjects=[1], seed=1, scale={"n_samples_per_file": 50})
    if not tamper:
        return archive
    bad = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("I-I3.csv"):
                data = data.replace(b"e-00", b"e-01", 1)
            dst.writestr(item, data)
    return bad


def test_published_hash_mismatch_leaves_nothing(tmp_path):
    conf = _config(sources={"khushaba_2ch": str(_khushaba_twin(tmp_path))})
    plan = plan_source(conf, "khushaba_2ch", 1)
    out = tmp_path / "raw" / "sub-1"
    with pytest.raises(ChecksumMismatch) as e:
        fetch_subject(plan, out, tmp_path / "lock")
    assert "khushaba_2ch/EMG-S1/" in str(e.value) and "published" in str(e.value)
    assert not out.exists()
    assert list((tmp_path / "raw").iterdir()) == []


def test_synthetic_manifest_catches_tampering(tmp_path):
    archive = _khushaba_twin(tmp_path)
    sums = archive.with_suffix(".SHA256SUMS")
    bad = _khushaba_twin(tmp_path, tamper=True)
    conf = _config()
    plan = plan_source(conf | {"sources": {"khushaba_2ch": "synthetic"}}, "khushaba_2ch", 1)
    plan.inputs, plan.manifest = [str(archive)], str(sums)
    files = fetch_subject(plan, tmp_path / "ok", tmp_path / "lock")
    assert len(files) == 60 and all(f.exists() for f in files)
    plan.inputs = [str(bad)]
    with pytest.raises(ChecksumMismatch, match="I-I3.csv"):
        fetch_subject(plan, tmp_path / "bad", tmp_path / "lock")
    assert not (tmp_path / "bad").exists()


def test_folder_source_and_missing_subject(tmp_path):
    archive = _khushaba_twin(tmp_path)
    folder = tmp_path / "mirror"
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    conf = _config()
    plan = plan_source(conf | {"sources": {"khushaba_2ch": "synthetic"}}, "khushaba_2ch", 1)
    plan.inputs, plan.manifest = [str(folder)], str(archive.with_suffix(".SHA256SUMS"))
    assert len(fetch_subject(plan, tmp_path / "raw1", tmp_path / "lock")) == 60
    plan2 = plan_source(conf | {"sources": {"khushaba_2ch": "synthetic"}}, "khushaba_2ch", 2)
    plan2.inputs, plan2.manifest = plan.inputs, plan.manifest
    with pytest.raises(EmgreproError, match="subject 2: 60 raw file"):
        fetch_subject(plan2, tmp_path / "raw2", tmp_path / "lock")


def _serve_db1_twin(tmp_path: Path, srv, seed: int) -> None:
    for s in (1, 2):
        archive = tmp_path / f"seed{seed}" / f"s{s}.zip"
        archive.parent.mkdir(exist_ok=True)
        scale = {"exercises": [1, 2, 3], "hold_s": 0.5, "rest_s": 0.3, "n_repetitions": 2}
        write_twin("ninapro_db1", archive, subjects=[s], seed=seed, scale=scale)
        srv.add(f"/db1/s{s}.zip", archive.read_bytes())


@pytest.mark.slow
def test_download_rule_against_local_http_server(tmp_path):
    """Snakemake's download and fetch rules against a real HTTP server on 127.0.0.1:
    first use records the raw files' hashes in the lock file (no archive hash: archives may
    be repacked); changed content later fails cleanly and never updates the lock."""
    lock = tmp_path / "checksums.lock"
    with serve() as srv:
        _serve_db1_twin(tmp_path, srv, seed=3)
        conf = {
            "sources": {"ninapro_db1": srv.url("/db1/s{subject}.zip")},
            "subjects": {"ninapro_db1": [1, 2]},
            "checksum_lock": str(lock),
        }
        first = tmp_path / "run1"
        first.mkdir()
        write_yaml(first / "mirror.yaml", conf)
        targets = ["resources/raw/ninapro_db1/sub-1", "resources/raw/ninapro_db1/sub-2"]
        run_snakemake(first, *targets, "--cores", "2", "--configfile", "mirror.yaml")
        assert srv.hits["/db1/s1.zip"] == 1 and srv.hits["/db1/s2.zip"] == 1
        assert (first / targets[0] / "S1_A1_E3.mat").exists()
        locked = lock.read_text()
        assert "ninapro_db1/S1_A1_E1.mat" in locked and "ninapro_db1/S2_A1_E3.mat" in locked
        assert "archive" not in locked
        download_log = (first / "logs" / "download" / "ninapro_db1" / "s1.zip.log").read_text()
        assert "MiB in" in download_log, "the download reports its progress"

        _serve_db1_twin(tmp_path, srv, seed=4)  # the mirror now serves different bytes
        second = tmp_path / "run2"
        second.mkdir()
        write_yaml(second / "mirror.yaml", conf)
        proc = run_snakemake(
            second, targets[0], "--cores", "1", "--configfile", "mirror.yaml", check=False
        )
        assert proc.returncode != 0
        log = (second / "logs" / "fetch" / "ninapro_db1" / "sub-1.log").read_text()
        assert "sha256" in log and str(lock) in log
        assert lock.read_text() == locked, "a mismatch never updates the lock file"
        assert not (second / "resources" / "downloads" / "ninapro_db1" / "s1.zip").exists()
        assert not (second / targets[0]).exists()


@pytest.mark.slow
def test_bad_content_is_never_locked_and_the_genuine_file_passes_after(tmp_path):
    """A mirror first serves a zip whose .mat is junk: the fetch fails naming the file, the
    lock records nothing and the bad download is removed; once the genuine archive is
    served, the same command succeeds and the lock learns the genuine hashes."""
    lock = tmp_path / "checksums.lock"
    with serve() as srv:
        junk = tmp_path / "junk.zip"
        with zipfile.ZipFile(junk, "w") as zf:
            for e in (1, 2, 3):
                zf.writestr(f"s1/S1_A1_E{e}.mat", b"MATLAB 5.0 MAT-file" + b"\x00" * 100)
        srv.add("/db1/s1.zip", junk.read_bytes())
        conf = {
            "sources": {"ninapro_db1": srv.url("/db1/s{subject}.zip")},
            "subjects": {"ninapro_db1": [1]},
            "checksum_lock": str(lock),
        }
        write_yaml(tmp_path / "mirror.yaml", conf)
        target = "resources/raw/ninapro_db1/sub-1"
        args = (target, "--cores", "1", "--configfile", "mirror.yaml",
                "--config", "papers=[atzori2016]")  # fmt: skip
        proc = run_snakemake(tmp_path, *args, check=False)
        assert proc.returncode != 0
        log = (tmp_path / "logs" / "fetch" / "ninapro_db1" / "sub-1.log").read_text()
        assert "S1_A1_E1.mat" in log and "removed" in log
        assert not lock.exists() or "S1_A1_E1" not in lock.read_text()
        assert not (tmp_path / "resources" / "downloads" / "ninapro_db1" / "s1.zip").exists()

        good = tmp_path / "good" / "s1.zip"
        good.parent.mkdir()
        write_twin("ninapro_db1", good, subjects=[1], seed=3, scale={"exercises": [1, 2, 3]})
        srv.add("/db1/s1.zip", good.read_bytes())
        run_snakemake(tmp_path, *args)
        assert "ninapro_db1/S1_A1_E1.mat" in lock.read_text()


@pytest.mark.slow
@pytest.mark.shared
def test_a_repacked_khushaba_archive_with_the_same_files_is_accepted(tmp_path):
    """Archives may be repacked, file contents may not change: a mirror that re-serves the
    CSV files in another zip passes the published per-file hashes."""
    original = need_shared(KHUSHABA_DEV_ZIP)
    repacked = tmp_path / "mirror.zip"
    with (
        zipfile.ZipFile(original) as src,
        zipfile.ZipFile(repacked, "w", zipfile.ZIP_STORED) as dst,
    ):
        for name in src.namelist():
            if name.startswith("EMG-S1/"):
                dst.writestr("khushaba/" + name, src.read(name))
    with serve() as srv:
        srv.add("/mirror.zip", repacked.read_bytes())
        write_yaml(
            tmp_path / "mirror.yaml",
            {
                "sources": {"khushaba_2ch": srv.url("/mirror.zip")},
                "subjects": {"khushaba_2ch": [1]},
                "papers": ["atzori2016"],  # no Khushaba experiment needs more subjects
                "checksum_lock": str(tmp_path / "lock"),
            },
        )
        run_snakemake(tmp_path, "resources/raw/khushaba_2ch/sub-1", "--cores", "1",
                      "--configfile", "mirror.yaml")  # fmt: skip
    assert len(list((tmp_path / "resources/raw/khushaba_2ch/sub-1").rglob("*.csv"))) == 60
    assert not (tmp_path / "lock").exists(), "published hashes need no lock entry"


@pytest.mark.slow
def test_official_khushaba_download_explains_manual_step(tmp_path):
    proc = run_snakemake(tmp_path, "--cores", "1", "resources/raw/khushaba_2ch/sub-1", check=False)
    assert proc.returncode != 0
    log = (tmp_path / "logs" / "download" / "khushaba_2ch" / "khushaba_2ch.zip.log").read_text()
    assert "cannot be downloaded automatically" in log and "sources:" in log
