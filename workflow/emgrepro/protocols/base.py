"""The split type, the base class every protocol follows, and the shared repetition split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.params import dataclass_params, parse

if TYPE_CHECKING:
    from emgrepro.preprocess.table import WindowTable


@dataclass
class Split:
    """Window indices (rows of ``table``) of one train/val/test split.

    ``table`` is the window table the rows refer to: the job's table after the protocol's
    preparation (e.g. labels moved forward in time), set by ``Protocol.split``.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    test_subjects: list[int]
    info: dict = field(default_factory=dict)
    table: Any = None


@dataclass(frozen=True)
class NoParams:
    """A protocol without parameters."""


def _doc(text: str) -> dict:
    return {"doc": text}


@dataclass(frozen=True)
class RepetitionParams:
    """Trials (repetitions) for training, validation (early stopping) and test."""

    train_repetitions: list[int] = field(metadata=_doc("repetitions the model trains on"))
    test_repetitions: list[int] = field(metadata=_doc("repetitions it is scored on"))
    val_repetitions: list[int] = field(
        default_factory=list,
        metadata=_doc("repetitions held out of training for early stopping (taken from train)"),
    )


def check_disjoint(where: str, test: list[int], **others: list[int]) -> None:
    """Test repetitions never train or validate: a config error, at plan time."""
    for name, reps in others.items():
        shared = sorted(set(reps) & set(test))
        if shared:
            raise ConfigError(
                f"{where}: repetition(s) {shared} are in both {name} and test_repetitions; "
                "test repetitions must not be seen in training or validation"
            )


class Protocol:
    """A split generator. Subclasses set ``name`` and ``Params`` (a dataclass: the declared
    parameters), and implement ``folds`` and ``split_rows``.

    ``requires`` names the model capabilities the protocol needs (see
    ``emgrepro.models.capabilities``); the configuration is refused at plan time when a
    model of the experiment lacks one.
    """

    name = ""
    leaky = False  # True for deliberately leaky protocols shown only for comparison
    Params: type = NoParams
    requires: frozenset[str] = frozenset()

    # -- parameters ----------------------------------------------------------------------
    def params(self, values: Any, where: str | None = None) -> Any:
        """The protocol's parameters from a config mapping (checked) or already parsed."""
        if isinstance(values, self.Params):
            return values
        where = where or f"protocols/{self.name}"
        parsed = parse(dataclass_params(self.Params), values, where, self.Params)
        self.check(parsed, where)
        return parsed

    def check(self, p: Any, where: str) -> None:
        """Checks across parameters (e.g. test repetitions never train)."""

    def check_subjects(self, params: Any, subjects: list[int], where: str) -> None:
        """Plan-time checks against the run's subjects (here: that the folds can be made)."""
        try:
            self.folds(subjects, params)
        except ConfigError as e:
            raise ConfigError(f"{where}: {e} (the run's subjects: {subjects})") from None

    # -- jobs ------------------------------------------------------------------------------
    def folds(self, subjects: list[int], params: Any) -> list[str]:
        raise NotImplementedError

    def subjects_needed(self, fold: str, subjects: list[int], params: Any) -> list[int]:
        """Subjects whose windows the job reads (default: all of the run)."""
        return list(subjects)

    def parent(self, fold: str, params: Any) -> dict | None:
        """The job whose trained model this one starts from, if any:
        ``{"experiment": name or None (same), "protocol": ..., "fold": ...}``."""
        return None

    def settings(self, fold: str, params: Any) -> dict:
        """What this job's fold fixes beyond the parameters (e.g. the condition)."""
        return {}

    # -- splitting -------------------------------------------------------------------------
    def prepare(self, table: WindowTable, fold: str, params: Any) -> WindowTable:
        """The job's window table before splitting (e.g. labels moved forward in time);
        returns a new table, never changes the one given."""
        return table

    def split_rows(
        self,
        meta: pd.DataFrame,
        fold: str,
        subjects: list[int],
        params: Any,
        seed: int,
        n_base: int | None = None,
    ) -> Split:
        """Train/val/test rows of ``meta`` (a prepared table's window list)."""
        raise NotImplementedError

    def split(
        self,
        table: WindowTable,
        fold: str,
        subjects: list[int],
        params: Any,
        seed: int,
        n_base: int | None = None,
    ) -> Split:
        """The job's split: prepare the table, then split its rows. The only way a job
        splits, so no protocol's preparation can be skipped."""
        p = self.params(params)
        prepared = self.prepare(table, fold, p)
        out = self.split_rows(prepared.meta, fold, subjects, p, seed, n_base)
        out.table = prepared
        return out

    def train(self, model, train, val, params: Any, n_base: int | None) -> dict:
        """Fit ``model``; protocols that start from a parent adapt it instead."""
        return model.fit(train, val)

    def score(self, model, split: Split, params: Any, ids: dict):
        """Protocols that score in several stages (e.g. testing sessions in time, the
        model updated between them) return ``(score rows, arrays)``; None: the job scores
        the fitted model once on ``split.test``."""
        return None


def repetition_split(meta: pd.DataFrame, p: RepetitionParams) -> Split:
    """Split windows by repetition (trial): disjoint repetitions never share a sample."""
    rep = meta["repetition"].to_numpy()
    val_r = list(getattr(p, "val_repetitions", []))
    train_r = [r for r in p.train_repetitions if r not in val_r]
    idx = meta.index.to_numpy()  # rows of the caller's table, also after filtering
    return Split(
        train=idx[np.isin(rep, train_r)],
        val=idx[np.isin(rep, val_r)],
        test=idx[np.isin(rep, p.test_repetitions)],
        test_subjects=sorted(meta["subject"].unique().tolist()),
    )


def check_repetitions(p: RepetitionParams, where: str) -> None:
    check_disjoint(
        where,
        p.test_repetitions,
        train_repetitions=p.train_repetitions,
        val_repetitions=p.val_repetitions,
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
