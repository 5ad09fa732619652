"""What settings a job ran under, and how they differ from its paper's reference settings.

A paper's reference settings are its own file, config/papers/<paper>.yaml, with every
registered subject of its dataset: the full reproduction. A job run with fewer epochs, a
larger window step, fewer subjects, a smaller model or one exercise instead of all of them
differs from it, and its numbers are audited as ``reduced-settings`` with the differences
listed. Seeds, threads and the device are not settings of this kind.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pandas as pd

JOB_KEYS = ["paper", "experiment", "protocol", "model", "fold", "seed"]
JOBS_COLUMNS = [*JOB_KEYS, "data", "n_train", "n_val", "n_test", "differences"]


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], out)
    else:
        out[prefix] = json.dumps(value, sort_keys=True)


def fingerprint(spec: dict) -> dict[str, str]:
    """The job's settings as flat ``key -> JSON value`` pairs."""
    out: dict[str, str] = {}
    _flatten("preprocessing", spec.get("window", {}), out)
    _flatten("protocol", spec.get("protocol_params", {}), out)
    _flatten("model", spec.get("model_params", {}), out)
    _flatten("training", spec.get("training", {}), out)
    out["classes"] = json.dumps(list(spec.get("classes", [])))
    out["subjects"] = json.dumps(sorted(spec.get("subjects", [])))
    return out


def differences(job: dict[str, str], reference: dict[str, str] | None) -> list[str]:
    """Human-readable differences of a job's fingerprint from the reference's."""
    if reference is None:
        return ["an experiment, protocol or model that is not in the paper's own settings"]
    out = []
    for key in sorted(set(job) | set(reference)):
        mine, ref = job.get(key, "(not set)"), reference.get(key, "(not set)")
        if mine == ref:
            continue
        if key == "subjects" and mine != "(not set)" and ref != "(not set)":
            used, every = json.loads(mine), json.loads(ref)
            out.append(f"subjects: {len(used)} of {len(every)} ({', '.join(map(str, used))})")
        else:
            out.append(f"{key}: {_short(mine)} (reference: {_short(ref)})")
    return out


def _short(value: str) -> str:
    """A long list as its ends and length (class lists run to 50 ids)."""
    try:
        items = json.loads(value)
    except (TypeError, ValueError):
        return value
    if isinstance(items, list) and len(items) > 8:
        return f"[{items[0]}, ..., {items[-1]}] ({len(items)} values)"
    return value


@functools.cache
def reference_fingerprints() -> dict[tuple[str, str, str], dict[str, str]]:
    """(experiment, protocol, model) -> fingerprint under every paper's own settings, with
    every registered subject and the official sources."""
    from emgrepro.config import resolve, validate
    from emgrepro.job_plan import jobs

    config = validate(resolve({}))
    return {(j.experiment, j.protocol, j.model): fingerprint(j.to_dict()) for j in jobs(config)}


def jobs_table(infos: list[dict]) -> pd.DataFrame:
    """One row per job: its identity, split sizes and differences from the reference."""
    refs = reference_fingerprints()
    rows = []
    for info in infos:
        spec = info["job"]
        key = (spec["experiment"], spec["protocol"], spec["model"])
        rows.append(
            {
                **{k: spec[k] for k in JOB_KEYS},
                "data": spec.get("data", "real"),
                "n_train": info.get("n_train"),
                "n_val": info.get("n_val"),
                "n_test": info.get("n_test"),
                "differences": json.dumps(differences(fingerprint(spec), refs.get(key))),
            }
        )
    return pd.DataFrame(rows, columns=JOBS_COLUMNS)
