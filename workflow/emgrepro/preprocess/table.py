"""The windows one job sees: several subjects' window indices behind one table."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emgrepro.preprocess.windows import SubjectWindows


class WindowTable:
    """Rows are windows of several subjects; ``meta`` has subject, repetition, label."""

    def __init__(self, subjects: list[SubjectWindows], classes: list[int]) -> None:
        if not subjects:
            raise ValueError("a window table needs at least one subject")
        self.subjects = {s.subject: s for s in subjects}
        first = subjects[0]
        self.n_times = first.length
        self.n_chans = first.n_chans
        self.fs = first.fs
        self.step = first.step
        for s in subjects:
            if (s.length, s.n_chans) != (self.n_times, self.n_chans):
                raise ValueError(
                    f"subject {s.subject} has windows {s.n_chans}x{s.length}, "
                    f"others {self.n_chans}x{self.n_times}"
                )
        self.classes = list(classes)
        lookup = {c: i for i, c in enumerate(self.classes)}
        parts = []
        for s in subjects:
            keep = np.flatnonzero(np.isin(s.labels, self.classes))
            parts.append(
                pd.DataFrame(
                    {
                        "subject": np.full(keep.size, s.subject, dtype=np.int64),
                        "repetition": s.repetition[keep].astype(np.int64),
                        "label": s.labels[keep].astype(np.int64),
                        "local": keep,
                        "start": s.starts[keep],
                        "stop": s.starts[keep] + s.length,
                    }
                )
            )
        self.meta = pd.concat(parts, ignore_index=True)
        self.y = self.meta["label"].map(lookup).to_numpy(np.int64)
        self.meta["label_index"] = self.y
        self.meta["label_local"] = self.meta["local"]  # the window each label belongs to

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def synthetic(self) -> bool:
        """Whether any subject's windows come from a synthetic twin (its files' marker)."""
        return any(s.synthetic for s in self.subjects.values())

    def shifted(self, windows: int) -> WindowTable:
        """A table whose windows carry the label of the window ``windows`` later in the same
        subject's list of kept windows (forward-in-time prediction); windows without such a
        partner are dropped. The repetition stays the input window's, so splits by
        repetition still decide where the input samples go. ``label_local`` records which
        window each label came from."""
        if windows <= 0:
            return self
        subj = self.meta["subject"].to_numpy()
        n = len(self.meta)
        later = np.arange(n) + windows
        ok = later < n
        ok[ok] = subj[later[ok]] == subj[ok]
        keep = np.flatnonzero(ok)
        meta = self.meta.iloc[keep].reset_index(drop=True)
        for col in ("label", "label_index", "label_local"):
            meta[col] = self.meta[col].to_numpy()[later[keep]]
        out = copy.copy(self)
        out.meta = meta
        out.y = meta["label_index"].to_numpy(np.int64)
        return out

    def with_windows(self, subject: int, starts: np.ndarray) -> tuple[WindowTable, np.ndarray]:
        """This table plus ``subject``'s windows at ``starts`` that it lacks, and the row of
        each start. Added windows carry the label and repetition of their middle sample in
        ``meta`` and no class (``y`` -1): a stream holds transitions and windows of no
        class, which a model may predict but nobody scores."""
        starts = np.asarray(starts, dtype=np.int64)
        sw = self.subjects[subject]
        mine = np.flatnonzero(self.meta["subject"].to_numpy() == subject)
        held = dict(zip(self.meta["start"].to_numpy()[mine].tolist(), mine.tolist()))
        new = np.array([s for s in starts.tolist() if s not in held], dtype=np.int64)
        mid = new + sw.length // 2
        grown = dataclasses.replace(
            sw,
            starts=np.concatenate([sw.starts, new]),
            labels=np.concatenate([sw.labels, sw.sample_labels[mid]]),
            repetition=np.concatenate([sw.repetition, sw.sample_repetition[mid]]),
        )
        local = np.arange(sw.n_windows, sw.n_windows + new.size)
        added = pd.DataFrame(
            {
                "subject": np.full(new.size, subject, dtype=np.int64),
                "repetition": sw.sample_repetition[mid].astype(np.int64),
                "label": sw.sample_labels[mid].astype(np.int64),
                "local": local,
                "start": new,
                "stop": new + sw.length,
                "label_index": np.full(new.size, -1, dtype=np.int64),
                "label_local": local,
            }
        )
        out = copy.copy(self)
        out.subjects = {**self.subjects, subject: grown}
        out.meta = pd.concat([self.meta, added[self.meta.columns]], ignore_index=True)
        out.y = np.concatenate([self.y, added["label_index"].to_numpy()])
        first_new = len(self.meta)
        rows_of_new = dict(zip(new.tolist(), range(first_new, first_new + new.size)))
        rows = np.array([held.get(s, rows_of_new.get(s)) for s in starts.tolist()], np.int64)
        return out, rows

    def batch(self, rows: np.ndarray) -> np.ndarray:
        """Copy of the windows at ``rows`` (n, n_chans, n_times), in the order given."""
        rows = np.asarray(rows)
        out = np.empty((rows.size, self.n_chans, self.n_times), dtype=np.float32)
        subj = self.meta["subject"].to_numpy()[rows]
        local = self.meta["local"].to_numpy()[rows]
        for s in np.unique(subj):
            pos = np.flatnonzero(subj == s)
            out[pos] = self.subjects[int(s)].batch(local[pos])
        return out

    def subset(self, rows: np.ndarray) -> Subset:
        return Subset(self, np.asarray(rows, dtype=np.int64))

    def blind(self) -> WindowTable:
        """The same windows without their labels: ``y`` is -1 everywhere and ``meta`` has no
        label columns. What a model sees of windows whose labels it must not know (a testing
        session it predicts, then adapts to from its own corrected predictions)."""
        out = copy.copy(self)
        out.meta = self.meta.drop(columns=["label", "label_index"])
        out.y = np.full(len(self.meta), -1, dtype=np.int64)
        return out


@dataclass
class Subset:
    """Some rows of a window table: what a model is fitted on or scored on."""

    table: WindowTable
    rows: np.ndarray

    def __len__(self) -> int:
        return int(self.rows.size)

    @property
    def key(self) -> tuple:
        """Identifies these windows of this table, for caches of derived inputs."""
        digest = hashlib.blake2b(np.ascontiguousarray(self.rows).tobytes(), digest_size=16)
        return (id(self.table), self.rows.size, digest.hexdigest())

    @property
    def y(self) -> np.ndarray:
        return self.table.y[self.rows]

    @property
    def subject(self) -> np.ndarray:
        return self.table.meta["subject"].to_numpy()[self.rows]

    def batches(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(X, y) batches; shuffled when ``rng`` is given. Only one batch is in memory."""
        order = self.rows if rng is None else rng.permutation(self.rows)
        for i in range(0, order.size, batch_size):
            rows = order[i : i + batch_size]
            yield self.table.batch(rows), self.table.y[rows]

    def with_labels(self, labels: np.ndarray) -> Subset:
        """These windows with the given labels (one per window, in row order) in place of
        the table's: e.g. pseudo-labels of a blind table's windows."""
        return LabelledSubset(self.table, self.rows, np.asarray(labels, dtype=np.int64))

    def channel_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and sd over the samples these windows cover (each sample once).

        Fitted on the training subset only: this is the standardisation every protocol uses.
        """
        total = np.zeros(self.table.n_chans)
        total_sq = np.zeros(self.table.n_chans)
        count = 0
        subj = self.table.meta["subject"].to_numpy()[self.rows]
        local = self.table.meta["local"].to_numpy()[self.rows]
        for s in np.unique(subj):
            sw = self.table.subjects[int(s)]
            mask = sw.sample_mask(local[subj == s])
            for a, b in _runs(mask):
                x = np.asarray(sw.signal[a:b], dtype=np.float64)
                total += x.sum(axis=0)
                total_sq += (x * x).sum(axis=0)
                count += b - a
        mean = total / max(count, 1)
        var = np.maximum(total_sq / max(count, 1) - mean**2, 0.0)
        sd = np.sqrt(var)
        sd[sd == 0] = 1.0
        return mean.astype(np.float32), sd.astype(np.float32)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a boolean mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


@dataclass
class LabelledSubset(Subset):
    """Windows of a table with labels of their own (``Subset.with_labels``)."""

    labels: np.ndarray = None

    def __post_init__(self) -> None:
        if self.labels is None or self.labels.shape != self.rows.shape:
            raise ValueError("a labelled subset needs one label per window")

    @property
    def y(self) -> np.ndarray:
        return self.labels

    def batches(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        pos = np.arange(self.rows.size) if rng is None else rng.permutation(self.rows.size)
        for i in range(0, pos.size, batch_size):
            p = pos[i : i + batch_size]
            yield self.table.batch(self.rows[p]), self.labels[p]
