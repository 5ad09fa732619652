"""RBF support-vector machine on the spectrogram-PCA input of Zhai, Jelfs, Chan, Tin 2017
(Front. Neurosci. 11:379), the classical comparison of their recalibrating CNN.
DOI 10.3389/fnins.2017.00379.

Used by: zhai2017.

The input is the CNN's (``zhai_cnn``): per channel, the percentile-normalised spectrogram of
the 200 ms window reduced by PCA to 25 components (fitted on the training windows only),
flattened to 12 x 25 = 300 values. The paper used LIBSVM with an RBF kernel and chose
(C, gamma) by 4-fold cross-validation; here scikit-learn's SVC (LIBSVM inside) with
``GridSearchCV`` over ``C_grid`` x ``gamma_grid`` on the training windows only.

Our choices (not in the paper): the spectrogram's decibels are normalised (as
``zhai_cnn``); the grids; the 300 values are z-scored (fitted on the
training windows, inside the cross-validated pipeline) before the RBF kernel; the
cross-validation folds are ``StratifiedKFold(cv_folds)`` without shuffling, so each fold
is a stretch of the recording; class scores for the correction rules are the softmax of
the one-vs-rest decision values (their argmax is the prediction; LIBSVM's probability
estimates would refit the machine five more times). Recalibration refits the machine with
the (C, gamma) chosen at training on the windows and labels it is given; the percentiles,
the PCA and the chosen (C, gamma) stay as they are.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emgrepro.errors import ConfigError
from emgrepro.features.spectrogram import N_FREQ, NFFT, NOVERLAP, SpectrogramInputs
from emgrepro.models import RECALIBRATE, register_model, split_arguments
from emgrepro.models.classical import ClassicalEstimator
from emgrepro.preprocess.table import Subset


@dataclass(frozen=True)
class SpectrogramParams:
    """The spectrogram-PCA input of both Zhai models: ``nfft``, ``noverlap``, ``n_freq``
    (frequencies kept), ``n_components`` (a square: the grid), ``percentiles`` of the
    [0, 1] mapping and ``intensity`` (``"db"``: our choice). Declared here, not in
    ``zhai_cnn``, so that an SVM job never imports torch."""

    nfft: int = NFFT
    noverlap: int = NOVERLAP
    n_freq: int = N_FREQ
    n_components: int = 25
    percentiles: tuple[float, float] = (1.0, 99.0)
    intensity: Literal["power", "db"] = "db"


def spectrogram_inputs(p: SpectrogramParams, fs: float | None, n_times: int) -> SpectrogramInputs:
    """The (unfitted) input of windows of ``n_times`` samples at ``fs`` (2 kHz if unknown)."""
    return SpectrogramInputs(
        fs or 2000.0,
        n_times,
        p.nfft,
        p.noverlap,
        p.n_freq,
        p.n_components,
        tuple(p.percentiles),
        p.intensity,
    )


@dataclass(frozen=True)
class SVMSearch:
    """The (C, gamma) grid searched (our choice) and the paper's ``cv_folds``."""

    C_grid: list[float] = (0.1, 1.0, 10.0, 100.0)
    gamma_grid: list[float] = (0.0001, 0.001, 0.01, 0.1)
    cv_folds: int = 4


@dataclass(frozen=True)
class ZhaiSVMParams(SpectrogramParams, SVMSearch):
    """The search, then the input. A dataclass takes its bases' fields from the last base
    to the first: listing the input first keeps the parameters' order as it always was."""


@register_model("zhai_svm")
class ZhaiSVM(ClassicalEstimator):
    """Spectrogram PCA -> z-score -> SVC(kernel="rbf"), (C, gamma) by k-fold CV.

    Parameters: ``ZhaiSVMParams`` (the input as ``zhai_cnn``'s).
    """

    capabilities = frozenset({RECALIBRATE})
    defaults = ZhaiSVMParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.check_params(dataclasses.asdict(p), type(self).__name__)
        self.grid = {
            "svc__C": [float(c) for c in p.C_grid],
            "svc__gamma": [float(g) for g in p.gamma_grid],
        }
        self.cv_folds = int(p.cv_folds)
        self.inputs = spectrogram_inputs(p, self.fs, n_times)
        self.best_params: dict = {}
        self.pipeline: Pipeline | None = None

    @classmethod
    def check_params(cls, params: dict, where: str) -> None:
        """At plan time: a cross-validated search needs two folds or more."""
        folds = params.get("cv_folds", cls.defaults.cv_folds)
        if folds < 2:
            raise ConfigError(f"{where}/cv_folds: {folds} must be 2 or more (k-fold search)")

    def _pipeline(self, **params) -> Pipeline:
        svc = SVC(kernel="rbf", decision_function_shape="ovr", random_state=self.seed)
        return Pipeline([("scale", StandardScaler()), ("svc", svc)]).set_params(**params)

    def _x(self, data: Subset) -> np.ndarray:
        return self.inputs.transform(data).reshape(len(data), -1)

    def fit(self, train: Subset, val: Subset | None = None) -> dict:
        """Fit the input on ``train``, choose (C, gamma) by cross-validation on ``train``,
        refit on all of it (``val`` is not used)."""
        t0 = time.perf_counter()
        self.inputs.fit(train)
        x, y = self._x(train), train.y
        search = GridSearchCV(
            self._pipeline(), self.grid, cv=StratifiedKFold(self.cv_folds), n_jobs=1
        )
        search.fit(x, y)
        self.best_params = dict(search.best_params_)
        self.pipeline = search.best_estimator_
        self.history.append(
            {"stage": "fit", "epoch": 1, "seconds": time.perf_counter() - t0, "n_train": len(y)}
        )
        return {
            "epochs": None,
            "C": self.best_params["svc__C"],
            "gamma": self.best_params["svc__gamma"],
            "cv_accuracy": float(search.best_score_),
        }

    def class_scores(self, data: Subset) -> np.ndarray:
        """Softmax of the one-vs-rest decision values, (n, n_outputs); classes absent from
        the training windows score 0."""
        d = np.asarray(self.pipeline.decision_function(self._x(data)), dtype=np.float64)
        classes = self.pipeline.named_steps["svc"].classes_
        if d.ndim == 1:  # two classes: one decision value, positive for classes_[1]
            d = np.stack([-d, d], axis=1)
        d = d - d.max(axis=1, keepdims=True)
        p = np.exp(d)
        out = np.zeros((len(data), self.n_outputs))
        out[:, classes] = p / p.sum(axis=1, keepdims=True)
        return out

    def predict(self, data: Subset) -> np.ndarray:
        return self.pipeline.predict(self._x(data))

    def recalibrate(self, data: Subset, *, epochs: int = 0, lr: float = 0.0) -> dict:
        """Refit the machine, with the (C, gamma) chosen at training, on ``data`` and its
        labels ``data.y`` (``epochs`` and ``lr`` do not apply). Labels of a single class
        cannot train a machine: the model is then kept as it is."""
        y = data.y
        if np.unique(y).size < 2:
            return {"refit": False, "reason": "one class only"}
        pipeline = self._pipeline(**self.best_params)
        pipeline.fit(self._x(data), y)
        self.pipeline = pipeline
        return {"refit": True}

    def state(self) -> dict:
        return {
            "pipeline": self.pipeline,
            "best_params": self.best_params,
            "spectrogram_pca": self.inputs.state_dict(),
        }

    def set_state(self, state: dict) -> None:
        self.pipeline, self.best_params = state["pipeline"], state["best_params"]
        self.inputs.load_state_dict(state["spectrogram_pca"])
