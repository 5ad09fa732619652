"""Reader for Ninapro DB1, DB2 and DB3 (``ninapro_db1``, ``ninapro_db2``, ``ninapro_db3``).

Each subject has one MATLAB 5 ``.mat`` file per exercise holding the continuous
``emg`` (samples x channels) and per-sample ``restimulus`` / ``rerepetition``.
Labels restart at 1 in every exercise file; the reader turns them into global
movement ids by offsetting exercise k by the movement counts of the exercises
before it in the registry (``info.exercises``), keeping 0 as rest.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import scipy.io

from emgrepro.datasets.registry import DatasetInfo
from emgrepro.datasets.twin_marker import mat_is_twin
from emgrepro.errors import ConfigError, DataFormatError
from emgrepro.recording import Recording

EMG_KEY = "emg"
# (preferred key, fallback key): the ``re-`` keys hold the refined relabelling.
LABEL_KEYS = ("restimulus", "stimulus")
REPETITION_KEYS = ("rerepetition", "repetition")

_MAT_HEADER = 128
_MI_MATRIX = 14
_MI_COMPRESSED = 15
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _exercises(info: DatasetInfo, exercises: list[int] | None) -> list[int]:
    if exercises is None:
        return sorted(info.exercises)
    unknown = sorted(set(exercises) - set(info.exercises))
    if unknown:
        raise ConfigError(
            f"exercise(s) {unknown} do not exist in dataset '{info.id}'; "
            f"it has exercises {sorted(info.exercises)}"
        )
    return list(exercises)


def label_offsets(info: DatasetInfo) -> dict[int, int]:
    """Offset added to exercise k's labels: movements in the exercises before k."""
    offsets, total = {}, 0
    for ex in sorted(info.exercises):
        offsets[ex] = total
        total += info.exercises[ex]
    return offsets


def required_files(
    info: DatasetInfo, subject: int, exercises: list[int] | None = None
) -> list[str]:
    """Canonical relative paths of the subject's exercise files (default: all exercises)."""
    return [
        info.file_pattern.format(subject=subject, exercise=ex) for ex in _exercises(info, exercises)
    ]


def aliases(relpath: str) -> list[str]:
    """Other names of the same file in a distribution: DB3 has ``S1_E1_A1.mat.mat``."""
    return [relpath + ".mat"]


def archive_urls(info: DatasetInfo, subject: int) -> list[str]:
    """The subject's archive on the Ninapro site (one zip per subject)."""
    return [info.download["url"].format(subject=subject)]


def _check_container(path: Path) -> None:
    """Reject v7.3/HDF5, non-MAT and truncated files before scipy sees them.

    scipy silently returns the variables read so far when a file is cut short and
    ``variable_names`` is given, so the top-level element tags are walked here: each
    must fit inside the file.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.read(_MAT_HEADER)
            fh.seek(512)
            hdf5 = fh.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE
            if len(header) < _MAT_HEADER:
                raise DataFormatError(
                    f"{path}: only {size} bytes, too short for a .mat file (truncated "
                    "download?); get a good copy of it"
                )
            if (
                hdf5
                or header.startswith(b"MATLAB 7.3")
                or header[124:126] in (b"\x00\x02", b"\x02\x00")
            ):
                raise DataFormatError(
                    f"{path}: MATLAB v7.3 (HDF5) files are not supported; re-save it in "
                    "MATLAB as a v7 file (save(name, '-v7')) or fetch the original file"
                )
            endian = {b"IM": "<", b"MI": ">"}.get(header[126:128])
            if endian is None or header[124:126] not in (b"\x00\x01", b"\x01\x00"):
                raise DataFormatError(
                    f"{path}: not a MATLAB 5 .mat file (bad header); the file is corrupt or of "
                    "another format: get a good copy of it"
                )
            pos = _MAT_HEADER
            while pos < size:
                fh.seek(pos)
                tag = fh.read(8)
                if len(tag) < 8:
                    break  # trailing padding shorter than a tag
                mtype, nbytes = struct.unpack(endian + "II", tag)
                if mtype not in (_MI_MATRIX, _MI_COMPRESSED):
                    if not tag.strip(b"\x00"):
                        break  # zero padding at the end
                    raise DataFormatError(
                        f"{path}: corrupt .mat file (unexpected element type {mtype} at byte "
                        f"{pos}); get a good copy of it"
                    )
                end = pos + 8 + nbytes
                if mtype == _MI_MATRIX:
                    end += -nbytes % 8
                if pos + 8 + nbytes > size:
                    raise DataFormatError(
                        f"{path}: .mat file is truncated ({size} bytes; an element at byte {pos} "
                        f"needs {pos + 8 + nbytes}); get a good copy of it"
                    )
                pos = end
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot be read ({exc})") from exc


def _keys_found(path: Path) -> list[str]:
    try:
        return sorted(name for name, _, _ in scipy.io.whosmat(path))
    except Exception:  # noqa: BLE001 - only used to enrich an error message
        return []


def _load(path: Path, whole: bool = False) -> dict[str, np.ndarray]:
    """The reader's variables, or with ``whole`` every variable (each one must load)."""
    _check_container(path)
    wanted = None if whole else [EMG_KEY, *LABEL_KEYS, *REPETITION_KEYS]
    try:
        return scipy.io.loadmat(path, variable_names=wanted)
    except NotImplementedError as exc:  # scipy's message for v7.3 files
        raise DataFormatError(
            f"{path}: MATLAB v7.3 (HDF5) files are not supported; re-save it as a v7 file"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure means a bad file
        raise DataFormatError(
            f"{path}: not a readable MATLAB 5 .mat file ({type(exc).__name__}: {exc}); the "
            "file may be truncated or corrupt: get a good copy of it"
        ) from exc


def _pick(mat: dict, keys: tuple[str, str], path: Path) -> str | None:
    preferred, fallback = keys
    if preferred in mat:
        return preferred
    if fallback in mat:
        warnings.warn(
            f"{path}: no '{preferred}' key, using '{fallback}' (the unrefined labels) instead",
            stacklevel=3,
        )
        return fallback
    return None


def _vector(arr: np.ndarray, key: str, path: Path) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim > 2 or (arr.ndim == 2 and min(arr.shape) > 1):
        raise DataFormatError(f"{path}: '{key}' has shape {arr.shape}, expected a vector (T x 1)")
    if arr.dtype.kind not in "biuf":
        raise DataFormatError(f"{path}: '{key}' has dtype {arr.dtype}, expected numbers")
    arr = arr.ravel()
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise DataFormatError(f"{path}: '{key}' holds non-integer or non-finite values")
    if arr.size and (arr.min() < 0 or arr.max() > np.iinfo(np.int16).max):
        raise DataFormatError(
            f"{path}: '{key}' holds values outside 0..32767 ({arr.min()}..{arr.max()})"
        )
    return arr.astype(np.int16)


def _globalise(labels: np.ndarray, info: DatasetInfo, exercise: int, path: Path) -> np.ndarray:
    """Map exercise-local labels (1..n_k) to global ids; 0 stays rest.

    Labels that all lie in offset+1..offset+n_k are taken as already global and kept
    (a local file always holds movement 1, unless it is cut short); anything else is
    refused rather than guessed.
    """
    n_moves = info.exercises[exercise]
    offset = label_offsets(info)[exercise]
    moving = labels != 0
    if not moving.any():
        return labels
    lo, hi = int(labels[moving].min()), int(labels[moving].max())
    if offset and lo > offset and hi <= offset + n_moves:
        return labels  # already global (e.g. DB2 exercise 2 files as some mirrors have them)
    if hi <= n_moves:
        out = labels.copy()
        out[moving] += offset
        return out
    found = np.unique(labels[moving]).tolist()
    raise DataFormatError(
        f"{path}: exercise {exercise} labels {found} are neither exercise-local (1..{n_moves}) "
        f"nor global ({offset + 1}..{offset + n_moves}); the mapping to movements is unknown"
    )


def read_exercise(
    info: DatasetInfo, path: Path, exercise: int, strict: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(emg float32 T x C, global labels int16, repetition int16) of one exercise file.
    ``strict`` (the fetch's check) refuses what reading only warns about."""
    path = Path(path)
    return _parse(_load(path), info, path, exercise, strict)


def _parse(
    mat: dict, info: DatasetInfo, path: Path, exercise: int, strict: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``read_exercise`` on variables already loaded."""
    label_key = _pick(mat, LABEL_KEYS, path)
    rep_key = _pick(mat, REPETITION_KEYS, path)
    missing = [] if EMG_KEY in mat else [EMG_KEY]
    if label_key is None:
        missing.append(f"{LABEL_KEYS[0]} (or {LABEL_KEYS[1]})")
    if rep_key is None:
        missing.append(f"{REPETITION_KEYS[0]} (or {REPETITION_KEYS[1]})")
    if missing:
        raise DataFormatError(f"{path}: missing key(s) {missing}; keys found: {_keys_found(path)}")

    emg = np.asarray(mat[EMG_KEY])
    if emg.ndim != 2 or emg.dtype.kind not in "biuf":
        raise DataFormatError(
            f"{path}: 'emg' has shape {emg.shape} and dtype {emg.dtype}, expected a 2-D "
            f"numeric array (samples x {info.n_channels} channels)"
        )
    n_ch = emg.shape[1]
    if n_ch > info.n_channels or n_ch == 0:
        raise DataFormatError(
            f"{path}: 'emg' has {n_ch} columns, expected {info.n_channels} channels "
            f"(shape {emg.shape}; a transposed array?)"
        )
    if n_ch < info.n_channels and not strict:
        warnings.warn(
            f"{path}: 'emg' has {n_ch} of {info.n_channels} channels (e.g. DB3 subjects 7 "
            "and 8 have fewer usable electrodes); using the channels present",
            stacklevel=2,
        )
    labels = _vector(mat[label_key], label_key, path)
    rep = _vector(mat[rep_key], rep_key, path)

    n = min(emg.shape[0], labels.size, rep.size)
    if not emg.shape[0] == labels.size == rep.size:
        warnings.warn(
            f"{path}: 'emg' has {emg.shape[0]} samples but '{label_key}' has {labels.size} and "
            f"'{rep_key}' {rep.size}; truncating all to {n}",
            stacklevel=2,
        )
    if n == 0:
        raise DataFormatError(f"{path}: no samples (emg shape {emg.shape})")
    emg = emg[:n]
    bad = int(np.count_nonzero(~np.isfinite(emg)))
    if bad:
        raise DataFormatError(f"{path}: 'emg' holds {bad} NaN/inf value(s)")
    return (
        emg.astype(np.float32),
        _globalise(labels[:n], info, exercise, path),
        rep[:n],
    )


MIN_SECONDS = 1.0  # shorter than this, a recording cannot hold a movement and a rest


def _recorded(mat: dict, key: str, expected: int, path: Path) -> None:
    """The file's own ``subject`` / ``exercise`` variable must be the one requested."""
    if key not in mat:
        raise DataFormatError(
            f"{path}: no '{key}' variable; Ninapro files record their {key}: this is not an "
            "original file, get one from the Ninapro site"
        )
    value = np.asarray(mat[key]).ravel()
    if value.size != 1 or value.dtype.kind not in "biuf" or int(value[0]) != expected:
        raise DataFormatError(
            f"{path}: the file records {key} {value.tolist()}, but it stands for {key} "
            f"{expected}; it is another {key}'s file: put the right file under this name"
        )


def _plausible(info: DatasetInfo, subject: int, emg: np.ndarray, labels, path: Path) -> None:
    """Channel count, length, classes and signal a real recording has."""
    n_ch = emg.shape[1]
    allowed = {info.n_channels, info.fewer_channels.get(subject, info.n_channels)}
    if n_ch not in allowed:
        raise DataFormatError(
            f"{path}: 'emg' has {n_ch} channels, {info.id} has {info.n_channels}; the file is "
            "cut down or of another dataset: get the original file"
        )
    if emg.shape[0] < MIN_SECONDS * info.fs:
        raise DataFormatError(
            f"{path}: only {emg.shape[0]} samples ({emg.shape[0] / info.fs:g} s at "
            f"{info.fs:g} Hz); a recording is minutes long: the file is cut short"
        )
    if np.unique(labels).size < 2:
        raise DataFormatError(
            f"{path}: every sample has label {int(labels[0])}; a recording holds rest and "
            "movements: the labels are missing or the file is not the original"
        )
    flat = [i + 1 for i in range(n_ch) if np.ptp(emg[:, i]) == 0]
    if flat:
        raise DataFormatError(
            f"{path}: 'emg' channel(s) {flat} are constant (no signal); the file is not a "
            "recording as distributed: get the original file"
        )


def validate_file(info: DatasetInfo, root: Path, subject: int, relpath: str) -> None:
    """Raise DataFormatError unless this raw file is whole and is what it claims to be,
    before any hash of it is trusted: every variable loads, the subject and exercise
    recorded inside match, channels, sampling rate, length, classes and signal are the
    dataset's."""
    path = Path(root) / relpath
    for exercise in info.exercises:
        if required_files(info, subject, [exercise])[0] == relpath:
            mat = _load(path, whole=True)  # a corrupt variable the reader skips fails here
            _recorded(mat, "subject", subject, path)
            _recorded(mat, "exercise", exercise, path)
            if "frequency" in mat:
                _recorded_rate(mat["frequency"], info, path)
            emg, labels, _ = _parse(mat, info, path, exercise, strict=True)
            _plausible(info, subject, emg, labels, path)
            return
    raise DataFormatError(f"{relpath}: not a file of subject {subject} of {info.id}")


def _recorded_rate(value, info: DatasetInfo, path: Path) -> None:
    rate = np.asarray(value).ravel()
    if rate.size != 1 or float(rate[0]) != info.fs:
        raise DataFormatError(
            f"{path}: the file records a sampling rate of {rate.tolist()} Hz, {info.id} is "
            f"{info.fs:g} Hz: the file is of another dataset"
        )


def _locate(root: Path, relpath: str) -> Path | None:
    for name in [relpath, *aliases(relpath)]:
        if (root / name).is_file():
            return root / name
    return None


def read_subject(
    info: DatasetInfo, root: Path, subject: int, exercises: list[int] | None = None
) -> Recording:
    """Read the subject's exercise files (default: all) into one Recording,
    one segment per exercise file, labels as global movement ids (0 = rest)."""
    root = Path(root)
    exs = _exercises(info, exercises)
    rels = required_files(info, subject, exs)
    paths = [_locate(root, rel) for rel in rels]
    missing = [rel for rel, p in zip(rels, paths) if p is None]
    if missing:
        raise DataFormatError(
            f"{root}: missing {info.id} file(s) {missing} for subject {subject}; fetch the "
            f"subject's archive or check the 'sources' entry for {info.id}"
        )
    parts = [read_exercise(info, p, ex) for p, ex in zip(paths, exs)]
    widths = {emg.shape[1] for emg, _, _ in parts}
    if len(widths) > 1:
        raise DataFormatError(
            f"{root}: subject {subject}'s exercise files have different channel counts "
            f"{[emg.shape[1] for emg, _, _ in parts]} ({[str(p) for p in paths]})"
        )
    lengths = [emg.shape[0] for emg, _, _ in parts]
    return Recording(
        dataset=info.id,
        subject=int(subject),
        signal=np.concatenate([emg for emg, _, _ in parts], axis=0),
        fs=float(info.fs),
        labels=np.concatenate([lab for _, lab, _ in parts]),
        repetition=np.concatenate([rep for _, _, rep in parts]),
        channel_names=[f"ch{i + 1}" for i in range(widths.pop())],
        segments=np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
        source_files=[p.relative_to(root).as_posix() for p in paths],
        synthetic=any(mat_is_twin(p) for p in paths),
    )
