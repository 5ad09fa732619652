"""Per-subject scores in tidy long format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.tidy import METRICS, SCORE_COLUMNS, TIMING_COLUMNS, metric_rows, score_rows

# METRICS, score_rows and metric_rows live in emgrepro.tidy (every layer builds score rows
# with them, a protocol that scores in stages too) and are part of this module's interface.
__all__ = [
    "METRICS",
    "count_rows",
    "f1_rows",
    "gather",
    "gather_timings",
    "job_infos",
    "metric_rows",
    "score_rows",
    "timing_rows",
    "timing_scores",
]


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


def timing_rows(info: dict) -> list[dict]:
    """Per training stage of one job: epochs run, the epoch validation chose (epochs to
    converge), mean seconds per epoch and training throughput, and the hardware."""
    job = info["job"]
    stages: dict[str, list[dict]] = {}
    for record in info.get("history", [])[info.get("history_start", 0) :]:
        if "seconds" in record:
            stages.setdefault(record["stage"], []).append(record)
    fit = info.get("fit") or {}
    rows = []
    for stage, records in stages.items():
        seconds = float(np.mean([r["seconds"] for r in records]))
        windows = float(np.mean([r.get("n_train", 0) for r in records]))
        rows.append(
            {
                **{k: job[k] for k in ("paper", "experiment", "dataset", "protocol", "model")},
                "fold": str(job["fold"]),
                "seed": job["seed"],
                "condition": (info.get("split") or {}).get("condition", ""),
                "data": job.get("data", "real"),
                "n_classes": len(job["classes"]),
                "stage": stage,
                "epochs_run": len(records),
                "epochs_to_converge": fit.get("best_epoch") or len(records),
                "seconds_per_epoch": seconds,
                "windows_per_second": windows / seconds if seconds > 0 else np.nan,
                "fit_seconds": info.get("fit_seconds"),
                "n_train": info.get("n_train"),
                "hardware": info.get("hardware", ""),
            }
        )
    return rows


def job_infos(score_paths: list[str]) -> list[dict]:
    """The JSON record beside each job's scores."""
    import json
    from pathlib import Path

    return [json.loads(Path(p).with_suffix(".json").read_text()) for p in score_paths]


def gather_timings(score_paths: list[str]) -> pd.DataFrame:
    """Training times of every gradient-trained job, read from the jobs' JSON records.

    Kept apart from the scores: timings differ from run to run, scores must not.
    """
    rows = []
    for info in job_infos(score_paths):
        rows += timing_rows(info)
    df = pd.DataFrame(rows, columns=TIMING_COLUMNS)
    return df.sort_values(["paper", "experiment", "protocol", "model", "fold", "seed", "stage"])


def timing_scores(timings: pd.DataFrame) -> pd.DataFrame:
    """Timings as score rows, one per job, so the audit can set them beside published
    training times: ``epochs`` and ``epoch_seconds`` of the ``fit`` stage, ``train_seconds``
    (the whole initial training of the job) and, for models recalibrated between testing
    sessions, ``recalibration_seconds`` (the mean time of one recalibration)."""
    if timings.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    t = timings[timings["stage"] == "fit"]
    parts = []
    for metric, col in (
        ("epochs", "epochs_to_converge"),
        ("epoch_seconds", "seconds_per_epoch"),
        ("train_seconds", "fit_seconds"),
    ):
        parts.append(t.assign(metric=metric, value=t[col].astype(float), subject=t["fold"]))
    r = timings[timings["stage"] == "recalibrate"]
    value = r["seconds_per_epoch"].astype(float)  # one "epoch" of this stage: one update
    parts.append(r.assign(metric="recalibration_seconds", value=value, subject=r["fold"]))
    out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=SCORE_COLUMNS)
