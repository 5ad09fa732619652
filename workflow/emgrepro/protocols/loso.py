"""Leave one subject out: train on the others, validate on one of them, test on the rest.

Used by: baseline, hristov2026.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class LosoParams:
    n_val_subjects: int = field(
        default=1, metadata={"doc": "training subjects held out for early stopping"}
    )


@register_protocol("loso")
class LeaveOneSubjectOut(Protocol):
    """One job per held-out subject."""

    name = "loso"
    Params = LosoParams

    def check(self, p: LosoParams, where: str) -> None:
        if p.n_val_subjects < 0:
            raise ConfigError(f"{where}/n_val_subjects: must be 0 or more")

    def check_subjects(self, params, subjects: list[int], where: str) -> None:
        super().check_subjects(params, subjects, where)
        n_val = self.params(params).n_val_subjects
        if n_val > len(subjects) - 2:
            raise ConfigError(
                f"{where}/n_val_subjects: {n_val} validation subject(s) leave no training "
                f"subject among the run's {len(subjects)} subjects {subjects}; use at most "
                f"{max(len(subjects) - 2, 0)}, or more subjects"
            )

    def folds(self, subjects: list[int], params) -> list[str]:
        if len(subjects) < 2:
            raise ConfigError("loso needs at least two subjects; give the dataset more")
        return [str(s) for s in subjects]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        test_subject = int(fold)
        val_subs = validation_subjects(test_subject, subjects, p.n_val_subjects)
        subj = meta["subject"].to_numpy()
        idx = meta.index.to_numpy()
        train_mask = ~np.isin(subj, val_subs + [test_subject])
        return Split(
            train=idx[train_mask],
            val=idx[np.isin(subj, val_subs)],
            test=idx[subj == test_subject],
            test_subjects=[test_subject],
            info={"val_subjects": val_subs},
        )
