"""Window indices over a stored continuous signal, and zero-copy access to them.

A subject's windows are never materialised: the filtered signal is stored once as
``signal.npy`` and a window is a (start, length) pair. ``sliding_window_view`` over the
memory-mapped signal gives all windows as a view; only a batch is ever copied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emgrepro.errors import ConfigError, DataFormatError
from emgrepro.io import atomic_path
from emgrepro.recording import Recording

LABEL_RULES = ("constant", "endpoints")
REST_RULES = ("none", "preceding")


def ms_to_samples(ms: float, fs: float) -> int:
    n = int(round(ms * fs / 1000.0))
    if n < 1:
        raise ConfigError(f"{ms} ms at {fs} Hz is less than one sample")
    return n


def rest_repetitions(
    labels: np.ndarray,
    repetition: np.ndarray,
    segments: list[tuple[int, int]],
    rule: str = "none",
) -> np.ndarray:
    """The repetition of every sample, rest included (a copy).

    Ninapro marks rest samples (label 0) with repetition 0, so a split by repetition never
    sees rest. ``none`` leaves them so (rest windows belong to no repetition).
    ``preceding``: a rest sample belongs to the repetition it follows: the repetition of the
    movement before it in its segment (file); rest before a segment's first movement follows
    nothing and stays 0. Only samples with label 0 and repetition 0 change.
    """
    if rule not in REST_RULES:
        raise ConfigError(f"unknown rest_repetition rule '{rule}'; choose one of {REST_RULES}")
    out = np.array(repetition, copy=True)
    if rule == "none":
        return out
    for a, b in segments:
        rep = out[a:b]
        known = rep != 0
        if not known.any():
            continue
        pos = np.where(known, np.arange(b - a), -1)
        np.maximum.accumulate(pos, out=pos)  # the last movement sample at or before each
        fill = (labels[a:b] == 0) & ~known & (pos >= 0)  # leading rest follows nothing
        rep[fill] = rep[pos[fill]]
    return out


def window_starts(
    labels: np.ndarray,
    repetition: np.ndarray,
    segments: list[tuple[int, int]],
    length: int,
    step: int,
    rule: str = "constant",
) -> np.ndarray:
    """Start indices of the windows that satisfy the label rule.

    ``constant``: label and repetition are the same over every sample of the window.
    ``endpoints``: they agree at the first and last sample only (Wu 2024's rule).
    Windows never cross a segment (file) boundary.
    """
    if rule not in LABEL_RULES:
        raise ConfigError(f"unknown window label rule '{rule}'; choose one of {LABEL_RULES}")
    pieces = [np.arange(a, b - length + 1, step, dtype=np.int64) for a, b in segments]
    starts = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    if starts.size == 0:
        return starts
    ends = starts + length - 1
    if rule == "endpoints":
        keep = (labels[starts] == labels[ends]) & (repetition[starts] == repetition[ends])
    else:
        # A window is constant when no label/repetition change lies inside it: the number
        # of change points up to its start and up to its end must agree.
        breaks = np.flatnonzero((labels[1:] != labels[:-1]) | (repetition[1:] != repetition[:-1]))
        breaks += 1
        keep = np.searchsorted(breaks, starts, "right") == np.searchsorted(breaks, ends, "right")
    return starts[keep]


def check_every_trial_windowed(
    rec: Recording, starts: np.ndarray, length: int, length_ms: float
) -> None:
    """A movement repetition that yields no window would vanish from every split without a
    word (a trial shorter than the window, or a window longer than the recording)."""
    n_reps = int(rec.repetition.max()) + 1 if rec.repetition.size else 1
    code = rec.labels.astype(np.int64) * n_reps + rec.repetition

    def pairs(codes: np.ndarray) -> set[tuple[int, int]]:
        return {(int(c) // n_reps, int(c) % n_reps) for c in np.unique(codes)}

    lost = sorted(pairs(code) - pairs(code[starts]))
    if not lost:
        return
    where = f"{rec.dataset} subject {rec.subject}"
    examples = ", ".join(f"label {lab} repetition {rep}" for lab, rep in lost[:5])
    more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
    raise DataFormatError(
        f"{where}: {len(lost)} trial(s) are shorter than the window of {length_ms:g} ms "
        f"({length} samples at {rec.fs:g} Hz) and would yield no window: {examples}{more}. "
        "Shorten `window: length_ms` of this preprocessing in config/papers/<paper>.yaml, "
        "or check the recording's labels."
    )


def write_windows(
    rec: Recording, filtered: Path, out: Path, window: dict[str, Any], extra: dict | None = None
) -> int:
    """Compute the window index of ``rec`` and write it to ``out`` (an .npz)."""
    length = ms_to_samples(window["length_ms"], rec.fs)
    step = ms_to_samples(window["step_ms"], rec.fs)
    starts = window_starts(
        rec.labels, rec.repetition, rec.segment_bounds(), length, step, window["label_rule"]
    )
    check_every_trial_windowed(rec, starts, length, window["length_ms"])
    meta = {
        "dataset": rec.dataset,
        "subject": rec.subject,
        "fs": rec.fs,
        "length": length,
        "step": step,
        "label_rule": window["label_rule"],
        "channel_names": rec.channel_names,
        "signal": filtered.name,
        "synthetic": bool(rec.synthetic),
        **(extra or {}),
    }
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                starts=starts,
                labels=rec.labels[starts],
                repetition=rec.repetition[starts],
                sample_labels=rec.labels,
                sample_repetition=rec.repetition,
                segments=rec.segments,
                meta=np.array(json.dumps(meta)),
            )
    return int(starts.size)


@dataclass
class SubjectWindows:
    """One subject's windows: a memory-mapped signal plus its window index."""

    subject: int
    signal: np.ndarray  # (n_samples, n_channels), memory-mapped
    starts: np.ndarray
    labels: np.ndarray
    repetition: np.ndarray
    length: int
    fs: float
    channel_names: list[str]
    sample_labels: np.ndarray
    sample_repetition: np.ndarray
    step: int = 0  # samples between window starts of the window rule (0: unknown)
    synthetic: bool = False  # read from a synthetic twin (its files' marker)
    segments: np.ndarray | None = None  # start of each file's samples (None: one segment)

    @classmethod
    def load(cls, folder: Path | str) -> SubjectWindows:
        """The windows a preprocessing job wrote to ``folder``."""
        return cls.from_files(Path(folder) / "windows.npz")

    @classmethod
    def from_files(cls, windows: Path | str, signal: Path | str | None = None) -> SubjectWindows:
        """A window index and the filtered signal it indexes, each named (a job's declared
        inputs); without ``signal``, the file the index names beside it."""
        windows = Path(windows)
        with np.load(windows) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in ("starts", "labels", "repetition")}
            sample_labels, sample_rep = z["sample_labels"], z["sample_repetition"]
            segments = z["segments"] if "segments" in z.files else None
        path = Path(signal) if signal is not None else windows.parent / meta["signal"]
        signal = np.load(path, mmap_mode="r")
        if signal.ndim != 2 or signal.shape[0] != sample_labels.shape[0]:
            raise DataFormatError(
                f"{path}: {signal.shape[0]} samples, but the window index "
                f"{windows} labels {sample_labels.shape[0]}; pass the signal.npy written "
                "with that index (same preprocessing and subject)"
            )
        return cls(
            subject=int(meta["subject"]),
            signal=signal,
            length=int(meta["length"]),
            fs=float(meta["fs"]),
            channel_names=list(meta["channel_names"]),
            sample_labels=sample_labels,
            sample_repetition=sample_rep,
            step=int(meta.get("step", 0)),
            synthetic=bool(meta.get("synthetic", False)),
            segments=segments,
            **arrays,
        )

    @property
    def n_windows(self) -> int:
        return int(self.starts.size)

    def segment_bounds(self) -> list[tuple[int, int]]:
        """(start, stop) of each file's samples: windows never cross them."""
        n = int(self.signal.shape[0])
        starts = [0] if self.segments is None else [int(a) for a in self.segments]
        return list(zip(starts, [*starts[1:], n]))

    def grid(self) -> np.ndarray:
        """Every window start of the window rule's grid (``step`` apart in each file),
        whatever its labels: the stream of windows as a recording would deliver them."""
        if self.step < 1:
            raise ValueError(f"subject {self.subject}: the windows' step is unknown")
        pieces = [
            np.arange(a, b - self.length + 1, self.step, dtype=np.int64)
            for a, b in self.segment_bounds()
        ]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)

    @property
    def n_chans(self) -> int:
        return int(self.signal.shape[1])

    def view(self) -> np.ndarray:
        """Every possible window as a zero-copy view, shape (n_positions, n_chans, length)."""
        return np.lib.stride_tricks.sliding_window_view(self.signal, self.length, axis=0)

    def batch(self, idx: np.ndarray) -> np.ndarray:
        """Copy of the windows ``idx`` (indices into this subject's windows), (n, C, L)."""
        return np.ascontiguousarray(self.view()[self.starts[np.asarray(idx)]], dtype=np.float32)

    def sample_mask(self, idx: np.ndarray) -> np.ndarray:
        """Boolean mask of the signal samples covered by windows ``idx``."""
        cover = np.zeros(self.signal.shape[0] + 1, dtype=np.int32)
        s = self.starts[np.asarray(idx)]
        np.add.at(cover, s, 1)
        np.add.at(cover, s + self.length, -1)
        return np.cumsum(cover[:-1]) > 0
