"""Per-subject scores in tidy long format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.tidy import SCORE_COLUMNS, TIMING_COLUMNS


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
                "predict_seconds": info.get("predict_seconds"),
                "n_train": info.get("n_train"),
                "hardware": info.get("hardware", ""),
            }
        )
    return rows


def job_infos(record_paths: list[str]) -> list[dict]:
    """Each job's JSON record."""
    import json
    from pathlib import Path

    return [json.loads(Path(p).read_text()) for p in record_paths]


def gather_timings(infos: list[dict]) -> pd.DataFrame:
    """Training times of every gradient-trained job, read from the jobs' JSON records.

    Kept apart from the scores: timings differ from run to run, scores must not.
    """
    rows = []
    for info in infos:
        rows += timing_rows(info)
    df = pd.DataFrame(rows, columns=TIMING_COLUMNS)
    return df.sort_values(["paper", "experiment", "protocol", "model", "fold", "seed", "stage"])


def timing_scores(timings: pd.DataFrame) -> pd.DataFrame:
    """Timings as score rows, one per job, so the audit can set them beside published
    times: ``epochs`` and ``epoch_seconds`` of the ``fit`` stage, ``train_seconds`` (the
    whole initial training), ``test_seconds`` (scoring) and, for models recalibrated
    between testing sessions, ``recalibration_seconds`` (the mean time of one update)."""
    if timings.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    t = timings[timings["stage"] == "fit"]
    parts = []
    columns = {
        "epochs": "epochs_to_converge",
        "epoch_seconds": "seconds_per_epoch",
        "train_seconds": "fit_seconds",
        "test_seconds": "predict_seconds",
    }
    for metric, col in columns.items():
        parts.append(t.assign(metric=metric, value=t[col].astype(float), subject=t["fold"]))
    r = timings[timings["stage"] == "recalibrate"]
    value = r["seconds_per_epoch"].astype(float)  # one "epoch" of this stage: one update
    parts.append(r.assign(metric="recalibration_seconds", value=value, subject=r["fold"]))
    out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=SCORE_COLUMNS)
