"""Within-subject: train and test on one subject, split by repetition (trial).

Used by: baseline, hristov2026, atzori2016, zhai2017, ding2018.

Optionally (``val_fraction``) the last share of every training trial is held out in time
for early stopping, as ``subject_transfer`` does, and (``subjects``) only some subjects of
the run get a job (Zhai 2017 leaves out the DB3 amputee whose data could not be learnt).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import (
    Protocol,
    RepetitionParams,
    Split,
    check_repetitions,
    repetition_split,
    trial_parts,
)


@dataclass(frozen=True)
class WithinParams(RepetitionParams):
    val_fraction: float = field(
        default=0.0,
        metadata={"doc": "last share of every training trial, for early stopping (0: none)"},
    )
    subjects: list[int] = field(
        default_factory=list,
        metadata={"doc": "only these subjects get a job (empty: every subject of the run)"},
    )


@register_protocol("within_subject")
class WithinSubject(Protocol):
    """One job per subject, split by repetition."""

    name = "within_subject"
    Params = WithinParams

    def check(self, p: WithinParams, where: str) -> None:
        check_repetitions(p, where)
        if not 0.0 <= p.val_fraction < 1.0:
            raise ConfigError(f"{where}/val_fraction: a share in [0, 1), got {p.val_fraction}")
        if any(s < 1 for s in p.subjects):
            raise ConfigError(f"{where}/subjects: subject ids are positive, got {p.subjects}")

    def folds(self, subjects: list[int], params) -> list[str]:
        p = self.params(params)
        return [str(s) for s in subjects if not p.subjects or s in p.subjects]

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return [int(fold)]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        mine = meta[meta["subject"] == int(fold)]
        out = repetition_split(mine, p)
        if p.val_fraction > 0:
            train_r = [r for r in p.train_repetitions if r not in p.val_repetitions]
            in_train = np.isin(mine["repetition"].to_numpy(), train_r)
            early, late = trial_parts(mine, p.val_fraction)
            idx = mine.index.to_numpy()
            out.train = idx[in_train & early]
            out.val = np.sort(np.concatenate([out.val, idx[in_train & late]]))
        return out
