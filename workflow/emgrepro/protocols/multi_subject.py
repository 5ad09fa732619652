"""Multi-subject: one model on every subject's training repetitions, tested per subject."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, repetition_split


@register_protocol("multi_subject")
class MultiSubject(Protocol):
    """A single pooled job (fold ``pooled``); the repetition split as ``within_subject``."""

    name = "multi_subject"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        return ["pooled"]

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        return repetition_split(meta, params, self.name)


@register_protocol("multi_subject_window_split")
class MultiSubjectWindowSplit(Protocol):
    """Leaky on purpose: windows drawn at random into train and test, so overlapping
    windows share samples across the split. Shown only to measure how much that inflates
    the score; never use it as a result."""

    name = "multi_subject_window_split"
    leaky = True

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        return ["pooled"]

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(meta))
        n_test = int(round(len(idx) * float(params.get("test_fraction", 0.33))))
        n_val = int(round(len(idx) * float(params.get("val_fraction", 0.1))))
        return Split(
            train=np.sort(idx[n_test + n_val :]),
            val=np.sort(idx[n_test : n_test + n_val]),
            test=np.sort(idx[:n_test]),
            test_subjects=sorted(meta["subject"].unique().tolist()),
            info={"leaky": True},
        )
