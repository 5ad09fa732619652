"""Incremental classes: extend a trained model to new movements without retraining it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, repetition_split


@register_protocol("incremental")
class Incremental(Protocol):
    """Start from ``base_experiment``'s ``base_protocol`` model (the same fold), add the
    experiment's extra classes as a new branch on the learned code, and train only that
    branch on the new classes' training windows plus a ``rehearsal`` share of the old
    classes' training windows.
    Tested on every class of the test repetitions."""

    name = "incremental"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        if params.get("base_protocol", "multi_subject") == "multi_subject":
            return ["pooled"]
        return [str(s) for s in subjects]  # one extension of each subject's own model

    def subjects_needed(self, fold: str, subjects: list[int], params: dict) -> list[int]:
        return list(subjects) if fold == "pooled" else [int(fold)]

    def parent(self, fold: str, params: dict) -> dict:
        if "base_experiment" not in params:
            raise ConfigError("incremental needs `base_experiment` (the experiment it extends)")
        return {
            "experiment": params["base_experiment"],
            "protocol": params.get("base_protocol", "multi_subject"),
            "fold": fold,
        }

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        if fold != "pooled":
            meta = meta[meta["subject"] == int(fold)]
        base = repetition_split(meta, params, self.name)
        n_base = int(params["n_base_classes"])
        old = meta["label_index"] < n_base  # indexed by the table's rows
        train = base.train[~old.loc[base.train].to_numpy()]
        rng = np.random.default_rng(seed)
        old_train = base.train[old.loc[base.train].to_numpy()]
        n_keep = int(round(float(params.get("rehearsal", 0.0)) * old_train.size))
        rehearse = np.sort(rng.choice(old_train, size=n_keep, replace=False))
        return Split(
            train=np.sort(np.concatenate([train, rehearse])),
            val=base.val[:0],
            test=base.test,
            test_subjects=base.test_subjects,
            info={"n_rehearsal": int(n_keep)},
        )

    def train(self, model, train, val, params: dict, n_base: int | None) -> dict:
        if not hasattr(model, "extend"):
            raise ConfigError(
                f"incremental: model {type(model).__name__} cannot be extended with new classes"
            )
        return model.extend(
            train,
            model_n_new(train, n_base),
            epochs=int(params.get("epochs", 20)),
            lr=float(params.get("lr", 1e-3)),
            hidden=int(params.get("hidden", 64)),
            mode=str(params.get("mode", "branch")),
        )


def model_n_new(train, n_base: int) -> int:
    return len(train.table.classes) - n_base
