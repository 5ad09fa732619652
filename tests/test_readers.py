"""Dataset readers: the real files in ../shared/data and every kind of malformed input."""

from __future__ import annotations

import hashlib
import shutil
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from emgrepro.datasets import khushaba, khushaba_twin, ninapro, synthetic
from emgrepro.datasets.registry import get_dataset
from emgrepro.errors import ConfigError, DataFormatError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KHUSHABA_ZIP = SHARED / "khushaba-2ch-dev.zip"
KHUSHABA_SUMS = SHARED / "khushaba-2ch.SHA256SUMS"
DB1_FILE = SHARED / "ninapro-db1-S1_A1_E1.mat"
DB1_SHA256 = "cf439f96c4327094ae9f4a6acdef8527523faa6f67b1bb021d3f00ee41d9b971"

KH = get_dataset("khushaba_2ch")
DB1 = get_dataset("ninapro_db1")
DB2 = get_dataset("ninapro_db2")
DB3 = get_dataset("ninapro_db3")


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"{path.name} not found: the real data folder ../shared/data is absent "
            "(real data are looked for beside the repository; a fresh clone skips this test)"
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sums(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        out[name.lstrip("*")] = digest
    return out


@pytest.fixture(scope="module")
def khushaba_real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Subjects 1 and 2 extracted from the dev archive and checked against SHA256SUMS."""
    zpath = _shared(KHUSHABA_ZIP)
    sums = _sums(_shared(KHUSHABA_SUMS))
    root = tmp_path_factory.mktemp("khushaba_real")
    wanted = khushaba.required_files(KH, 1) + khushaba.required_files(KH, 2)
    with zipfile.ZipFile(zpath) as zf:
        for rel in wanted:
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(rel))
    bad = [rel for rel in wanted if _sha256(root / rel) != sums[rel]]
    assert not bad, f"extracted files differ from khushaba-2ch.SHA256SUMS: {bad}"
    return root


# ------------------------------------------------------------------ contract functions


def test_khushaba_required_files_names() -> None:
    files = khushaba.required_files(KH, 4)
    assert len(files) == 60 == len(set(files))
    assert files[:6] == [f"EMG-S4/HC-{t}.csv" for t in range(1, 7)]
    assert "EMG-S4/T-M3.csv" in files and "EMG-S4/HC3.csv" not in files
    assert files[-1] == "EMG-S4/T-L6.csv"
    assert khushaba.aliases("EMG-S4/HC-1.csv") == []
    assert khushaba.archive_urls(KH, 4) == []


def test_khushaba_required_files_match_registry_checksums() -> None:
    for subject in KH.subjects:
        assert set(khushaba.required_files(KH, subject)) <= set(KH.files)


def test_ninapro_contract_functions() -> None:
    assert ninapro.required_files(DB1, 3) == [
        "S3_A1_E1.mat", "S3_A1_E2.mat", "S3_A1_E3.mat"
    ]  # fmt: skip
    assert ninapro.required_files(DB2, 7, [1]) == ["S7_E1_A1.mat"]
    assert ninapro.aliases("S1_E1_A1.mat") == ["S1_E1_A1.mat.mat"]
    assert ninapro.archive_urls(DB2, 5) == ["https://ninapro.hevs.ch/files/DB2_Preproc/DB2_s5.zip"]
    assert ninapro.archive_urls(DB3, 2) == ["https://ninapro.hevs.ch/files/db3_Preproc/s2_0.zip"]
    assert ninapro.label_offsets(DB1) == {1: 0, 2: 12, 3: 29}
    assert ninapro.label_offsets(DB2) == {1: 0, 2: 17, 3: 40}
    with pytest.raises(ConfigError, match="exercise"):
        ninapro.required_files(DB1, 1, [4])


# ------------------------------------------------------------------ real data


@pytest.mark.shared
def test_khushaba_real_subject(khushaba_real: Path) -> None:
    t0 = time.perf_counter()
    rec = khushaba.read_subject(KH, khushaba_real, 1)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0, f"reading one subject took {elapsed:.2f} s"
    assert rec.signal.shape == (60 * 20000, 2)
    assert rec.signal.dtype == np.float32
    assert rec.labels.dtype == np.int16 and rec.repetition.dtype == np.int16
    assert rec.fs == 4000.0 and rec.channel_names == ["ch1", "ch2"]
    assert rec.dataset == "khushaba_2ch" and rec.subject == 1
    assert sorted(np.unique(rec.labels)) == list(range(1, 11))
    for cls in range(1, 11):
        reps, counts = np.unique(rec.repetition[rec.labels == cls], return_counts=True)
        assert reps.tolist() == [1, 2, 3, 4, 5, 6]
        assert counts.tolist() == [20000] * 6
    assert rec.segments.tolist() == list(range(0, 60 * 20000, 20000))
    assert rec.source_files[0] == "EMG-S1/HC-1.csv"
    assert np.all(np.isfinite(rec.signal))
    assert float(np.abs(rec.signal).max()) < 0.05  # volts
    std = rec.signal.std(axis=0)
    assert np.all((std > 1e-5) & (std < 1e-2))
    # first row of HC-1.csv is "1.200843e-003,-2.919414e-004"
    np.testing.assert_allclose(rec.signal[0], [1.200843e-3, -2.919414e-4], rtol=1e-6)


@pytest.mark.shared
def test_khushaba_real_second_subject_differs(khushaba_real: Path) -> None:
    a = khushaba.read_subject(KH, khushaba_real, 1)
    b = khushaba.read_subject(KH, khushaba_real, 2)
    assert a.signal.shape == b.signal.shape
    assert not np.array_equal(a.signal, b.signal)


@pytest.mark.shared
def test_ninapro_db1_real_file(tmp_path: Path) -> None:
    src = _shared(DB1_FILE)
    assert _sha256(src) == DB1_SHA256
    shutil.copyfile(src, tmp_path / "S1_A1_E1.mat")
    rec = ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    assert rec.signal.shape == (101014, 10)
    assert rec.signal.dtype == np.float32
    assert rec.labels.dtype == np.int16 and rec.repetition.dtype == np.int16
    assert np.unique(rec.labels).tolist() == list(range(13))
    assert np.unique(rec.repetition).tolist() == list(range(11))
    assert rec.fs == 100.0 and rec.channel_names == [f"ch{i}" for i in range(1, 11)]
    assert rec.segments.tolist() == [0]
    assert float(rec.signal.min()) >= 0.0  # rectified, RMS-smoothed


@pytest.mark.shared
def test_ninapro_db1_real_as_exercise_2_is_offset(tmp_path: Path) -> None:
    shutil.copyfile(_shared(DB1_FILE), tmp_path / "S1_A1_E2.mat")
    rec = ninapro.read_subject(DB1, tmp_path, 1, exercises=[2])
    assert np.unique(rec.labels).tolist() == [0, *range(13, 25)]


# ------------------------------------------------------------------ Khushaba: malformed


def _write_khushaba_subject(root: Path, subject: int = 1, rows: int = 5) -> list[Path]:
    """A complete, valid subject folder with tiny files."""
    rng = np.random.default_rng(0)
    paths = []
    for rel in khushaba.required_files(KH, subject):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(khushaba_twin.khushaba_csv_bytes(rng.normal(0, 3e-4, size=(rows, 2))))
        paths.append(path)
    return paths


def test_khushaba_tiny_valid_subject(tmp_path: Path) -> None:
    _write_khushaba_subject(tmp_path, rows=5)
    rec = khushaba.read_subject(KH, tmp_path, 1)
    assert rec.signal.shape == (300, 2)
    assert rec.labels[:5].tolist() == [1] * 5 and rec.labels[-1] == 10
    assert len(rec.segments) == 60


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (b"1.0e-003,2.0e-003\r\n1.0e-003,2.0e-003,3.0e-003\r\n", ["line 2", "3", "expected 2"]),
        (b"1.0e-003\r\n2.0e-003\r\n", ["line 1", "expected 2"]),
        (b"", ["empty"]),
        (b"\r\n\r\n", ["empty"]),
        (b"1.0e-003,2.0e-003\r\nabc,2.0e-003\r\n", ["non-numeric", "line 2"]),
        (b"ch1,ch2\r\n1.0e-003,2.0e-003\r\n", ["non-numeric", "line 1"]),
        (b"1.0e-003,2.0e-003\r\nnan,2.0e-003\r\n", ["NaN", "line 2"]),
        (b"1.0e-003,inf\r\n", ["NaN/inf", "line 1"]),
        (b"1.0e-003,\r\n", ["line 1"]),
    ],
    ids=["3-columns", "1-column", "empty", "blank", "text", "header", "nan", "inf", "empty-field"],
)
def test_khushaba_malformed_csv(tmp_path: Path, content: bytes, needles: list[str]) -> None:
    paths = _write_khushaba_subject(tmp_path)
    bad = paths[17]
    bad.write_bytes(content)
    with pytest.raises(DataFormatError) as err:
        khushaba.read_subject(KH, tmp_path, 1)
    msg = str(err.value)
    assert bad.name in msg
    for needle in needles:
        assert needle in msg


def test_khushaba_missing_file(tmp_path: Path) -> None:
    paths = _write_khushaba_subject(tmp_path)
    paths[7].unlink()
    with pytest.raises(DataFormatError) as err:
        khushaba.read_subject(KH, tmp_path, 1)
    msg = str(err.value)
    assert "incomplete" in msg and paths[7].name in msg and "EMG-S1" in msg


def test_khushaba_missing_subject_folder(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="60 of 60"):
        khushaba.read_subject(KH, tmp_path, 2)


def test_khushaba_lf_line_ends_and_no_final_newline(tmp_path: Path) -> None:
    paths = _write_khushaba_subject(tmp_path)
    paths[0].write_bytes(b"1.0e-003,2.0e-003\n3.0e-003,4.0e-003")
    rec = khushaba.read_subject(KH, tmp_path, 1)
    np.testing.assert_allclose(rec.signal[:2], [[1e-3, 2e-3], [3e-3, 4e-3]], rtol=1e-6)


# ------------------------------------------------------------------ Ninapro: malformed


def _db1_vars(n: int = 200, n_ch: int = 10, labels: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    stim = np.zeros((n, 1), np.uint8)
    rep = np.zeros((n, 1), np.uint8)
    for k in range(labels):
        stim[20 + 50 * k : 50 + 50 * k] = k + 1
        rep[20 + 50 * k : 50 + 50 * k] = 1
    return {
        "emg": np.abs(rng.normal(0, 0.1, size=(n, n_ch))),
        "stimulus": stim,
        "restimulus": stim.copy(),
        "repetition": rep,
        "rerepetition": rep.copy(),
        "subject": np.array([[1]], np.uint8),
        "exercise": np.array([[1]], np.uint8),
    }


def _save(path: Path, variables: dict[str, np.ndarray], **kw) -> Path:
    scipy.io.savemat(path, variables, **kw)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_ninapro_small_valid_file(tmp_path: Path, compress: bool) -> None:
    _save(tmp_path / "S1_A1_E1.mat", _db1_vars(), do_compression=compress)
    _save(tmp_path / "S1_A1_E3.mat", _db1_vars(), do_compression=compress)
    rec = ninapro.read_subject(DB1, tmp_path, 1, exercises=[1, 3])
    assert rec.signal.shape == (400, 10)
    assert np.unique(rec.labels).tolist() == [0, 1, 2, 3, 30, 31, 32]
    assert rec.segments.tolist() == [0, 200]
    assert rec.source_files == ["S1_A1_E1.mat", "S1_A1_E3.mat"]


def test_ninapro_missing_restimulus_and_stimulus(tmp_path: Path) -> None:
    v = _db1_vars()
    del v["restimulus"], v["stimulus"]
    path = _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.raises(DataFormatError) as err:
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    msg = str(err.value)
    assert path.name in msg and "restimulus" in msg and "keys found" in msg and "emg" in msg


def test_ninapro_missing_restimulus_falls_back_with_warning(tmp_path: Path) -> None:
    v = _db1_vars()
    del v["restimulus"], v["rerepetition"]
    _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.warns(UserWarning, match="instead") as caught:
        rec = ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    msgs = " ".join(str(w.message) for w in caught)
    assert "'restimulus'" in msgs and "'rerepetition'" in msgs and "S1_A1_E1.mat" in msgs
    assert np.unique(rec.labels).tolist() == [0, 1, 2, 3]


def test_ninapro_length_mismatch_truncates_with_warning(tmp_path: Path) -> None:
    v = _db1_vars(n=200)
    v["emg"] = v["emg"][:199]
    path = _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.warns(UserWarning) as rec_warn:
        rec = ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    msg = " ".join(str(w.message) for w in rec_warn)
    assert path.name in msg and "199" in msg and "200" in msg
    assert rec.signal.shape == (199, 10) and rec.labels.shape == (199,)


def test_ninapro_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "S1_A1_E1.mat"
    path.write_bytes(np.random.default_rng(3).bytes(4096))
    with pytest.raises(DataFormatError, match="S1_A1_E1.mat"):
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])


@pytest.mark.parametrize("source", ["synthetic", "real"])
def test_ninapro_truncated_file(tmp_path: Path, source: str) -> None:
    if source == "real":
        full = _shared(DB1_FILE).read_bytes()
    else:
        z = tmp_path / "twin.zip"
        synthetic.write_twin(
            "ninapro_db1", z, subjects=[1], seed=0, scale={"n_movements": 2, "n_repetitions": 2}
        )
        with zipfile.ZipFile(z) as zf:
            full = zf.read("s1/S1_A1_E1.mat")
    for cut in (len(full) // 2, len(full) - 10, 60):
        (tmp_path / "S1_A1_E1.mat").write_bytes(full[:cut])
        with pytest.raises(DataFormatError) as err:
            ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
        assert "S1_A1_E1.mat" in str(err.value)


def test_ninapro_v73_file(tmp_path: Path) -> None:
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: x HDF5 schema 1.00 .".ljust(116)
    data = (
        header + b"\x00" * 8 + b"\x00\x02IM" + b"\x00" * 384 + b"\x89HDF\r\n\x1a\n" + b"\x00" * 64
    )
    (tmp_path / "S1_A1_E1.mat").write_bytes(data)
    with pytest.raises(DataFormatError, match=r"S1_A1_E1\.mat.*v7\.3"):
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])


def test_ninapro_bad_emg(tmp_path: Path) -> None:
    v = _db1_vars()
    v["emg"] = np.zeros((200, 11))
    _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.raises(DataFormatError, match="11 columns, expected 10"):
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    v["emg"] = _db1_vars()["emg"]
    v["emg"][5, 3] = np.nan
    v["emg"][9, 1] = np.inf
    _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.raises(DataFormatError, match="2 NaN/inf"):
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
    v["emg"] = np.zeros((2, 3, 4))
    _save(tmp_path / "S1_A1_E1.mat", v)
    with pytest.raises(DataFormatError, match="2-D"):
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])


def test_ninapro_fewer_channels_warns(tmp_path: Path) -> None:
    v = _db1_vars(n_ch=12)
    v["emg"] = v["emg"][:, :10]
    _save(tmp_path / "S7_E1_A1.mat", v)
    with pytest.warns(UserWarning, match="10 of 12 channels"):
        rec = ninapro.read_subject(DB3, tmp_path, 7, exercises=[1])
    assert rec.channel_names == [f"ch{i}" for i in range(1, 11)]


def test_ninapro_alias_and_missing(tmp_path: Path) -> None:
    _save(tmp_path / "S2_E1_A1.mat.mat", _db1_vars(n_ch=12))
    rec = ninapro.read_subject(DB3, tmp_path, 2, exercises=[1])
    assert rec.source_files == ["S2_E1_A1.mat.mat"]
    with pytest.raises(DataFormatError, match="S2_E2_A1.mat"):
        ninapro.read_subject(DB3, tmp_path, 2, exercises=[1, 2])


def test_ninapro_global_labels_kept_and_unknown_refused(tmp_path: Path) -> None:
    v = _db1_vars(n_ch=12)
    v["restimulus"][v["restimulus"] > 0] += 17  # DB2 E2 files already holding 18..
    _save(tmp_path / "S1_E2_A1.mat", v)
    rec = ninapro.read_subject(DB2, tmp_path, 1, exercises=[2])
    assert np.unique(rec.labels).tolist() == [0, 18, 19, 20]
    v["restimulus"][v["restimulus"] == 20] = 60
    _save(tmp_path / "S1_E2_A1.mat", v)
    with pytest.raises(DataFormatError, match="neither exercise-local"):
        ninapro.read_subject(DB2, tmp_path, 1, exercises=[2])


def test_ninapro_warnings_are_not_errors_by_default(tmp_path: Path) -> None:
    _save(tmp_path / "S1_A1_E1.mat", _db1_vars())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ninapro.read_subject(DB1, tmp_path, 1, exercises=[1])
