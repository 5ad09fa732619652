"""The split type and the base class every protocol follows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError


@dataclass
class Split:
    """Window indices (rows of the job's window table) of one train/val/test split."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    test_subjects: list[int]
    info: dict = field(default_factory=dict)


class Protocol:
    """A split generator. Subclasses set ``name`` and implement ``folds`` and ``split``."""

    name = ""
    leaky = False  # True for deliberately leaky protocols shown only for comparison

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        raise NotImplementedError

    def subjects_needed(self, fold: str, subjects: list[int], params: dict) -> list[int]:
        """Subjects whose windows the job reads (default: all of the run)."""
        return list(subjects)

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        raise NotImplementedError

    def parent(self, fold: str, params: dict) -> dict | None:
        """The job whose trained model this one starts from, if any:
        ``{"experiment": name or None (same), "protocol": ..., "fold": ...}``."""
        return None

    def prepare(self, table, fold: str, params: dict) -> None:
        """Change the job's window table before splitting (e.g. shift labels in time)."""

    def train(self, model, train, val, params: dict, n_base: int | None) -> dict:
        """Fit ``model``; protocols that start from a parent adapt it instead."""
        return model.fit(train, val)


def repetitions(params: dict, key: str, where: str) -> list[int]:
    value = params.get(key)
    if value is None:
        raise ConfigError(f"protocol '{where}' needs the parameter '{key}' (list of repetitions)")
    return [int(r) for r in value]


def repetition_split(meta: pd.DataFrame, params: dict, where: str) -> Split:
    """Split windows by repetition (trial): disjoint repetitions never share a sample."""
    train_r = repetitions(params, "train_repetitions", where)
    test_r = repetitions(params, "test_repetitions", where)
    val_r = [int(r) for r in params.get("val_repetitions", [])]
    overlap = (set(train_r) & set(test_r)) | (set(val_r) & set(test_r))
    if overlap:
        raise ConfigError(
            f"protocol '{where}': repetitions {sorted(overlap)} are in train and test"
        )
    rep = meta["repetition"].to_numpy()
    train_r = [r for r in train_r if r not in val_r]
    idx = meta.index.to_numpy()  # rows of the caller's table, also after filtering
    return Split(
        train=idx[np.isin(rep, train_r)],
        val=idx[np.isin(rep, val_r)],
        test=idx[np.isin(rep, test_r)],
        test_subjects=sorted(meta["subject"].unique().tolist()),
    )


def trial_parts(meta: pd.DataFrame, val_fraction: float, fraction: float = 1.0):
    """Split every trial's windows in time; returns (train, val) boolean masks.

    A trial is one (subject, repetition, label). Validation is the last ``val_fraction``
    of the trial's window positions; the training part is the windows that end before
    the first validation window starts (those in between are dropped, so the two never
    share a sample). Of the training part only the first ``fraction`` of its windows (at
    least one) is kept: the data-efficiency experiment.
    """
    start, stop = meta["start"].to_numpy(), meta["stop"].to_numpy()
    keys = ["subject", "repetition", "label"]
    trials = meta.groupby(keys)
    first = trials["start"].transform("min").to_numpy()
    last = trials["start"].transform("max").to_numpy()
    if val_fraction > 0:
        cut = first + (1.0 - float(val_fraction)) * (last - first)
        val, train = start >= cut, stop <= cut
    else:
        val, train = np.zeros(len(meta), dtype=bool), np.ones(len(meta), dtype=bool)
    if fraction < 1.0:
        part = meta[keys].assign(start=start, train=train)
        rank = part.groupby(keys)["start"].rank(method="first").to_numpy()
        size = part.groupby(keys)["train"].transform("sum").to_numpy()
        train = train & (rank <= np.maximum(np.ceil(float(fraction) * size), 1))
    return train, val
