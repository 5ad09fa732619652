"""Score rows of one job: per test subject and metric, in the tidy layout (tidy.py).

Low in the layers so that models scoring themselves (``evaluate``) and the job runner
write the same rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from emgrepro.tidy import SCORE_COLUMNS

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


def f1_rows(
    metric: str, y_true: np.ndarray, y_pred: np.ndarray, subject: np.ndarray, ids: dict
) -> pd.DataFrame:
    """Macro F1 per subject under another metric name (e.g. before adaptation)."""
    return metric_rows(metric, METRICS["f1_macro"], y_true, y_pred, subject, ids)


def count_rows(metric: str, value: float, subject: np.ndarray, ids: dict) -> pd.DataFrame:
    """One job-level count (e.g. its training windows) repeated for each test subject."""
    rows = [
        {**ids, "subject": int(s), "metric": metric, "value": float(value)}
        for s in np.unique(subject)
    ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
