"""Pooled subjects: one model on a fixed pool of subjects, tested on every subject.

Wu et al. 2024 pre-train the feature-imitation network on subjects 1-25 and train their
multi-subject feature CNN (CNN-I) the same way, then test subject by subject on the held-out
repetitions of all 40 subjects, inside the pool and outside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, repetitions, trial_parts


@register_protocol("pooled_subjects")
class PooledSubjects(Protocol):
    """One job (fold ``pool``). Parameters: ``train_subjects``, ``train_repetitions``,
    ``test_repetitions``, and for validation either ``val_repetitions`` (of the pool) or
    ``val_fraction`` (the last share of every training trial, split in time)."""

    name = "pooled_subjects"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        return ["pool"]

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        pool = sorted(set(int(s) for s in params.get("train_subjects", [])) & set(subjects))
        if not pool:
            raise ConfigError(
                f"protocol '{self.name}': none of train_subjects "
                f"{params.get('train_subjects')} is among the run's subjects {subjects}"
            )
        train_r = repetitions(params, "train_repetitions", self.name)
        test_r = repetitions(params, "test_repetitions", self.name)
        val_r = [int(r) for r in params.get("val_repetitions", [])]
        if set(test_r) & (set(train_r) | set(val_r)):
            raise ConfigError(f"protocol '{self.name}': test repetitions {test_r} also train")
        rep = meta["repetition"].to_numpy()
        in_pool = np.isin(meta["subject"].to_numpy(), pool)
        train = in_pool & np.isin(rep, [r for r in train_r if r not in val_r])
        val = in_pool & np.isin(rep, val_r)
        if not val_r and params.get("val_fraction"):
            early, late = trial_parts(meta, float(params["val_fraction"]))
            train, val = train & early, train & late
        idx = meta.index.to_numpy()
        test = np.isin(rep, test_r)
        return Split(
            train=idx[train],
            val=idx[val],
            test=idx[test],
            test_subjects=sorted(meta["subject"][test].unique().tolist()),
            info={"train_subjects": pool},
        )
