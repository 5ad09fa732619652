"""The synthetic twin of the Khushaba 2-channel data (reader ``khushaba``): one CSV file
per (movement, trial) in the real text form, folders ``EMG-S<n>``.

Each movement has a per-channel amplitude and an AR(2) resonator colour; each subject
perturbs them, mixes its two channels and has its own gains and DC offsets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emgrepro.datasets import khushaba
from emgrepro.datasets.registry import DatasetInfo
from emgrepro.datasets.synthetic import resonator_noise, slow_envelope, stream
from emgrepro.datasets.twin_marker import mark_csv

CODE = 1  # the dataset's code in the generator's seed sequence
TWIN_SCALE: dict[str, Any] = {"n_samples_per_file": 4000}
MODEL = dict(subj_amp=0.55, subj_freq=0.25, mix=0.35, gain=0.35, trial_amp=0.16, trial_freq=0.05)


def member_name(info: DatasetInfo, subject: int, canonical: str, scale: dict) -> str:
    return f"EMG-S{subject}/" + canonical.split("/", 1)[1]


def twin_files(info: DatasetInfo, subject: int, seed: int, scale: dict) -> dict[str, bytes]:
    """The subject's 60 CSV files, by canonical path."""
    n = int(scale["n_samples_per_file"])
    if n < 1:
        raise ValueError(f"scale.n_samples_per_file must be >= 1, got {n}")
    return _subject(seed, info, subject, n)


def khushaba_csv_bytes(x: np.ndarray) -> bytes:
    """Two columns in the real files' text form: ``1.200843e-003,-2.919414e-004`` CRLF.

    C's ``%e`` writes 2-digit exponents; the real files have 3 (MATLAB on Windows).
    """
    x = np.array(x, dtype=np.float64)
    x[np.abs(x) < 1e-90] = 0.0  # keep every exponent at two digits before widening it
    if not np.all(np.abs(x) < 1e99):
        raise ValueError("values must be finite and below 1e99 to be written")
    text = ("%.6e,%.6e\r\n" * x.shape[0]) % tuple(x.ravel())
    return text.replace("e-", "e-0").replace("e+", "e+0").encode("ascii")


def _population(seed: int, info: DatasetInfo) -> dict[str, np.ndarray]:
    rng = stream(seed, CODE, 0)
    n_cls = len(info.classes)
    return {
        "amp": np.exp(rng.uniform(np.log(1e-4), np.log(1.2e-3), size=(n_cls, 2))),
        "freq": rng.uniform(40.0, 220.0, size=(n_cls, 2)),
    }


def _subject(seed: int, info: DatasetInfo, subject: int, n_samples: int) -> dict[str, bytes]:
    m = MODEL
    pop = _population(seed, info)
    rng = stream(seed, CODE, 1, subject)
    amp = pop["amp"] * np.exp(m["subj_amp"] * rng.standard_normal(pop["amp"].shape))
    freq = pop["freq"] * np.exp(m["subj_freq"] * rng.standard_normal(pop["freq"].shape))
    mix = np.eye(2) + m["mix"] * rng.standard_normal((2, 2))
    gain = np.exp(m["gain"] * rng.standard_normal(2))
    dc = rng.normal(0.0, 1.5e-5, size=2)
    floor = np.exp(rng.uniform(np.log(8e-6), np.log(2.5e-5), size=2))
    out = {}
    for rel, cls, trial in khushaba.file_plan(info, subject):
        trng = stream(seed, CODE, 2, subject, cls, trial)
        c = cls - 1
        t_amp = amp[c] * np.exp(m["trial_amp"] * trng.standard_normal(2))
        t_freq = freq[c] * np.exp(m["trial_freq"] * trng.standard_normal(2))
        src = np.stack(
            [
                t_amp[ch]
                * slow_envelope(trng, n_samples, info.fs, 0.1)
                * resonator_noise(trng, n_samples, t_freq[ch], info.fs)
                for ch in range(2)
            ],
            axis=1,
        )
        noise = floor * np.stack(
            [resonator_noise(trng, n_samples, 300.0, info.fs, r=0.5) for _ in range(2)], axis=1
        )
        x = (src * gain) @ mix.T + noise + dc
        out[rel] = mark_csv(khushaba_csv_bytes(x[1:]))  # the marker is the first sample
    return out
