"""Time-domain features with linear discriminant analysis: the classical baseline.

Hudgins et al., "A new strategy for multifunction myoelectric control", IEEE TBME 1993;
Englehart & Hudgins, IEEE TBME 2003 (MAV, WL, ZC, SSC with LDA; RMS added).

Used by: baseline, hristov2026. DOI 10.1109/10.204774.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emgrepro.features.time_domain import td_features
from emgrepro.models import register_model, split_arguments
from emgrepro.models.classical import ClassicalEstimator
from emgrepro.preprocess.table import Subset


def subset_features(data: Subset, threshold: float, batch_size: int = 4096) -> np.ndarray:
    """Features of every window in ``data``, computed one batch at a time."""
    parts = [td_features(x, threshold) for x, _ in data.batches(batch_size)]
    if not parts:
        return np.zeros((0, 5 * data.table.n_chans), dtype=np.float32)
    return np.concatenate(parts)


@dataclass(frozen=True)
class TDLDAParams:
    """``threshold`` for ZC/SSC in units of the training signal's sd, ``solver`` and
    ``shrinkage`` of scikit-learn's LDA (its defaults)."""

    threshold: float = 0.01
    solver: str = "svd"
    shrinkage: float | str | None = None


@register_model("td_lda")
class TDLDA(ClassicalEstimator):
    """MAV, WL, ZC, SSC, RMS per channel -> standardisation -> LDA. Parameters:
    ``TDLDAParams``."""

    defaults = TDLDAParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.threshold = float(p.threshold)
        self.pipeline = make_pipeline(
            StandardScaler(), LinearDiscriminantAnalysis(solver=p.solver, shrinkage=p.shrinkage)
        )
        self._abs_threshold = 0.0

    def fit(self, train: Subset, val: Subset | None = None) -> dict:
        _, sd = train.channel_stats()
        # One threshold for all channels, relative to the training signal's scale.
        self._abs_threshold = self.threshold * float(np.mean(sd))
        self.pipeline.fit(subset_features(train, self._abs_threshold), train.y)
        return {"epochs": None}

    def predict(self, data: Subset) -> np.ndarray:
        return self.pipeline.predict(subset_features(data, self._abs_threshold))

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        """Classes of raw windows (n, channels, samples): the inference path alone."""
        return self.pipeline.predict(td_features(windows, self._abs_threshold))

    def inference_macs(self) -> int:
        """Arithmetic per window: about 8 operations per sample and channel for the five
        features, then a (5 C) x K projection."""
        return 8 * self.n_chans * self.n_times + 5 * self.n_chans * self.n_outputs

    def inference_parameters(self) -> int:
        lda = self.pipeline[-1]
        return int(sum(np.size(v) for v in vars(lda).values() if isinstance(v, np.ndarray)))

    def state(self) -> dict:
        return {"pipeline": self.pipeline, "threshold": self._abs_threshold}

    def set_state(self, state: dict) -> None:
        self.pipeline, self._abs_threshold = state["pipeline"], state["threshold"]
