"""The one in-memory type every dataset reader produces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Recording:
    """A subject's continuous sEMG with per-sample annotations.

    Several raw files (trials, exercises) are concatenated; ``segments`` holds
    the start index of each contiguous piece so that filtering and windowing
    never cross a file boundary.
    """

    dataset: str
    subject: int
    signal: np.ndarray  # float32, (n_samples, n_channels)
    fs: float
    labels: np.ndarray  # int16, (n_samples,), global movement ids, 0 = rest
    repetition: np.ndarray  # int16, (n_samples,), repetition / trial, 0 = none
    channel_names: list[str]
    segments: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    source_files: list[str] = field(default_factory=list)
    synthetic: bool = False  # a twin's marker was found in its files (datasets.twin_marker)

    def __post_init__(self) -> None:
        n = self.signal.shape[0]
        if self.signal.ndim != 2:
            raise ValueError(
                f"signal must be 2-D (samples x channels), got shape {self.signal.shape}"
            )
        if self.labels.shape != (n,) or self.repetition.shape != (n,):
            raise ValueError(
                f"labels {self.labels.shape} and repetition {self.repetition.shape} "
                f"must both have shape ({n},) to match the signal"
            )
        if len(self.channel_names) != self.signal.shape[1]:
            raise ValueError(
                f"{len(self.channel_names)} channel names for {self.signal.shape[1]} channels"
            )
        self.segments = np.asarray(self.segments, dtype=np.int64)
        if self.segments.size == 0 or self.segments[0] != 0 or np.any(np.diff(self.segments) <= 0):
            raise ValueError("segments must start at 0 and increase strictly")

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.signal.shape[1])

    def segment_bounds(self) -> list[tuple[int, int]]:
        """(start, stop) of each contiguous piece."""
        stops = list(self.segments[1:]) + [self.n_samples]
        return [(int(a), int(b)) for a, b in zip(self.segments, stops)]
