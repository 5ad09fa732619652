"""Reader for the Khushaba 2-channel finger-movement data set (``khushaba_2ch``).

Raw layout: one folder ``EMG-S{n}`` per subject holding 60 header-less CSV files
(10 classes x 6 trials), two comma-separated columns in volts, CRLF line ends.
Each file is one 5 s trial of one class; there is no rest class.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from emgrepro.datasets.registry import DatasetInfo
from emgrepro.datasets.twin_marker import csv_is_twin
from emgrepro.errors import DataFormatError
from emgrepro.recording import Recording

N_COLUMNS = 2
DEFAULT_TRIALS = (1, 2, 3, 4, 5, 6)


def _trials(info: DatasetInfo) -> tuple[int, ...]:
    return tuple(info.repetitions) or DEFAULT_TRIALS


def file_stem(class_name: str, trial: int) -> str:
    """File name (without ``.csv``) of one trial: ``HC-3`` but ``T-M3``, as distributed."""
    return f"HC-{trial}" if class_name == "HC" else f"{class_name}{trial}"


def subject_dir(subject: int) -> str:
    """The subject's folder in the distribution (``EMG-S{n}``)."""
    return f"EMG-S{subject}"


def file_plan(info: DatasetInfo, subject: int) -> list[tuple[str, int, int]]:
    """(relpath, class id, trial) for each file, in the fixed reading order."""
    return [
        (f"{subject_dir(subject)}/{file_stem(name, trial)}.csv", cls, trial)
        for cls, name in sorted(info.classes.items())
        for trial in _trials(info)
    ]


def required_files(
    info: DatasetInfo, subject: int, exercises: list[int] | None = None
) -> list[str]:
    """Canonical relative paths of a subject's 60 CSV files (``exercises`` is ignored:
    this data set has none)."""
    return [rel for rel, _, _ in file_plan(info, subject)]


def aliases(relpath: str) -> list[str]:
    """Alternative member names a distribution may use for ``relpath``: none known."""
    return []


def archive_urls(info: DatasetInfo, subject: int) -> list[str]:
    """No automatic download: the data sit behind a cloud-drive link (manual download)."""
    return []


def _line_number(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _check_columns(raw: bytes, path: Path) -> None:
    """Every line must hold exactly one comma; done vectorised so that the real
    20000-row files cost ~1 ms each, and the first offending line is named."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    if newlines.size == 0 or newlines[-1] != buf.size - 1:
        newlines = np.append(newlines, buf.size)  # last line without a line end
    commas = np.flatnonzero(buf == ord(","))
    per_line = np.diff(np.searchsorted(commas, newlines), prepend=0)
    bad = np.flatnonzero(per_line != N_COLUMNS - 1)
    if bad.size:
        line = int(bad[0]) + 1
        start = 0 if bad[0] == 0 else int(newlines[bad[0] - 1]) + 1
        text = raw[start : int(newlines[bad[0]])].decode("ascii", "replace").strip()
        raise DataFormatError(
            f"{path}: line {line} has {int(per_line[bad[0]]) + 1} comma-separated column(s), "
            f"expected {N_COLUMNS} (channel 1, channel 2); {bad.size} such line(s) in all; "
            f"line {line} reads {text[:80]!r}"
        )


def _first_bad_value(raw: bytes) -> tuple[int, str]:
    """Slow scan, only on the error path: the first line whose fields are not finite numbers."""
    for i, line in enumerate(raw.splitlines(), start=1):
        for field in line.split(b","):
            try:
                ok = np.isfinite(float(field))
            except ValueError:
                ok = False
            if not ok:
                return i, line.decode("ascii", "replace").strip()
    return 0, ""


def read_csv_file(path: Path) -> np.ndarray:
    """Parse one trial file into a (n, 2) float32 array, or say exactly what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot be read ({exc})") from exc
    raw = raw.rstrip()  # tolerate trailing blank lines / missing final line end
    if not raw:
        raise DataFormatError(f"{path}: file is empty (expected rows of {N_COLUMNS} values)")
    _check_columns(raw, path)
    try:
        frame = pd.read_csv(io.BytesIO(raw), header=None, engine="c", dtype=np.float32)
    except (ValueError, pd.errors.ParserError) as exc:
        line, text = _first_bad_value(raw)
        where = f"line {line} reads {text[:80]!r}" if line else str(exc)
        raise DataFormatError(
            f"{path}: non-numeric value ({where}); expected {N_COLUMNS} numbers per line "
            "such as '1.200843e-003,-2.919414e-004'"
        ) from exc
    data = frame.to_numpy(dtype=np.float32, copy=False)
    if data.ndim != 2 or data.shape[1] != N_COLUMNS or data.shape[0] < 1:
        raise DataFormatError(f"{path}: parsed to shape {data.shape}, expected (n>=1, 2)")
    finite = np.isfinite(data)
    if not finite.all():
        line, text = _first_bad_value(raw)
        raise DataFormatError(
            f"{path}: {int((~finite).sum())} NaN/inf or empty value(s); first at line {line} "
            f"({text[:80]!r})"
        )
    return data


def validate_file(info: DatasetInfo, root: Path, subject: int, relpath: str) -> None:
    """Raise DataFormatError unless the reader accepts this raw file."""
    read_csv_file(Path(root) / relpath)


def read_subject(
    info: DatasetInfo, root: Path, subject: int, exercises: list[int] | None = None
) -> Recording:
    """Read a subject's 60 trials into one Recording, one segment per file.

    Order is class id (``info.classes``) then trial; labels are the global class ids
    (1..10, no rest) and ``repetition`` is the trial number.
    """
    root = Path(root)
    plan = file_plan(info, subject)
    missing = [rel for rel, _, _ in plan if not (root / rel).is_file()]
    if missing:
        shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
        raise DataFormatError(
            f"subject folder {root / subject_dir(subject)} is incomplete: {len(missing)} of "
            f"{len(plan)} CSV files missing ({shown}); re-extract the archive or check the "
            f"'sources' entry for {info.id}"
        )
    arrays = [read_csv_file(root / rel) for rel, _, _ in plan]
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    signal = np.concatenate(arrays, axis=0)
    labels = np.repeat(np.array([cls for _, cls, _ in plan], dtype=np.int16), lengths)
    repetition = np.repeat(np.array([t for _, _, t in plan], dtype=np.int16), lengths)
    segments = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return Recording(
        dataset=info.id,
        subject=int(subject),
        signal=signal,
        fs=float(info.fs),
        labels=labels,
        repetition=repetition,
        channel_names=[f"ch{i + 1}" for i in range(N_COLUMNS)],
        segments=segments,
        source_files=[rel for rel, _, _ in plan],
        synthetic=any(csv_is_twin(root / rel) for rel, _, _ in plan),
    )
