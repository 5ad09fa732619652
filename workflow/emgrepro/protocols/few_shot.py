"""Few-shot transfer to an unseen subject: start from the leave-one-subject-out model,
calibrate on k trials per class of the new subject, test on its held-out trials.

Used by: hristov2026.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.models import FINE_TUNE, capabilities
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, check_disjoint


@dataclass(frozen=True)
class FineTuneParams:
    """What adapts to the new subject (models that can fine-tune; others are refitted)."""

    layers: list[str] = field(
        default_factory=lambda: ["final_layer"],
        metadata={"doc": "parameter-name prefixes that train; all others stay frozen"},
    )
    epochs: int = field(default=20, metadata={"doc": "epochs over the calibration trials"})
    lr: float = field(default=1e-3, metadata={"doc": "learning rate"})
    restandardise: bool = field(
        default=True, metadata={"doc": "channel statistics from the calibration trials"}
    )
    adapt_batchnorm: bool = field(
        default=True, metadata={"doc": "batch-norm running statistics follow the new subject"}
    )


@dataclass(frozen=True)
class FewShotParams:
    shots: int | list[int] = field(
        default=1, metadata={"doc": "calibration trials per class (a list: the curve)"}
    )
    calibration_repetitions: list[int] = field(
        default_factory=lambda: [1, 2, 3, 4],
        metadata={"doc": "the new subject's trials calibration draws from, in order"},
    )
    test_repetitions: list[int] = field(
        default_factory=lambda: [5, 6], metadata={"doc": "the new subject's test trials"}
    )
    base_experiment: str | None = field(
        default=None, metadata={"doc": "experiment of the model it starts from (None: same)"}
    )
    base_protocol: str = field(default="loso", metadata={"doc": "protocol of that model"})
    fine_tune: FineTuneParams = field(default_factory=FineTuneParams)

    @property
    def shot_list(self) -> list[int]:
        return list(self.shots) if isinstance(self.shots, list) else [int(self.shots)]


class _FewShot(Protocol):
    Params = FewShotParams
    curve = False

    def check(self, p: FewShotParams, where: str) -> None:
        check_disjoint(where, p.test_repetitions, calibration_repetitions=p.calibration_repetitions)
        bad = [k for k in p.shot_list if not 1 <= k <= len(p.calibration_repetitions)]
        if bad:
            raise ConfigError(
                f"{where}/shots: {bad} calibration trials; the pool "
                f"{p.calibration_repetitions} holds 1 to {len(p.calibration_repetitions)}"
            )
        if not self.curve and len(p.shot_list) != 1:
            raise ConfigError(f"{where}/shots: one value (few_shot_curve takes a list)")

    def folds(self, subjects: list[int], params) -> list[str]:
        p = self.params(params)
        if self.curve:
            return [f"{s}-k{k}" for s in subjects for k in p.shot_list]
        return [str(s) for s in subjects]

    def _fold(self, fold: str, p: FewShotParams) -> tuple[int, int]:
        if "-k" in fold:
            subject, k = fold.split("-k")
            return int(subject), int(k)
        return int(fold), p.shot_list[0]

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return [self._fold(fold, self.params(params))[0]]

    def parent(self, fold: str, params) -> dict:
        p = self.params(params)
        return {
            "experiment": p.base_experiment,
            "protocol": p.base_protocol,
            "fold": str(self._fold(fold, p)[0]),
        }

    def settings(self, fold: str, params) -> dict:
        return {"shots": self._fold(fold, self.params(params))[1]}

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        subject, k = self._fold(fold, p)
        pool = p.calibration_repetitions
        mine = meta["subject"].to_numpy() == subject
        rep = meta["repetition"].to_numpy()
        idx = meta.index.to_numpy()
        return Split(
            train=idx[mine & np.isin(rep, pool[:k])],
            val=idx[:0],
            test=idx[mine & np.isin(rep, p.test_repetitions)],
            test_subjects=[subject],
            info={"condition": f"k={k}", "calibration_repetitions": pool[:k]},
        )

    def train(self, model, train, val, params, n_base: int | None) -> dict:
        p = self.params(params)
        if FINE_TUNE not in capabilities(model):
            return model.fit(train, None)  # classical models: calibrate = refit on k trials
        ft = p.fine_tune
        return model.fine_tune(
            train,
            layers=list(ft.layers),
            epochs=ft.epochs,
            lr=ft.lr,
            restandardise=ft.restandardise,
            adapt_batchnorm=ft.adapt_batchnorm,
        )


@register_protocol("few_shot")
class FewShot(_FewShot):
    """One job per unseen subject with ``shots`` calibration trials per class."""

    name = "few_shot"


@register_protocol("few_shot_curve")
class FewShotCurve(_FewShot):
    """One job per (unseen subject, k) for k in ``shots`` (a list): the few-shot curve."""

    name = "few_shot_curve"
    curve = True


@register_protocol("few_shot_window_split")
class FewShotWindowSplit(_FewShot):
    """Leaky on purpose: as ``few_shot``, but the calibration windows are drawn at random
    from all of the new subject's trials (as many as k of its trials hold) and the test
    windows are the rest, so overlapping windows of one trial fall on both sides. Shown
    only to measure how much that inflates the score; never audited as the paper's
    protocol."""

    name = "few_shot_window_split"
    leaky = True

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        subject, k = self._fold(fold, p)
        trials = [*p.calibration_repetitions, *p.test_repetitions]
        mine = meta.index.to_numpy()[
            (meta["subject"].to_numpy() == subject) & np.isin(meta["repetition"], trials)
        ]
        rng = np.random.default_rng(seed)
        drawn = rng.permutation(mine)
        n_cal = int(round(mine.size * k / len(trials)))
        return Split(
            train=np.sort(drawn[:n_cal]),
            val=mine[:0],
            test=np.sort(drawn[n_cal:]),
            test_subjects=[subject],
            info={"condition": f"k={k}", "leaky": True},
        )
