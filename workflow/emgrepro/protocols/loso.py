"""Leave one subject out: train on the others, validate on one of them, test on the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split


def validation_subjects(test: int, subjects: list[int], n_val: int) -> list[int]:
    """The ``n_val`` subjects after ``test`` in the run's subject list, cyclically."""
    subs = sorted(subjects)
    if n_val > len(subs) - 2:
        raise ConfigError(
            f"loso: {n_val} validation subject(s) leave no training subject among {subs}"
        )
    i = subs.index(test)
    return [subs[(i + k) % len(subs)] for k in range(1, n_val + 1)]


@register_protocol("loso")
class LeaveOneSubjectOut(Protocol):
    """One job per held-out subject; parameter ``n_val_subjects`` (default 1)."""

    name = "loso"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        if len(subjects) < 2:
            raise ConfigError("loso needs at least two subjects")
        return [str(s) for s in subjects]

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        test_subject = int(fold)
        val_subs = validation_subjects(test_subject, subjects, int(params.get("n_val_subjects", 1)))
        subj = meta["subject"].to_numpy()
        idx = np.arange(len(meta))
        train_mask = ~np.isin(subj, val_subs + [test_subject])
        return Split(
            train=idx[train_mask],
            val=idx[np.isin(subj, val_subs)],
            test=idx[subj == test_subject],
            test_subjects=[test_subject],
            info={"val_subjects": val_subs},
        )
