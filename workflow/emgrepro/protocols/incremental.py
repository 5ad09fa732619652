"""Incremental classes: extend a trained model to new movements without retraining it.

Used by: hristov2026.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.models import EXTEND
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, check_disjoint, repetition_split


@dataclass(frozen=True)
class IncrementalParams:
    base_experiment: str = field(metadata={"doc": "the experiment whose models are extended"})
    train_repetitions: list[int] = field(metadata={"doc": "repetitions the new branch trains on"})
    test_repetitions: list[int] = field(metadata={"doc": "repetitions every class is tested on"})
    base_protocol: str = field(
        default="multi_subject", metadata={"doc": "protocol of the extended models"}
    )
    rehearsal: float = field(
        default=0.0, metadata={"doc": "share of old-class training windows replayed"}
    )
    mode: Literal["branch", "head"] = field(
        default="branch", metadata={"doc": "new branch for new classes, or a new head for all"}
    )
    hidden: int = field(default=64, metadata={"doc": "width of the new layers"})
    epochs: int = field(default=20, metadata={"doc": "epochs of the extension"})
    lr: float = field(default=1e-3, metadata={"doc": "learning rate of the extension"})


@register_protocol("incremental")
class Incremental(Protocol):
    """Start from ``base_experiment``'s ``base_protocol`` model (the same fold), add the
    experiment's extra classes as a new branch on the learned code, and train only that
    branch on the new classes' training windows plus a ``rehearsal`` share of the old
    classes' training windows.

    Tested on every class of the test repetitions."""

    name = "incremental"
    Params = IncrementalParams
    requires = frozenset({EXTEND})

    def check(self, p: IncrementalParams, where: str) -> None:
        check_disjoint(where, p.test_repetitions, train_repetitions=p.train_repetitions)
        if not 0.0 <= p.rehearsal <= 1.0:
            raise ConfigError(f"{where}/rehearsal: a share between 0 and 1, got {p.rehearsal}")

    def folds(self, subjects: list[int], params) -> list[str]:
        if self.params(params).base_protocol == "multi_subject":
            return ["pooled"]
        return [str(s) for s in subjects]  # one extension of each subject's own model

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return list(subjects) if fold == "pooled" else [int(fold)]

    def parent(self, fold: str, params) -> dict:
        p = self.params(params)
        return {"experiment": p.base_experiment, "protocol": p.base_protocol, "fold": fold}

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        if n_base is None:
            raise ConfigError("incremental: the number of base classes is not known")
        if fold != "pooled":
            meta = meta[meta["subject"] == int(fold)]
        base = repetition_split(meta, p)
        old = meta["label_index"] < n_base  # indexed by the table's rows
        train = base.train[~old.loc[base.train].to_numpy()]
        rng = np.random.default_rng(seed)
        old_train = base.train[old.loc[base.train].to_numpy()]
        n_keep = int(round(p.rehearsal * old_train.size))
        rehearse = np.sort(rng.choice(old_train, size=n_keep, replace=False))
        return Split(
            train=np.sort(np.concatenate([train, rehearse])),
            val=base.val[:0],
            test=base.test,
            test_subjects=base.test_subjects,
            info={"n_rehearsal": int(n_keep)},
        )

    def train(self, model, train, val, params, n_base: int | None) -> dict:
        p = self.params(params)
        return model.extend(
            train,
            len(train.table.classes) - n_base,
            epochs=p.epochs,
            lr=p.lr,
            hidden=p.hidden,
            mode=p.mode,
        )


@register_protocol("incremental_window_split")
class IncrementalWindowSplit(Incremental):
    """Leaky on purpose: as ``incremental``, but the new classes' training windows are drawn
    at random from all of their trials (as many as the training repetitions hold) and they
    are tested on the rest, so overlapping windows of one trial fall on both sides; the old
    classes keep the repetition split. Shown only to measure the inflation; never audited as
    the paper's protocol."""

    name = "incremental_window_split"
    leaky = True

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        base = super().split_rows(meta, fold, subjects, params, seed, n_base)
        if fold != "pooled":
            meta = meta[meta["subject"] == int(fold)]
        trials = [*p.train_repetitions, *p.test_repetitions]
        new = meta.index.to_numpy()[
            (meta["label_index"].to_numpy() >= n_base) & np.isin(meta["repetition"], trials)
        ]
        drawn = np.random.default_rng(seed + 1).permutation(new)
        n_train = int(round(new.size * len(p.train_repetitions) / len(trials)))
        old_train = base.train[meta.loc[base.train, "label_index"].to_numpy() < n_base]
        old_test = base.test[meta.loc[base.test, "label_index"].to_numpy() < n_base]
        return Split(
            train=np.sort(np.concatenate([old_train, drawn[:n_train]])),
            val=base.val,
            test=np.sort(np.concatenate([old_test, drawn[n_train:]])),
            test_subjects=base.test_subjects,
            info={**base.info, "leaky": True},
        )
