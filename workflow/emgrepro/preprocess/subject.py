"""Preprocess one subject: read raw files, filter, store the signal, index the windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from emgrepro.datasets.registry import get_dataset, reader_module
from emgrepro.io import atomic_path
from emgrepro.preprocess.filtering import filter_recording
from emgrepro.preprocess.windows import write_windows
from emgrepro.recording import Recording


def read_subject(dataset: str, subject: int, raw_dir: Path, exercises=None) -> Recording:
    info = get_dataset(dataset)
    return reader_module(info).read_subject(info, Path(raw_dir), subject, exercises)


def preprocess_subject(
    dataset: str, subject: int, raw_dir: Path, prep: dict[str, Any], out_dir: Path
) -> int:
    """Write ``signal.npy`` (filtered, float32) and ``windows.npz``; return the window count.

    The signal is filtered in place, a few channels of one segment at a time, so peak
    memory is the recording plus one small float64 block.
    """
    out_dir = Path(out_dir)
    rec = read_subject(dataset, subject, raw_dir, prep.get("exercises"))
    if prep.get("rest_repetition", "none") == "previous":
        rec.repetition = rest_follows_repetition(rec)
    signal_path = out_dir / "signal.npy"
    filter_recording(rec, prep.get("filter"), rec.signal)
    with atomic_path(signal_path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, rec.signal)
    return write_windows(rec, signal_path, out_dir / "windows.npz", prep["window"])


def rest_follows_repetition(rec: Recording) -> np.ndarray:
    """Repetitions where every rest sample (label 0) belongs to the repetition of the
    movement it follows in the same file: the rest after repetition r of a movement is
    split (train or test) with that repetition. Rest before a file's first movement
    follows nothing and keeps repetition 0."""
    out = rec.repetition.copy()
    for a, b in rec.segment_bounds():
        labels, reps = rec.labels[a:b], rec.repetition[a:b]
        moving = labels != 0
        last = np.where(moving, np.arange(b - a), -1)  # index of the latest movement sample
        np.maximum.accumulate(last, out=last)
        rest = ~moving
        out[a:b][rest] = np.where(last[rest] >= 0, reps[np.maximum(last[rest], 0)], 0)
    return out
