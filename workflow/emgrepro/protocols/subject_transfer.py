"""Subject by subject after pre-training (Wu et al. 2024): one model per subject, trained
on fewer repetitions where the subject was part of the pre-training pool.

Subjects in ``pretrained_subjects`` (1-25) already gave repetitions 1, 3, 4 to
pre-training, so their model is trained on ``pretrained_train_repetitions`` (6) only; the
others (26-40) on ``train_repetitions`` (1, 3, 4, 6). All are tested on
``test_repetitions`` (2, 5). Validation is the last ``val_fraction`` of every training
trial, split in time so that no validation window shares a sample with a training window.

Two optional curves make one job per (subject, condition):

* ``fractions``: percentages of the training part actually used (its first p %), the
  data-efficiency experiment;
* ``ahead_ms``: each window is paired with the label of the window that many ms later in
  the subject's list of windows (the authors' forward-in-time pairing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, repetitions, trial_parts

if TYPE_CHECKING:
    from emgrepro.evaluation.data import WindowTable


def _curve(params: dict) -> tuple[str, list[int]]:
    fractions, ahead = params.get("fractions"), params.get("ahead_ms")
    if fractions and ahead:
        raise ConfigError("subject_transfer: give either `fractions` or `ahead_ms`, not both")
    if fractions:
        return "f", [int(f) for f in fractions]
    if ahead:
        return "a", [int(a) for a in ahead]
    return "", []


@register_protocol("subject_transfer")
class SubjectTransfer(Protocol):
    name = "subject_transfer"

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        kind, values = _curve(params)
        if kind:
            return [f"{s}-{kind}{v}" for s in subjects for v in values]
        return [str(s) for s in subjects]

    @staticmethod
    def _fold(fold: str) -> tuple[int, str, int]:
        subject, _, rest = fold.partition("-")
        return int(subject), rest[:1], int(rest[1:]) if rest else 0

    def subjects_needed(self, fold: str, subjects: list[int], params: dict) -> list[int]:
        return [self._fold(fold)[0]]

    def prepare(self, table: WindowTable, fold: str, params: dict) -> None:
        _, kind, value = self._fold(fold)
        if kind == "a":
            if not table.step:
                raise ConfigError(f"{self.name}: the windows do not record their step")
            step_ms = table.step * 1000.0 / table.fs
            shift = value / step_ms
            if abs(shift - round(shift)) > 1e-6:
                raise ConfigError(
                    f"{self.name}: ahead_ms {value} is not a multiple of the {step_ms:g} ms step"
                )
            table.shift_labels(int(round(shift)))

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        subject, kind, value = self._fold(fold)
        pretrained = {int(s) for s in params.get("pretrained_subjects", [])}
        key = "pretrained_train_repetitions" if subject in pretrained else "train_repetitions"
        train_r = repetitions(params, key, self.name)
        test_r = repetitions(params, "test_repetitions", self.name)
        if set(train_r) & set(test_r):
            raise ConfigError(f"protocol '{self.name}': repetitions {train_r} vs {test_r}")
        fraction = value / 100.0 if kind == "f" else 1.0
        if not 0 < fraction <= 1:
            raise ConfigError(f"{self.name}: fractions are percentages in (0, 100]")
        mine = meta[meta["subject"] == subject]
        rep = mine["repetition"].to_numpy()
        in_train = np.isin(rep, train_r)
        early, late = trial_parts(mine, float(params.get("val_fraction", 0.2)), fraction)
        idx = mine.index.to_numpy()
        condition = {"f": f"fraction={value}%", "a": f"ahead={value} ms"}.get(kind, "")
        return Split(
            train=idx[in_train & early],
            val=idx[in_train & late],
            test=idx[np.isin(rep, test_r)],
            test_subjects=[subject],
            info={
                "condition": condition,
                "group": "pretrained" if subject in pretrained else "new",
                "train_repetitions": train_r,
            },
        )
