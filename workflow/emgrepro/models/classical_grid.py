"""The classical grid of Atzori et al. 2016: every classifier on every feature set, fitted
on one subject's training windows, features computed once for all cells.

Used by: atzori2016, ding2018 (DOI 10.3389/fnbot.2016.00009; the features and classifiers follow
Atzori et al. 2014, Scientific Data, DOI 10.1038/sdata.2014.53).

Classifiers: LDA, SVM (RBF), Random Forests, k nearest neighbours (scikit-learn). Feature
sets (``emgrepro.features.classical``): RMS; TD (Hudgins' MAV, WL, ZC, SSC); HIST; mDWT;
and combinations. Each channel is standardised with the training windows' statistics
before any feature (HIST bins are multiples of that sd, ZC/SSC thresholds a share of it);
each cell standardises its feature columns on the training windows, then classifies.

One job computes the whole grid: the features of a subject's windows are computed once,
then each (classifier, feature set) cell is fitted on its columns (``bench/atzori2016_grid.py``
measures this against one job per cell). Every cell is scored; its condition in the
scores is ``<classifier>/<feature set>``. The paper's "average of classical methods" is the
mean over cells, its "best" the cell with the best mean over subjects (chosen in the audit).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emgrepro.errors import ConfigError
from emgrepro.features.classical import SETS, classical_features
from emgrepro.models import EVALUATE, register_model, split_arguments
from emgrepro.models.classical import ClassicalEstimator
from emgrepro.preprocess.table import Subset
from emgrepro.scoring import score_rows

CLASSIFIERS = ("lda", "svm", "random_forest", "knn")
DEFAULT_SETS = ("rms", "td", "hist", "mdwt", "rms+td", "rms+td+hist+mdwt")


def subset_features(data: Subset, mean, sd, sets: list[str], params: dict) -> np.ndarray:
    """Classical features (n, columns) of a subset's windows, each subject's signal
    standardised with ``mean`` and ``sd`` first."""
    table = data.table
    subj = table.meta["subject"].to_numpy()[data.rows]
    local = table.meta["local"].to_numpy()[data.rows]
    out = None
    for s in np.unique(subj):
        pos = np.flatnonzero(subj == s)
        sw = table.subjects[int(s)]
        z = (np.asarray(sw.signal, dtype=np.float32) - mean) / sd  # one copy per subject
        feats = classical_features(z, sw.starts[local[pos]], sw.length, sets, params)
        if out is None:
            out = np.empty((len(data), feats.shape[1]))
        out[pos] = feats
    return out if out is not None else np.zeros((0, 0))


@dataclass(frozen=True)
class ClassicalGridParams:
    """``classifiers`` (of lda, svm, random_forest, knn), ``feature_sets`` (each of rms, td,
    hist, mdwt or a combination joined by "+"), the features' ``threshold`` (ZC/SSC, in
    sd), ``hist_bins`` and ``hist_range_sd``, ``wavelet`` and ``dwt_level``, and each
    classifier's settings (scikit-learn's defaults)."""

    classifiers: list[str] = CLASSIFIERS
    feature_sets: list[str] = DEFAULT_SETS
    threshold: float = 0.01
    hist_bins: int = 20
    hist_range_sd: float = 3.0
    wavelet: str = "db7"
    dwt_level: int = 3
    lda_shrinkage: float | str | None = None
    svm_c: float = 1.0
    svm_gamma: float | str = "scale"
    forest_trees: int = 100
    knn_neighbours: int = 5


@register_model("classical_grid")
class ClassicalGrid(ClassicalEstimator):
    """Parameters: ``ClassicalGridParams``."""

    capabilities = frozenset({EVALUATE})
    defaults = ClassicalGridParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.check_params(dataclasses.asdict(p), type(self).__name__)
        self.classifiers = list(p.classifiers)
        self.feature_sets = {name: name.split("+") for name in p.feature_sets}
        self.feature_params = {
            "threshold": float(p.threshold),
            "bins": int(p.hist_bins),
            "hist_range": float(p.hist_range_sd),
            "wavelet": p.wavelet,
            "level": int(p.dwt_level),
        }
        self.settings = {
            "lda": {"shrinkage": p.lda_shrinkage},
            "svm": {"C": float(p.svm_c), "gamma": p.svm_gamma},
            "random_forest": {"n_estimators": int(p.forest_trees)},
            "knn": {"n_neighbors": int(p.knn_neighbours)},
        }
        self.sets = [s for s in SETS if any(s in v for v in self.feature_sets.values())]
        self.mean = np.zeros(n_chans, np.float32)
        self.sd = np.ones(n_chans, np.float32)
        self.cells: dict[str, object] = {}

    @classmethod
    def check_params(cls, params: dict, where: str) -> None:
        """Names inside the lists: checked at plan time, like every other parameter."""
        p = {**dataclasses.asdict(cls.defaults), **params}
        bad = sorted(set(p["classifiers"]) - set(CLASSIFIERS))
        if bad:
            raise ConfigError(f"{where}/classifiers: unknown {bad}; choose from {CLASSIFIERS}")
        for name in p["feature_sets"]:
            wrong = sorted(set(name.split("+")) - set(SETS))
            if wrong:
                raise ConfigError(
                    f"{where}/feature_sets: '{name}' names {wrong}; combine {SETS} with '+'"
                )

    # -- the grid --------------------------------------------------------------------------
    def _estimator(self, name: str):
        s = self.settings[name]
        if name == "lda":
            solver = "lsqr" if s["shrinkage"] is not None else "svd"
            clf = LinearDiscriminantAnalysis(solver=solver, shrinkage=s["shrinkage"])
        elif name == "svm":
            clf = SVC(kernel="rbf", C=s["C"], gamma=s["gamma"], random_state=self.seed)
        elif name == "random_forest":
            clf = RandomForestClassifier(n_estimators=s["n_estimators"], random_state=self.seed)
        else:
            clf = KNeighborsClassifier(n_neighbors=s["n_neighbors"])
        return make_pipeline(StandardScaler(), clf)

    def _columns(self, feature_set: str) -> np.ndarray:
        """Columns of a feature set within the stacked features of ``self.sets``."""
        widths = {
            "rms": 1,
            "td": 4,
            "hist": self.feature_params["bins"],
            "mdwt": self.feature_params["level"] + 1,
        }
        starts, col = {}, 0
        for s in self.sets:
            starts[s] = col
            col += widths[s] * self.n_chans
        wanted = self.feature_sets[feature_set]
        return np.concatenate(
            [np.arange(starts[s], starts[s] + widths[s] * self.n_chans) for s in wanted]
        )

    def _features(self, data: Subset) -> np.ndarray:
        return subset_features(data, self.mean, self.sd, self.sets, self.feature_params)

    def cell_names(self) -> list[str]:
        return [f"{c}/{f}" for c in self.classifiers for f in self.feature_sets]

    def fit(self, train: Subset, val: Subset | None = None) -> dict:
        self.mean, self.sd = train.channel_stats()
        x = self._features(train)
        self.cells = {}
        for clf in self.classifiers:
            for fs in self.feature_sets:
                self.cells[f"{clf}/{fs}"] = self._estimator(clf).fit(
                    x[:, self._columns(fs)], train.y
                )
        return {"epochs": None, "cells": len(self.cells)}

    def predict(self, data: Subset) -> np.ndarray:
        raise TypeError("classical_grid scores every cell of its grid (see evaluate)")

    def evaluate(self, test: Subset, ids: dict) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """Every cell's scores per test subject (condition ``<classifier>/<feature set>``)."""
        x = self._features(test)
        names = self.cell_names()
        preds = np.stack(
            [self.cells[c].predict(x[:, self._columns(c.split("/")[1])]) for c in names]
        )
        frames = [
            score_rows(test.y, pred, test.subject, {**ids, "condition": cell})
            for cell, pred in zip(names, preds)
        ]
        arrays = {
            "y_true": test.y,
            "y_pred": preds,
            "cells": np.asarray(names),
            "subject": test.subject,
            "classes": np.asarray(test.table.classes),
        }
        return pd.concat(frames, ignore_index=True), arrays

    def state(self) -> dict:
        return {"cells": self.cells, "mean": self.mean, "sd": self.sd}

    def set_state(self, state: dict) -> None:
        self.cells, self.mean, self.sd = state["cells"], state["mean"], state["sd"]
