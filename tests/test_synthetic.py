"""Synthetic twins: exact raw formats, determinism, read-back, checksums, learnability."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from emgrepro.datasets import khushaba, khushaba_twin, ninapro, synthetic, twin_marker
from emgrepro.datasets.registry import get_dataset
from emgrepro.errors import ConfigError

SMALL = {
    "khushaba_2ch": {"n_samples_per_file": 300},
    "ninapro_db1": {"n_movements": 3, "n_repetitions": 2, "exercises": [1, 2]},
    "ninapro_db2": {"n_movements": 2, "n_repetitions": 2, "hold_s": 0.5, "rest_s": 0.3},
    "ninapro_db3": {"n_movements": 2, "n_repetitions": 2, "hold_s": 0.5, "rest_s": 0.3,
                    "alias_subjects": [2]},
}  # fmt: skip
FOLDER = {
    "khushaba_2ch": "EMG-S{s}/",
    "ninapro_db1": "s{s}/",
    "ninapro_db2": "DB2_s{s}/",
    "ninapro_db3": "s{s}_0/",
}
REAL_CSV_LINE = re.compile(rb"^-?\d\.\d{6}e[-+]\d{3},-?\d\.\d{6}e[-+]\d{3}$")


def _write(ds: str, path: Path, seed: int = 7, subjects: list[int] | None = None) -> dict:
    subjects = subjects or synthetic.twin_subjects(ds, 2)
    return synthetic.write_twin(ds, path, subjects=subjects, seed=seed, scale=SMALL[ds])


def _extract_canonical(zpath: Path, dest: Path) -> list[str]:
    """Unpack members under the readers' canonical names (what the fetch step does)."""
    names = []
    with zipfile.ZipFile(zpath) as zf:
        for name in zf.namelist():
            if name.endswith("/"):
                continue
            rel = name if name.startswith("EMG-S") else name.split("/", 1)[1]
            if rel.endswith(".mat.mat"):
                rel = rel[: -len(".mat")]
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(zf.read(name))
            names.append(name)
    return names


def test_twin_subjects() -> None:
    assert synthetic.twin_subjects("khushaba_2ch", 3) == [1, 2, 4]
    assert synthetic.twin_subjects("ninapro_db3", 2) == [1, 2]
    with pytest.raises(ConfigError):
        synthetic.twin_subjects("khushaba_2ch", 9)


@pytest.mark.parametrize("ds", list(SMALL))
def test_twin_is_deterministic(tmp_path: Path, ds: str) -> None:
    a = _write(ds, tmp_path / "a.zip")
    b = _write(ds, tmp_path / "b.zip")
    c = _write(ds, tmp_path / "c.zip", seed=8)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert a == b
    assert (tmp_path / "a.zip").read_bytes() != (tmp_path / "c.zip").read_bytes()
    assert all(a[k] != c[k] for k in a)
    # adding a subject leaves the others' files unchanged
    subjects = synthetic.twin_subjects(ds, 3)
    d = _write(ds, tmp_path / "d.zip", subjects=subjects)
    assert all(d[k] == a[k] for k in a)
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temp files


@pytest.mark.parametrize("ds", list(SMALL))
def test_twin_layout_and_checksums(tmp_path: Path, ds: str) -> None:
    info = get_dataset(ds)
    reader = khushaba if ds == "khushaba_2ch" else ninapro
    zpath = tmp_path / "twin.zip"
    sums = _write(ds, zpath)
    exercises = SMALL[ds].get("exercises", [1]) if reader is ninapro else None
    expected = [f for s in (1, 2) for f in reader.required_files(info, s, exercises)]
    assert sorted(sums) == sorted(expected)

    with zipfile.ZipFile(zpath) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        for s in (1, 2):
            prefix = FOLDER[ds].format(s=s)
            assert prefix in zf.namelist()
            assert any(n.startswith(prefix) for n in names)
        by_canonical = {}
        for n in names:
            rel = n if ds == "khushaba_2ch" else n.split("/", 1)[1]
            if ds == "ninapro_db3" and n.startswith("s2_0/"):
                assert rel.endswith(".mat.mat")  # alias quirk asked for subject 2
                rel = rel[: -len(".mat")]
            by_canonical[rel] = hashlib.sha256(zf.read(n)).hexdigest()
    assert by_canonical == sums

    lines = zpath.with_suffix(".SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert listed == sums


@pytest.mark.parametrize("ds", list(SMALL))
def test_twin_reads_back(tmp_path: Path, ds: str) -> None:
    info = get_dataset(ds)
    _write(ds, tmp_path / "twin.zip")
    root = tmp_path / "raw"
    _extract_canonical(tmp_path / "twin.zip", root)
    for s in (1, 2):
        if ds == "khushaba_2ch":
            rec = khushaba.read_subject(info, root, s)
            assert rec.signal.shape == (60 * 300, 2)
            assert np.unique(rec.labels).tolist() == list(range(1, 11))
            assert np.unique(rec.repetition).tolist() == [1, 2, 3, 4, 5, 6]
            assert 1e-5 < float(rec.signal.std()) < 5e-3  # volts, like the real files
            continue
        exercises = SMALL[ds].get("exercises", [1])
        rec = ninapro.read_subject(info, root, s, exercises)
        n_mov = SMALL[ds]["n_movements"]
        offsets = ninapro.label_offsets(info)
        want = {0} | {offsets[e] + m for e in exercises for m in range(1, n_mov + 1)}
        assert set(np.unique(rec.labels).tolist()) == want
        assert np.unique(rec.repetition).tolist() == [0, 1, 2]
        assert rec.n_channels == info.n_channels and rec.fs == info.fs
        assert len(rec.segments) == len(exercises)
        moving = rec.labels > 0
        assert np.all((rec.repetition > 0) == moving)
        # movements are louder than rest
        assert rec.signal[moving].std() > 2 * rec.signal[~moving].std()
        if ds == "ninapro_db1":
            assert float(rec.signal.min()) >= 0.0  # rectified, smoothed envelope


@pytest.mark.parametrize("ds", list(SMALL))
def test_a_twin_is_known_by_its_own_data_wherever_it_lies(tmp_path: Path, ds: str) -> None:
    """A twin reached by a ``sources:`` path (any folder, any archive) still reads as
    synthetic: the marker is in its files, not in the config."""
    _write(ds, tmp_path / "twin.zip")
    root = tmp_path / "some" / "user folder"
    _extract_canonical(tmp_path / "twin.zip", root)
    info = get_dataset(ds)
    reader = khushaba if ds == "khushaba_2ch" else ninapro
    rec = reader.read_subject(info, root, 1, SMALL[ds].get("exercises", [1]))
    assert rec.synthetic
    marked = [p for p in root.rglob("*") if p.is_file()]
    is_twin = twin_marker.csv_is_twin if ds == "khushaba_2ch" else twin_marker.mat_is_twin
    assert marked and all(is_twin(p) for p in marked)


def test_real_files_carry_no_twin_marker(tmp_path: Path) -> None:
    from conftest import DB1_S1_E1, KHUSHABA_DEV_ZIP, need_shared

    with zipfile.ZipFile(need_shared(KHUSHABA_DEV_ZIP)) as zf:
        names = [n for n in zf.namelist() if n.endswith(".csv")][:60]
        zf.extractall(tmp_path, members=names)
    assert names and not any(twin_marker.csv_is_twin(tmp_path / n) for n in names)
    assert not twin_marker.mat_is_twin(need_shared(DB1_S1_E1))


def test_khushaba_twin_text_format(tmp_path: Path) -> None:
    _write("khushaba_2ch", tmp_path / "twin.zip")
    with zipfile.ZipFile(tmp_path / "twin.zip") as zf:
        data = zf.read("EMG-S1/T-M3.csv")
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == 300
    lines = data.split(b"\r\n")[:-1]
    assert all(REAL_CSV_LINE.match(line) for line in lines)
    assert khushaba_twin.khushaba_csv_bytes(np.array([[1.200843e-3, -2.919414e-4]])) == (
        b"1.200843e-003,-2.919414e-004\r\n"
    )


@pytest.mark.parametrize("ds", ["ninapro_db1", "ninapro_db2"])
def test_ninapro_twin_keys_and_dtypes(tmp_path: Path, ds: str) -> None:
    _write(ds, tmp_path / "twin.zip")
    member = {"ninapro_db1": "s1/S1_A1_E1.mat", "ninapro_db2": "DB2_s1/S1_E1_A1.mat"}[ds]
    with zipfile.ZipFile(tmp_path / "twin.zip") as zf:
        raw = zf.read(member)
    assert raw.startswith(b"MATLAB 5.0 MAT-file")
    mat = scipy.io.loadmat(io.BytesIO(raw))
    n_ch = {"ninapro_db1": 10, "ninapro_db2": 12}[ds]
    keys = {"emg", "stimulus", "restimulus", "repetition", "rerepetition", "glove",
            "subject", "exercise"}  # fmt: skip
    if ds == "ninapro_db2":
        keys |= {"acc", "inclin"}
        assert mat["acc"].shape[1] == 36
    assert {k for k in mat if not k.startswith("__")} == keys | {"emgrepro_twin"}
    t = mat["emg"].shape[0]
    assert mat["emg"].shape == (t, n_ch) and mat["emg"].dtype == np.float64
    for k in ("stimulus", "restimulus", "repetition", "rerepetition"):
        assert mat[k].shape == (t, 1) and mat[k].dtype == np.uint8
    assert mat["glove"].shape == (t, 22)
    assert int(mat["subject"][0, 0]) == 1 and int(mat["exercise"][0, 0]) == 1
    # labels restart at 1 in each file, restimulus lies within the cue (stimulus) region
    assert mat["restimulus"].max() == SMALL[ds]["n_movements"]
    stim, restim = mat["stimulus"].ravel(), mat["restimulus"].ravel()
    assert np.mean(restim[restim > 0] == stim[restim > 0]) > 0.8


def test_scale_and_subject_validation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown scale"):
        synthetic.write_twin("khushaba_2ch", tmp_path / "x.zip", subjects=[1], seed=0,
                             scale={"n_samples": 10})  # fmt: skip
    with pytest.raises(ConfigError, match="subject"):
        synthetic.write_twin("khushaba_2ch", tmp_path / "x.zip", subjects=[3], seed=0, scale={})
    assert not (tmp_path / "x.zip").exists()


def _td_features(windows: np.ndarray) -> np.ndarray:
    """Hudgins TD features per channel: MAV, RMS, WL, ZC, SSC (log of the amplitude ones)."""
    d = np.diff(windows, axis=1)
    mav = np.abs(windows).mean(1)
    rms = np.sqrt((windows**2).mean(1))
    wl = np.abs(d).sum(1)
    zc = np.diff(np.signbit(windows), axis=1).sum(1)
    ssc = (d[:, :-1] * d[:, 1:] < 0).sum(1)
    return np.concatenate([np.log(mav), np.log(rms), np.log(wl), zc, ssc], axis=1)


def _windows(rec, length: int = 1000, step: int = 500):
    x, y, r = [], [], []
    for a, b in rec.segment_bounds():
        for s in range(a, b - length + 1, step):
            x.append(rec.signal[s : s + length].astype(np.float64))
            y.append(rec.labels[s])
            r.append(rec.repetition[s])
    return _td_features(np.stack(x)), np.array(y), np.array(r)


def test_khushaba_twin_is_learnable_and_subject_specific(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    info = get_dataset("khushaba_2ch")
    subjects = synthetic.twin_subjects("khushaba_2ch", 2)
    synthetic.write_twin("khushaba_2ch", tmp_path / "t.zip", subjects=subjects, seed=0, scale={})
    root = tmp_path / "raw"
    _extract_canonical(tmp_path / "t.zip", root)
    data = {s: _windows(khushaba.read_subject(info, root, s)) for s in subjects}

    def lda():
        return make_pipeline(StandardScaler(), LinearDiscriminantAnalysis())

    within, cross = [], []
    for s in subjects:
        x, y, r = data[s]
        test = np.isin(r, [5, 6])
        within.append(lda().fit(x[~test], y[~test]).score(x[test], y[test]))
        (other,) = [o for o in subjects if o != s]
        cross.append(lda().fit(data[other][0], data[other][1]).score(x, y))
    print(f"within-subject {within}, cross-subject {cross}")
    assert min(within) > 0.6  # chance is 0.1
    assert np.mean(cross) < np.mean(within) - 0.2


def test_the_command_line_writes_the_sums_where_it_is_told(tmp_path: Path) -> None:
    """Both files of the synthesize rule are named outputs: the manifest is not derived."""
    from emgrepro.cli import main

    archive, sums = tmp_path / "twin.zip", tmp_path / "elsewhere" / "twin.sums"
    argv = ["synthesize", "--dataset", "khushaba_2ch", "--subjects", "1", "--seed", "0",
            "--scale", '{"n_samples_per_file": 50}', "--out", str(archive),
            "--sums", str(sums)]  # fmt: skip
    assert main(argv) == 0
    listed = dict(line.split("  ")[::-1] for line in sums.read_text().splitlines())
    with zipfile.ZipFile(archive) as zf:
        assert len(listed) == sum(not n.endswith("/") for n in zf.namelist())
    assert not archive.with_suffix(".SHA256SUMS").exists()
