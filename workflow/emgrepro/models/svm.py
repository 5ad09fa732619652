"""RBF support-vector machine on the four features (ENT, RMS, VAR, SSI) of every channel:
the classical feature-engineering baseline of Wu et al. 2024 (Table 2, "SVM")."""

from __future__ import annotations

import pickle

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emgrepro.evaluation.data import Subset
from emgrepro.features.window_stats import subset_window_features
from emgrepro.models import register_model


@register_model("svm")
class FeatureSVM:
    """Features of the channel-standardised windows -> z-score -> SVC(kernel="rbf").

    Parameters ``C`` and ``gamma`` of scikit-learn's SVC (defaults 1.0 and "scale": the
    paper gives none).
    """

    uses_gpu = False

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        C: float = 1.0,
        gamma: float | str = "scale",
        seed: int = 0,
        **_: object,
    ) -> None:
        self.n_chans, self.n_outputs, self.n_times = n_chans, n_outputs, n_times
        self.pipeline = make_pipeline(
            StandardScaler(), SVC(C=float(C), gamma=gamma, kernel="rbf", random_state=seed)
        )
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

    def save(self, path) -> None:
        with open(path, "wb") as fh:
            pickle.dump({"pipeline": self.pipeline, "mean": self.mean, "sd": self.sd}, fh)

    def load(self, path) -> None:
        with open(path, "rb") as fh:
            state = pickle.load(fh)
        self.pipeline, self.mean, self.sd = state["pipeline"], state["mean"], state["sd"]
