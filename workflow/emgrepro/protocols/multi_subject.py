"""Multi-subject: one model on every subject's training repetitions, tested per subject;
and its leaky twin, which draws windows at random into train and test.

Used by: baseline, hristov2026.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import (
    Protocol,
    RepetitionParams,
    Split,
    check_repetitions,
    repetition_split,
)


@register_protocol("multi_subject")
class MultiSubject(Protocol):
    """A single pooled job (fold ``pooled``); the repetition split as ``within_subject``."""

    name = "multi_subject"
    Params = RepetitionParams

    def check(self, p: RepetitionParams, where: str) -> None:
        check_repetitions(p, where)

    def folds(self, subjects: list[int], params) -> list[str]:
        return ["pooled"]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        return repetition_split(meta, self.params(params))


@dataclass(frozen=True)
class WindowSplitParams:
    test_fraction: float = field(default=0.33, metadata={"doc": "share of windows tested"})
    val_fraction: float = field(default=0.1, metadata={"doc": "share of windows validated"})


@register_protocol("multi_subject_window_split")
class MultiSubjectWindowSplit(Protocol):
    """Leaky on purpose: windows drawn at random into train and test, so overlapping
    windows share samples across the split. Shown only to measure how much that inflates
    the score; never use it as a result."""

    name = "multi_subject_window_split"
    leaky = True
    Params = WindowSplitParams

    def folds(self, subjects: list[int], params) -> list[str]:
        return ["pooled"]

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(meta))
        n_test = int(round(len(idx) * p.test_fraction))
        n_val = int(round(len(idx) * p.val_fraction))
        return Split(
            train=np.sort(idx[n_test + n_val :]),
            val=np.sort(idx[n_test : n_test + n_val]),
            test=np.sort(idx[:n_test]),
            test_subjects=sorted(meta["subject"].unique().tolist()),
            info={"leaky": True},
        )
