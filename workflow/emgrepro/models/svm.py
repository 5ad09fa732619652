"""RBF support-vector machine on the four features (ENT, RMS, VAR, SSI) of every channel:
the classical feature-engineering baseline of Wu et al. 2024 (Table 2, "SVM").

Used by: wu2024. DOI 10.48550/arXiv.2405.19356.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emgrepro.features.window_stats import subset_window_features
from emgrepro.models import register_model, split_arguments
from emgrepro.models.classical import ClassicalEstimator
from emgrepro.preprocess.table import Subset


@dataclass(frozen=True)
class FeatureSVMParams:
    """``C`` and ``gamma`` of scikit-learn's SVC (its defaults: the paper gives none)."""

    C: float = 1.0
    gamma: float | str = "scale"


@register_model("svm")
class FeatureSVM(ClassicalEstimator):
    """Features of the channel-standardised windows -> z-score -> SVC(kernel="rbf").
    Parameters: ``FeatureSVMParams``."""

    defaults = FeatureSVMParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        super().__init__(n_chans, n_outputs, n_times, **common)
        svc = SVC(C=float(p.C), gamma=p.gamma, kernel="rbf", random_state=self.seed)
        self.pipeline = make_pipeline(StandardScaler(), svc)
        self.mean = np.zeros(n_chans, np.float32)
        self.sd = np.ones(n_chans, np.float32)

    def _x(self, data: Subset) -> np.ndarray:
        return subset_window_features(data, self.mean, self.sd).reshape(len(data), -1)

    def fit(self, train: Subset, val: Subset | None = None) -> dict:
        self.mean, self.sd = train.channel_stats()
        self.pipeline.fit(self._x(train), train.y)
        return {"epochs": None}

    def predict(self, data: Subset) -> np.ndarray:
        return self.pipeline.predict(self._x(data))

    def state(self) -> dict:
        return {"pipeline": self.pipeline, "mean": self.mean, "sd": self.sd}

    def set_state(self, state: dict) -> None:
        self.pipeline, self.mean, self.sd = state["pipeline"], state["mean"], state["sd"]
