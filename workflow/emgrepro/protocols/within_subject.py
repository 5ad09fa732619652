"""Within-subject: train and test on one subject, split by repetition (trial).

Used by: baseline, hristov2026.
"""

from __future__ import annotations

import pandas as pd

from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import (
    Protocol,
    RepetitionParams,
    Split,
    check_repetitions,
    repetition_split,
)


@register_protocol("within_subject")
class WithinSubject(Protocol):
    """One job per subject, split by repetition."""

    name = "within_subject"
    Params = RepetitionParams

    def check(self, p: RepetitionParams, where: str) -> None:
        check_repetitions(p, where)

    def folds(self, subjects: list[int], params) -> list[str]:
        return [str(s) for s in subjects]

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return [int(fold)]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        return repetition_split(meta[meta["subject"] == int(fold)], p)
