"""Preprocess one subject: read raw files, filter, store the signal, index the windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from emgrepro.datasets.registry import get_dataset, reader_module
from emgrepro.io import atomic_path
from emgrepro.preprocess.filtering import filter_recording
from emgrepro.preprocess.windows import rest_repetitions, write_windows
from emgrepro.recording import Recording


def read_subject(dataset: str, subject: int, raw_dir: Path, exercises=None) -> Recording:
    info = get_dataset(dataset)
    return reader_module(info).read_subject(info, Path(raw_dir), subject, exercises)


def preprocess_subject(
    dataset: str,
    subject: int,
    raw_dir: Path,
    prep: dict[str, Any],
    signal_path: Path,
    windows_path: Path,
) -> int:
    """Write the filtered signal (float32 .npy) and its window index (.npz); return the
    window count.

    The index names its signal by file name (a windows folder can move whole), so both
    files sit in one folder. The signal is filtered in place, a few channels of one segment
    at a time, so peak memory is the recording plus one small float64 block.
    """
    signal_path, windows_path = Path(signal_path), Path(windows_path)
    if signal_path.parent.resolve() != windows_path.parent.resolve():
        raise ValueError(
            f"the signal ({signal_path}) and its windows ({windows_path}) must be in one "
            "folder: the window index finds its signal by file name"
        )
    rec = read_subject(dataset, subject, raw_dir, prep.get("exercises"))
    rec.repetition = rest_repetitions(
        rec.labels, rec.repetition, rec.segment_bounds(), prep.get("rest_repetition", "none")
    )
    filter_recording(rec, prep.get("filter"), rec.signal)
    with atomic_path(signal_path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, rec.signal)
    return write_windows(rec, signal_path, windows_path, prep["window"])
