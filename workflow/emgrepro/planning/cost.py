"""Seconds, memory and device of each planned job, from the calibration's measured figures.

A model variant's calibration holds the seconds of one fit (one epoch for a network) and
one prediction pass over ``windows`` windows of shape ``n_chans x n_times``. A job's cost
scales them by its window counts (to the power ``exponent``, measured between two sizes:
1 for a network's epoch, above 1 for an SVM) and linearly by the samples per window
(``n_chans x n_times``), beyond the fit's measured fixed part (once per job). A network's
training costs its epochs: ``max_epochs`` without validation windows, else between
``patience + 1`` and ``max_epochs`` (early stopping decides; the estimate is the middle);
a job that adapts its parent's model (few-shot, incremental) costs its adaptation epochs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from emgrepro.errors import ConfigError
from emgrepro.job_plan import JobSpec
from emgrepro.models import MODELS
from emgrepro.planning.sizes import JobWindows
from emgrepro.protocols import PROTOCOLS


def variant_key(job: JobSpec) -> str:
    """A model variant: the model, its hyper-parameters and batch size (what an epoch's
    cost depends on beyond the data's size)."""
    blob = json.dumps([job.model, job.model_params, job.training.get("batch_size")], sort_keys=True)
    return f"{job.model}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class JobCost:
    paper: str
    model: str
    gpu: bool  # a PyTorch job: on a GPU where the run has one
    seconds: float  # expected compute seconds on the calibration machine
    low: float  # early stopping at its earliest
    high: float  # every epoch run
    memory_mb: float
    calibrated: str  # "exact", or what the figures come from instead


def epochs(job: JobSpec, n_val: int) -> tuple[float, float, bool]:
    """(fewest, most) training epochs of a network job, and whether it adapts a parent."""
    proto = PROTOCOLS.get(job.protocol)
    params = proto.params(job.protocol_params)
    if job.extra.get("parent"):
        n = int(getattr(getattr(params, "fine_tune", params), "epochs", 1))
        return n, n, True
    most = int(job.training.get("max_epochs", 1))
    if n_val <= 0:
        return most, most, False
    return min(int(job.training.get("patience", most)) + 1, most), most, False


def _scaled(seconds: float, windows: int, n: int, exponent: float, ratio: float) -> float:
    """``seconds`` measured on ``windows`` windows, for ``n`` windows ``ratio`` times larger."""
    if n <= 0:
        return 0.0
    return seconds * (n / windows) ** exponent * ratio


def _entry(job: JobSpec, calibration: dict) -> tuple[dict, str]:
    models = calibration["models"]
    key = variant_key(job)
    entry = models.get(key)
    if entry and "error" not in entry:
        return entry, "exact"
    others = [e for e in models.values() if e["model"] == job.model and "error" not in e]
    if not others:
        why = f" ({entry['error']})" if entry else ""
        raise ConfigError(
            f"model '{job.model}' ({key}) is not in the cost calibration{why}; "
            "measure it with `python bench/calibrate_cost.py`"
        )
    return others[0], "other hyper-parameters"


def job_memory_mb(m: dict, w: JobWindows, batch_size: int) -> float:
    """The variant's measured peak, less the constructed windows and the batch it held
    then, plus the recordings the job reads (float32) and the batch the job holds (its
    memory per window scaled by the samples per window, as the activations are)."""
    per_window = m.get("batch_mb_per_window", 0.0)
    held = min(batch_size, m["windows"]) if batch_size else 0
    base = max(0.0, m["peak_rss_mb"] - m.get("data_mb", 0.0) - per_window * held)
    job_batch = min(batch_size, w.n_train) if batch_size else 0
    ratio = (w.n_times * w.n_chans) / (m["n_times"] * m["n_chans"])
    return base + w.samples * w.n_chans * 4 / 2**20 + per_window * ratio * job_batch


def job_cost(job: JobSpec, w: JobWindows, calibration: dict, scale: float = 1.0) -> JobCost:
    """The job's compute seconds (times ``scale``: this machine against the calibration's)
    and peak memory."""
    m, how = _entry(job, calibration)
    ratio = (w.n_times * w.n_chans) / (m["n_times"] * m["n_chans"])
    fit, pred, n, p = m["train_s"], m["predict_s"], m["windows"], m["exponent"]
    fixed = m.get("fixed_s", 0.0)  # once per job: building the model, the first batch
    fit -= fixed
    test = _scaled(pred, n, w.n_test, 1.0, ratio)
    gpu = bool(MODELS.get(job.model).uses_gpu)
    if gpu:
        fewest, most, adapts = epochs(job, w.n_val)
        epoch = _scaled(fit, n, w.n_train, p, ratio) + _scaled(pred, n, w.n_val, 1.0, ratio)
        if adapts:  # some layers only: between a forward pass and a full epoch
            low = most * _scaled(pred, n, w.n_train, 1.0, ratio) + test
            high = most * epoch + test
        else:
            low, high = fewest * epoch + test, most * epoch + test
        recal = getattr(
            PROTOCOLS.get(job.protocol).params(job.protocol_params), "fine_tune_epochs", 0
        )
        extra = recal * _scaled(fit, n, w.n_test, p, ratio)
        low, high = low + extra + fixed, high + extra + fixed
    else:
        low = high = (
            fixed
            + _scaled(fit, n, w.n_train, p, ratio)
            + _scaled(pred, n, w.n_val, 1.0, ratio)
            + test
        )
    memory = job_memory_mb(m, w, int(job.training.get("batch_size", 0) or 0))
    return JobCost(
        paper=job.paper,
        model=job.model,
        gpu=gpu,
        seconds=scale * (low + high) / 2,
        low=scale * low,
        high=scale * high,
        memory_mb=memory,
        calibrated=how,
    )
