"""Subject by subject after pre-training (Wu et al. 2024): one model per subject, trained
on fewer repetitions where the subject was part of the pre-training pool.

Used by: wu2024. Subjects in ``pretrained_subjects`` (1-25) already gave repetitions 1, 3,
4 to pre-training, so their model is trained on ``pretrained_train_repetitions`` (6) only;
the others (26-40) on ``train_repetitions`` (1, 3, 4, 6). All are tested on
``test_repetitions`` (2, 5). Validation is the last ``val_fraction`` of every training
trial, split in time so that no validation window shares a sample with a training window.

Two optional curves make one job per (subject, condition):

* ``fractions``: percentages of the training part actually used (its first p %), the
  data-efficiency experiment;
* ``ahead_ms``: each window is paired with the label of the window that many ms later in
  the subject's list of windows (the authors' forward-in-time pairing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, check_disjoint, trial_parts

if TYPE_CHECKING:
    from emgrepro.preprocess.table import WindowTable


@dataclass(frozen=True)
class TransferParams:
    train_repetitions: list[int] = field(metadata={"doc": "training repetitions (new subjects)"})
    test_repetitions: list[int] = field(metadata={"doc": "test repetitions (every subject)"})
    pretrained_subjects: list[int] = field(
        default_factory=list, metadata={"doc": "subjects that gave data to pre-training"}
    )
    pretrained_train_repetitions: list[int] = field(
        default_factory=list, metadata={"doc": "training repetitions of those subjects"}
    )
    val_fraction: float = field(
        default=0.2, metadata={"doc": "last share of every training trial, for early stopping"}
    )
    fractions: list[int] = field(
        default_factory=list, metadata={"doc": "percent of the training part used (a curve)"}
    )
    ahead_ms: list[int] = field(
        default_factory=list, metadata={"doc": "label taken this many ms later (a curve)"}
    )


@register_protocol("subject_transfer")
class SubjectTransfer(Protocol):
    name = "subject_transfer"
    Params = TransferParams

    def check(self, p: TransferParams, where: str) -> None:
        check_disjoint(
            where,
            p.test_repetitions,
            train_repetitions=p.train_repetitions,
            pretrained_train_repetitions=p.pretrained_train_repetitions,
        )
        if p.pretrained_subjects and not p.pretrained_train_repetitions:
            raise ConfigError(f"{where}: pretrained_subjects needs pretrained_train_repetitions")
        if p.fractions and p.ahead_ms:
            raise ConfigError(f"{where}: give either `fractions` or `ahead_ms`, not both")
        bad = [f for f in p.fractions if not 0 < f <= 100]
        if bad:
            raise ConfigError(f"{where}/fractions: percentages in (0, 100], got {bad}")
        if any(a < 0 for a in p.ahead_ms):
            raise ConfigError(f"{where}/ahead_ms: leads are 0 ms or more, got {p.ahead_ms}")
        if not 0.0 <= p.val_fraction < 1.0:
            raise ConfigError(f"{where}/val_fraction: a share in [0, 1), got {p.val_fraction}")

    @staticmethod
    def _curve(p: TransferParams) -> tuple[str, list[int]]:
        if p.fractions:
            return "f", list(p.fractions)
        if p.ahead_ms:
            return "a", list(p.ahead_ms)
        return "", []

    def folds(self, subjects: list[int], params) -> list[str]:
        kind, values = self._curve(self.params(params))
        if kind:
            return [f"{s}-{kind}{v}" for s in subjects for v in values]
        return [str(s) for s in subjects]

    @staticmethod
    def _fold(fold: str) -> tuple[int, str, int]:
        subject, _, rest = fold.partition("-")
        return int(subject), rest[:1], int(rest[1:]) if rest else 0

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return [self._fold(fold)[0]]

    def settings(self, fold: str, params) -> dict:
        _, kind, value = self._fold(fold)
        key = {"f": "fraction_percent", "a": "ahead_ms"}.get(kind)
        return {key: value} if key else {}

    def prepare(self, table: WindowTable, fold: str, params) -> WindowTable:
        _, kind, value = self._fold(fold)
        if kind != "a":
            return table
        if not table.step:
            raise ConfigError(f"{self.name}: the windows do not record their step")
        step_ms = table.step * 1000.0 / table.fs
        shift = value / step_ms
        if abs(shift - round(shift)) > 1e-6:
            raise ConfigError(
                f"{self.name}: ahead_ms {value} is not a multiple of the {step_ms:g} ms step"
            )
        return table.shifted(int(round(shift)))

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        subject, kind, value = self._fold(fold)
        pretrained = subject in set(p.pretrained_subjects)
        train_r = p.pretrained_train_repetitions if pretrained else p.train_repetitions
        fraction = value / 100.0 if kind == "f" else 1.0
        mine = meta[meta["subject"] == subject]
        rep = mine["repetition"].to_numpy()
        in_train = np.isin(rep, train_r)
        early, late = trial_parts(mine, p.val_fraction, fraction)
        idx = mine.index.to_numpy()
        condition = {"f": f"fraction={value}%", "a": f"ahead={value} ms"}.get(kind, "")
        return Split(
            train=idx[in_train & early],
            val=idx[in_train & late],
            test=idx[np.isin(rep, p.test_repetitions)],
            test_subjects=[subject],
            info={
                "condition": condition,
                "group": "pretrained" if pretrained else "new",
                "train_repetitions": list(train_r),
            },
        )
