"""Within-subject: train and test on one subject, split by repetition (trial)."""

from __future__ import annotations

import pandas as pd

from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, repetition_split


@register_protocol("within_subject")
class WithinSubject(Protocol):
    """One job per subject; parameters ``train_repetitions``, ``val_repetitions``,
    ``test_repetitions``."""

    name = "within_subject"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        return [str(s) for s in subjects]

    def subjects_needed(self, fold: str, subjects: list[int], params: dict) -> list[int]:
        return [int(fold)]

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        return repetition_split(meta[meta["subject"] == int(fold)], params, self.name)
