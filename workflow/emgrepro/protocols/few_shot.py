"""Few-shot transfer to an unseen subject: start from the leave-one-subject-out model,
calibrate on k trials per class of the new subject, test on its held-out trials."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split


def _shots(params: dict) -> list[int]:
    shots = params.get("shots", 1)
    return [int(k) for k in (shots if isinstance(shots, list) else [shots])]


class _FewShot(Protocol):
    curve = False

    def folds(self, subjects: list[int], params: dict) -> list[str]:
        if self.curve:
            return [f"{s}-k{k}" for s in subjects for k in _shots(params)]
        return [str(s) for s in subjects]

    @staticmethod
    def _fold(fold: str, params: dict) -> tuple[int, int]:
        if "-k" in fold:
            subject, k = fold.split("-k")
            return int(subject), int(k)
        return int(fold), _shots(params)[0]

    def subjects_needed(self, fold: str, subjects: list[int], params: dict) -> list[int]:
        return [self._fold(fold, params)[0]]

    def parent(self, fold: str, params: dict) -> dict:
        return {
            "experiment": params.get("base_experiment"),
            "protocol": params.get("base_protocol", "loso"),
            "fold": str(self._fold(fold, params)[0]),
        }

    def split(
        self, meta: pd.DataFrame, fold: str, subjects: list[int], params: dict, seed: int
    ) -> Split:
        subject, k = self._fold(fold, params)
        pool = [int(r) for r in params.get("calibration_repetitions", [1, 2, 3, 4])]
        test_r = [int(r) for r in params.get("test_repetitions", [5, 6])]
        if k > len(pool) or k < 1:
            raise ConfigError(f"{self.name}: k={k} calibration trials, pool has {pool}")
        if set(pool) & set(test_r):
            raise ConfigError(f"{self.name}: calibration and test repetitions overlap")
        mine = meta["subject"].to_numpy() == subject
        rep = meta["repetition"].to_numpy()
        idx = meta.index.to_numpy()
        return Split(
            train=idx[mine & np.isin(rep, pool[:k])],
            val=idx[:0],
            test=idx[mine & np.isin(rep, test_r)],
            test_subjects=[subject],
            info={"condition": f"k={k}", "calibration_repetitions": pool[:k]},
        )

    def train(self, model, train, val, params: dict, n_base: int | None) -> dict:
        if not hasattr(model, "fine_tune"):
            return model.fit(train, None)  # classical models: calibrate = refit on k trials
        ft = params.get("fine_tune", {})
        return model.fine_tune(
            train,
            layers=list(ft.get("layers", ["final_layer"])),
            epochs=int(ft.get("epochs", 20)),
            lr=float(ft.get("lr", 1e-3)),
            restandardise=bool(ft.get("restandardise", True)),
            adapt_batchnorm=bool(ft.get("adapt_batchnorm", True)),
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
