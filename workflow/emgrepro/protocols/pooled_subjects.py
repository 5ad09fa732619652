"""Pooled subjects: one model on a fixed pool of subjects, tested on every subject.

Used by: wu2024. Wu et al. 2024 pre-train the feature-imitation network on subjects 1-25
and train their multi-subject feature CNN (CNN-I) the same way, then test subject by
subject on the held-out repetitions of all 40 subjects, inside the pool and outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, check_disjoint, trial_parts


@dataclass(frozen=True)
class PooledParams:
    train_subjects: list[int] = field(metadata={"doc": "the pool the model trains on"})
    train_repetitions: list[int] = field(metadata={"doc": "the pool's training repetitions"})
    test_repetitions: list[int] = field(metadata={"doc": "every subject's test repetitions"})
    val_repetitions: list[int] = field(
        default_factory=list, metadata={"doc": "the pool's repetitions for early stopping"}
    )
    val_fraction: float = field(
        default=0.0,
        metadata={"doc": "else: the last share of every training trial (split in time)"},
    )


@register_protocol("pooled_subjects")
class PooledSubjects(Protocol):
    """One job (fold ``pool``)."""

    name = "pooled_subjects"
    Params = PooledParams

    def check(self, p: PooledParams, where: str) -> None:
        check_disjoint(
            where,
            p.test_repetitions,
            train_repetitions=p.train_repetitions,
            val_repetitions=p.val_repetitions,
        )
        if not 0.0 <= p.val_fraction < 1.0:
            raise ConfigError(f"{where}/val_fraction: a share in [0, 1), got {p.val_fraction}")

    def folds(self, subjects: list[int], params) -> list[str]:
        return ["pool"]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        pool = sorted(set(p.train_subjects) & set(subjects))
        if not pool:
            raise ConfigError(
                f"protocol '{self.name}': none of train_subjects {p.train_subjects} is among "
                f"the run's subjects {subjects}"
            )
        rep = meta["repetition"].to_numpy()
        in_pool = np.isin(meta["subject"].to_numpy(), pool)
        train = in_pool & np.isin(
            rep, [r for r in p.train_repetitions if r not in p.val_repetitions]
        )
        val = in_pool & np.isin(rep, p.val_repetitions)
        if not p.val_repetitions and p.val_fraction:
            early, late = trial_parts(meta, p.val_fraction)
            train, val = train & early, train & late
        idx = meta.index.to_numpy()
        test = np.isin(rep, p.test_repetitions)
        return Split(
            train=idx[train],
            val=idx[val],
            test=idx[test],
            test_subjects=sorted(meta["subject"][test].unique().tolist()),
            info={"train_subjects": pool},
        )
