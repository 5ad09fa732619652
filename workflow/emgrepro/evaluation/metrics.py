"""Per-subject scores in tidy long format."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

METRICS = {
    "f1_macro": lambda t, p: f1_score(t, p, average="macro", zero_division=0),
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
}

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


def f1_rows(
    metric: str, y_true: np.ndarray, y_pred: np.ndarray, subject: np.ndarray, ids: dict
) -> pd.DataFrame:
    """Macro F1 per subject under another metric name (e.g. before adaptation)."""
    rows = [
        {
            **ids,
            "subject": int(s),
            "metric": metric,
            "value": float(METRICS["f1_macro"](y_true[subject == s], y_pred[subject == s])),
        }
        for s in np.unique(subject)
    ]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def gather(paths: list[str]) -> pd.DataFrame:
    """Concatenate per-job score files into one table in a deterministic order."""
    frames = [pd.read_csv(p) for p in paths]
    if not frames:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    df = pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]
    keys = [
        "paper",
        "experiment",
        "protocol",
        "model",
        "fold",
        "condition",
        "seed",
        "subject",
        "metric",
    ]
    df["fold"] = df["fold"].astype(str)
    df["condition"] = df["condition"].fillna("").astype(str)
    return df.sort_values(keys, kind="mergesort").reset_index(drop=True)
