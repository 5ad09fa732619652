"""What each published number cost: the compute seconds the run's jobs spent on it (from
their JSON records) and the plan's prediction for the same jobs beside it.

A number's jobs are those of its experiment, protocol and model, and the jobs their models
start from (few-shot and incremental jobs adapt a parent's model). Compute seconds are the
jobs' fit and prediction (``fit_seconds + predict_seconds``); a job whose record names a
GPU counts as GPU-seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.evaluation.audit import NUMBER_KEYS
from emgrepro.job_plan import JobSpec

COLUMNS = [
    *NUMBER_KEYS,
    "jobs",
    "cpu_seconds",
    "gpu_seconds",
    "predicted_seconds",
]


def _id(job: dict) -> tuple:
    return (job["experiment"], job["protocol"], job["model"], str(job["fold"]), int(job["seed"]))


def with_parents(records: list[dict], chosen: list[dict]) -> list[dict]:
    """``chosen`` and, transitively, the records of the jobs their models start from."""
    by_id = {_id(r["job"]): r for r in records}
    out, todo, seen = [], list(chosen), set()
    while todo:
        r = todo.pop()
        key = _id(r["job"])
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
        parent = (r["job"].get("extra") or {}).get("parent")
        if parent:
            pid = (parent["experiment"], parent["protocol"], r["job"]["model"])
            pid += (str(parent["fold"]), int(r["job"]["seed"]))
            if pid in by_id:
                todo.append(by_id[pid])
    return out


def spent(record: dict) -> tuple[float, float]:
    """(CPU-seconds, GPU-seconds) a job's record says it computed for."""
    seconds = float(record.get("fit_seconds") or 0.0) + float(record.get("predict_seconds") or 0.0)
    on_gpu = str(record.get("hardware", "")).startswith("GPU")
    return (0.0, seconds) if on_gpu else (seconds, 0.0)


def cost_per_result(audit: pd.DataFrame, records: list[dict], predict=None) -> pd.DataFrame:
    """One row per published number. ``predict(record) -> seconds or None`` gives the
    plan's compute seconds for a job; None (or no ``predict``): not computed (NaN)."""
    rows = []
    for _, a in audit.iterrows():
        mine = [
            r
            for r in records
            if (r["job"]["experiment"], r["job"]["protocol"], r["job"]["model"])
            == (a["experiment"], a["protocol"], a["model"])
        ]
        jobs = with_parents(records, mine) if mine else []
        cpu = sum(spent(r)[0] for r in jobs)
        gpu = sum(spent(r)[1] for r in jobs)
        guesses = [predict(r) for r in jobs] if predict else []
        known = jobs and predict and all(g is not None for g in guesses)
        rows.append(
            {
                **{k: a.get(k) for k in COLUMNS[:7]},
                "jobs": len(jobs),
                "cpu_seconds": round(cpu, 2) if jobs else np.nan,
                "gpu_seconds": round(gpu, 2) if jobs else np.nan,
                "predicted_seconds": round(sum(guesses), 2) if known else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def planned_predictor(config: dict, calibration: dict, scale: float = 1.0):
    """The plan's compute seconds of a job record (its spec, the run's config for a twin's
    size); None where the calibration does not cover the job's model."""
    from emgrepro.errors import ConfigError
    from emgrepro.planning.cost import job_cost
    from emgrepro.planning.plan import job_scale
    from emgrepro.planning.sizes import job_windows

    FIELDS = set(JobSpec.__dataclass_fields__)

    def predict(record: dict) -> float | None:
        job = JobSpec(**{k: v for k, v in record["job"].items() if k in FIELDS})
        try:
            w = job_windows(job, job_scale(config, job))
            return job_cost(job, w, calibration, scale).seconds
        except ConfigError:
            return None

    return predict
