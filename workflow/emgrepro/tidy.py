"""Column sets of the pipeline's tidy tables, and the per-subject score rows: one place
every layer can read them from (a protocol that scores in stages builds its own rows)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

SCORE_COLUMNS = [
    "paper",
    "experiment",
    "dataset",
    "protocol",
    "model",
    "subject",
    "fold",
    "condition",
    "seed",
    "n_classes",
    "data",
    "metric",
    "value",
]

TIMING_COLUMNS = [
    "paper",
    "experiment",
    "dataset",
    "protocol",
    "model",
    "fold",
    "seed",
    "condition",
    "data",
    "n_classes",
    "stage",
    "epochs_run",
    "epochs_to_converge",
    "seconds_per_epoch",
    "windows_per_second",
    "fit_seconds",
    "n_train",
    "hardware",
]

METRICS = {
    "f1_macro": lambda t, p: f1_score(t, p, average="macro", zero_division=0),
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
}


def score_rows(
    y_true: np.ndarray, y_pred: np.ndarray, subject: np.ndarray, ids: dict
) -> pd.DataFrame:
    """One row per (test subject, metric); ``ids`` fills the identifying columns."""
    rows = []
    for s in np.unique(subject):
        m = subject == s
        for name, fn in METRICS.items():
            rows.append(
                {**ids, "subject": int(s), "metric": name, "value": float(fn(y_true[m], y_pred[m]))}
            )
        rows.append({**ids, "subject": int(s), "metric": "n_test_windows", "value": float(m.sum())})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def metric_rows(
    metric: str,
    fn: Callable,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    subject: np.ndarray,
    ids: dict,
) -> pd.DataFrame:
    """``fn(y_true, y_pred)`` per subject under the name ``metric``."""
    rows = [
        {
            **ids,
            "subject": int(s),
            "metric": metric,
            "value": float(fn(y_true[subject == s], y_pred[subject == s])),
        }
        for s in np.unique(subject)
    ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
