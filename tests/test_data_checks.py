"""A raw file reaches the checksum lock only after every check of its dataset has passed.

Each case serves a bad stand-in for the real DB1 subject 1 file from a local mirror folder:
the fetch fails naming the user's file and what to do, the lock stays untouched, and the
genuine file is accepted afterwards.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from conftest import DB1_S1_E1, SHARED_DATA, need_shared
from emgrepro.errors import DataFormatError
from emgrepro.fetch.sources import SourcePlan, fetch_subject

pytestmark = pytest.mark.shared
NAME = "S1_A1_E1.mat"


@functools.cache
def _loaded() -> dict:
    mat = scipy.io.loadmat(need_shared(DB1_S1_E1))
    return {k: v for k, v in mat.items() if not k.startswith("__")}


def _genuine() -> dict:
    return dict(_loaded())  # the arrays are only ever replaced, never changed in place


def _save(path: Path, variables: dict, compress: bool = False) -> None:
    scipy.io.savemat(path, variables, format="5", do_compression=compress, oned_as="column")


def _plan(mirror: Path) -> SourcePlan:
    return SourcePlan("ninapro_db1", 1, "path", [str(mirror)], [NAME], "lock")


def _refused_then_genuine_accepted(tmp_path: Path, expected: str) -> None:
    mirror, lock, out = tmp_path / "mirror", tmp_path / "checksums.lock", tmp_path / "raw"
    with pytest.raises(DataFormatError) as e:
        fetch_subject(_plan(mirror), out, lock)
    message = str(e.value)
    assert str(mirror / NAME) in message, "the error names the user's file"
    assert expected in message
    assert not lock.exists() and not out.exists(), "nothing trusted, nothing left"
    assert (mirror / NAME).exists(), "the user's own file is never removed"

    shutil.copyfile(DB1_S1_E1, mirror / NAME)
    fetch_subject(_plan(mirror), out, lock)
    assert f"  ninapro_db1/{NAME}" in lock.read_text()


def _mirror(tmp_path: Path, variables: dict, compress: bool = False) -> Path:
    (tmp_path / "mirror").mkdir()
    _save(tmp_path / "mirror" / NAME, variables, compress)
    return tmp_path / "mirror" / NAME


def test_another_subjects_file_is_refused(tmp_path):
    (tmp_path / "mirror").mkdir()
    shutil.copyfile(
        need_shared(SHARED_DATA / "ninapro-db1-S2_A1_E1.mat"), tmp_path / "mirror" / NAME
    )
    _refused_then_genuine_accepted(tmp_path, "records subject [2], but it stands for subject 1")


def test_another_exercises_file_is_refused(tmp_path):
    _mirror(tmp_path, _genuine() | {"exercise": np.array([[2]], dtype=np.uint8)})
    _refused_then_genuine_accepted(tmp_path, "records exercise [2], but it stands for exercise 1")


def test_a_corrupt_variable_the_reader_skips_is_refused(tmp_path):
    """A flipped byte inside ``glove``'s compressed data (saved last, so the reader's
    variables are intact)."""
    mat = _genuine()
    glove = mat.pop("glove")
    path = _mirror(tmp_path, mat | {"glove": glove}, compress=True)
    data = bytearray(path.read_bytes())
    data[-2000] ^= 0xFF
    path.write_bytes(bytes(data))
    _refused_then_genuine_accepted(tmp_path, "not a readable MATLAB 5 .mat file")


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda m: {k: v[:10] if v.shape[0] > 1 else v for k, v in m.items()}, "only 10 samples"),
        (lambda m: m | {"emg": np.zeros_like(m["emg"])}, "are constant (no signal)"),
        (
            lambda m: m | {"restimulus": np.zeros_like(m["restimulus"])},
            "every sample has label 0",
        ),
        (lambda m: m | {"emg": m["emg"][:, :8]}, "'emg' has 8 channels, ninapro_db1 has 10"),
        (lambda m: m | {"frequency": np.array([[2000]])}, "sampling rate of [2000] Hz"),
        (lambda m: {k: v for k, v in m.items() if k != "subject"}, "no 'subject' variable"),
    ],
    ids=["ten-rows", "all-zero-emg", "all-rest", "8-of-10-channels", "other-rate", "no-subject"],
)
def test_implausible_recordings_are_refused(tmp_path, change, expected):
    _mirror(tmp_path, change(_genuine()))
    _refused_then_genuine_accepted(tmp_path, expected)


def test_an_archive_member_is_named_with_its_archive(tmp_path):
    import zipfile

    (tmp_path / "mirror").mkdir()
    _save(tmp_path / "bad.mat", _genuine() | {"emg": np.zeros((20, 10))})
    archive = tmp_path / "mirror" / "s1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(tmp_path / "bad.mat", f"s1/{NAME}")
    plan = SourcePlan("ninapro_db1", 1, "path", [str(archive)], [NAME], "lock")
    with pytest.raises(DataFormatError, match=rf"{archive} \(member s1/{NAME}\)"):
        fetch_subject(plan, tmp_path / "raw", tmp_path / "checksums.lock")
    assert archive.exists() and not (tmp_path / "checksums.lock").exists()
