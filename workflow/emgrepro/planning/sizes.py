"""How many windows each planned job trains, validates and tests on, without the data.

Window counts come from the recording's documented size (registry ``size``: seconds per
movement and per rest, repetitions, movements per exercise) or, for a synthetic twin, from
its scale. The split is the job's own protocol (``split_rows``) run on a window list of
``PER_SEGMENT`` rows per subject, class and repetition, each row then standing for its
share of the real windows: the same code decides the split as in the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from emgrepro.datasets.registry import get_dataset
from emgrepro.datasets.synthetic import twin_module
from emgrepro.errors import ConfigError
from emgrepro.job_plan import JobSpec
from emgrepro.preprocess.windows import ms_to_samples
from emgrepro.protocols import PROTOCOLS

PER_SEGMENT = 10  # rows per (subject, class, repetition) of the stand-in window list


@dataclass(frozen=True)
class Recording:
    """One subject's recording size: what the window count follows."""

    fs: float
    n_chans: int
    movement_s: float  # one movement (one trial)
    rest_s: float  # the rest after each movement (0: none recorded)
    repetitions: tuple[int, ...]
    n_movements: int  # movements of the exercises read

    @property
    def samples(self) -> int:
        per = self.movement_s + self.rest_s
        return int(round(per * self.fs)) * self.n_movements * len(self.repetitions)


@dataclass(frozen=True)
class JobWindows:
    n_train: int
    n_val: int
    n_test: int
    subjects: int  # subjects whose recordings the job reads
    samples: int  # samples (per channel) of those recordings
    n_chans: int
    n_times: int


def recording(job: JobSpec, scale: dict | None = None) -> Recording:
    """The size of one subject's recording for ``job``: the registry's documented size, or
    the twin's ``scale`` (synthetic data)."""
    info = get_dataset(job.dataset)
    size = dict(info.size)
    if not size:
        raise ConfigError(
            f"config/datasets.yaml: dataset '{job.dataset}' has no documented `size` "
            "(movement_s, rest_s); add it to cost a run on it"
        )
    exercises = job.window.get("exercises") or sorted(info.exercises)
    n_mov = sum(info.exercises[e] for e in exercises) if info.exercises else len(info.classes)
    movement_s, rest_s, reps = size["movement_s"], size["rest_s"], info.repetitions
    if scale is not None:
        full = {**getattr(twin_module(info), "TWIN_SCALE", {}), **scale}
        if "n_samples_per_file" in full:
            movement_s = full["n_samples_per_file"] / info.fs
        movement_s = full.get("hold_s", movement_s)
        rest_s = full.get("rest_s", rest_s)
        if full.get("n_repetitions"):
            reps = tuple(range(1, int(full["n_repetitions"]) + 1))
        if full.get("n_movements"):
            n_mov = min(n_mov, int(full["n_movements"]) * len(exercises))
    return Recording(info.fs, info.n_channels, movement_s, rest_s, tuple(reps), n_mov)


def per_segment(rec: Recording, seconds: float, window: dict) -> int:
    """Windows of ``window`` (length_ms, step_ms) in a stretch of ``seconds``."""
    length = ms_to_samples(window["length_ms"], rec.fs)
    step = ms_to_samples(window["step_ms"], rec.fs)
    n = int(round(seconds * rec.fs))
    return max(0, (n - length) // step + 1)


def stand_in(subjects: list[int], classes: list[int], reps: tuple[int, ...]) -> pd.DataFrame:
    """A window list of PER_SEGMENT rows per subject, class and repetition, in time order."""
    grid = [(s, c, r) for s in subjects for r in reps for c in classes]
    rows = np.repeat(np.asarray(grid, dtype=np.int64).reshape(-1, 3), PER_SEGMENT, axis=0)
    meta = pd.DataFrame(rows, columns=["subject", "label", "repetition"])
    meta["local"] = np.tile(np.arange(len(rows) // max(len(subjects), 1)), len(subjects))
    meta["start"] = meta["local"] * 10
    meta["stop"] = meta["start"] + 10
    meta["label_index"] = meta["label"].map({c: i for i, c in enumerate(classes)})
    meta["label_local"] = meta["local"]
    return meta


def job_windows(job: JobSpec, scale: dict | None = None) -> JobWindows:
    """Training, validation and test windows of ``job`` at its data's size."""
    return _cached(
        job.experiment, job.protocol, job.fold, _key(job), _key(scale), _Frozen(job, scale)
    )


class _Frozen:
    """Carries the job past lru_cache (its key is the other arguments)."""

    def __init__(self, job: JobSpec, scale: dict | None) -> None:
        self.job, self.scale = job, scale

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other) -> bool:
        return True


def _key(value) -> str:
    import json

    if isinstance(value, JobSpec):
        value = {k: getattr(value, k) for k in ("classes", "subjects", "protocol_params")}
        value["window"] = value.get("window")
    return json.dumps(value, sort_keys=True, default=str)


@lru_cache(maxsize=4096)
def _cached(experiment, protocol, fold, job_key, scale_key, frozen: _Frozen) -> JobWindows:
    job, scale = frozen.job, frozen.scale
    rec = recording(job, scale)
    window = job.window["window"]
    proto = PROTOCOLS.get(job.protocol)
    params = proto.params(job.protocol_params)
    needed = proto.subjects_needed(job.fold, job.subjects, params)
    parent = job.extra.get("parent")
    n_base = len(parent["classes"]) if parent else None
    meta = stand_in(needed, list(job.classes), rec.repetitions)
    split = proto.split_rows(meta, job.fold, job.subjects, params, job.seed, n_base)
    movement = per_segment(rec, rec.movement_s, window) / PER_SEGMENT
    rest = rec.n_movements * per_segment(rec, rec.rest_s, window) / PER_SEGMENT
    weight = np.where(meta["label"].to_numpy() == 0, rest, movement)

    def count(rows) -> int:
        return int(round(weight[np.asarray(rows, dtype=np.int64)].sum()))

    return JobWindows(
        n_train=count(split.train),
        n_val=count(split.val),
        n_test=count(split.test),
        subjects=len(needed),
        samples=rec.samples * len(needed),
        n_chans=rec.n_chans,
        n_times=ms_to_samples(window["length_ms"], rec.fs),
    )
