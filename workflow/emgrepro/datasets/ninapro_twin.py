"""The synthetic twins of Ninapro DB1, DB2 and DB3 (reader ``ninapro``): one MATLAB 5
file per exercise with the real keys, dtypes and T x 1 label vectors, in the real
archives' folders.

Movements are sparse mixtures of muscle synergies; the Ninapro protocol (rest, then each
movement repeated with rests between) gives ``stimulus`` (the cue) and ``restimulus`` (the
actual, shifted movement). DB1 stores an Otto Bock-like rectified, smoothed envelope at
100 Hz; DB2 and DB3 raw Delsys-like sEMG at 2 kHz.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import scipy.io
from scipy.signal import lfilter

from emgrepro.datasets import ninapro
from emgrepro.datasets.registry import DatasetInfo
from emgrepro.datasets.synthetic import resonator_noise, slow_envelope, stream
from emgrepro.datasets.twin_marker import MAT_HEADER_TEXT, MAT_VARIABLE
from emgrepro.errors import ConfigError

CODES = {"ninapro_db1": 2, "ninapro_db2": 3, "ninapro_db3": 4}  # seed-sequence codes
TWIN_SCALE: dict[str, Any] = {
    "hold_s": 1.0,
    "rest_s": 0.6,
    "n_repetitions": None,  # None: the registry's repetitions
    "exercises": [1],
    "n_movements": None,  # None: every movement of the exercise
    "alias_subjects": [],  # DB3 only: write these subjects' files as S<n>_E<k>_A1.mat.mat
    # Slow, steady change of the class patterns across repetitions (sessions): repetition r
    # of a movement has its per-channel pattern multiplied by exp(drift * (r - 1) * d), d a
    # fixed unit-rms direction per subject and movement (log scale). 0: stationary.
    "drift": 0.0,
}
# Archive folder of one subject, as in the real downloads.
FOLDERS = {
    "ninapro_db1": "s{subject}",
    "ninapro_db2": "DB2_s{subject}",
    "ninapro_db3": "s{subject}_0",
}
# Population / subject / trial variability: subj_amp, how far a subject moves the class
# patterns (log scale); mix, electrode cross-talk; trial_amp, repetition jitter.
MODEL = {
    "ninapro_db1": dict(subj_amp=0.45, mix=0.4, gain=0.35, trial_amp=0.35, cocontraction=0.5),
    "ninapro_db2": dict(subj_amp=0.45, mix=0.4, gain=0.35, trial_amp=0.35, cocontraction=0.5),
    "ninapro_db3": dict(subj_amp=0.6, mix=0.5, gain=0.45, trial_amp=0.5, cocontraction=0.8),
}


def member_name(info: DatasetInfo, subject: int, canonical: str, scale: dict) -> str:
    base = canonical
    if info.id == "ninapro_db3" and subject in set(scale.get("alias_subjects") or []):
        base = ninapro.aliases(base)[0]
    return FOLDERS[info.id].format(subject=subject) + "/" + base


def twin_files(info: DatasetInfo, subject: int, seed: int, scale: dict) -> dict[str, bytes]:
    """The subject's exercise files, by canonical path."""
    return _subject(seed, info, subject, scale)


def _timeline(
    rng: np.random.Generator,
    fs: float,
    moves: list[int],
    n_reps: int,
    hold_s: float,
    rest_s: float,
) -> tuple[int, list[tuple[int, int, int, int, int, int]]]:
    """Ninapro protocol: rest, then per movement n_reps x (hold, rest).

    Returns the length and (move, rep, stim_start, stim_stop, re_start, re_stop) per hold:
    ``stimulus`` marks the cue, ``restimulus`` the (shifted, jittered) actual movement.
    """
    hold, rest = max(int(round(hold_s * fs)), 2), max(int(round(rest_s * fs)), 2)
    events, t = [], rest
    for mv in moves:
        for rep in range(1, n_reps + 1):
            on = t + int(rng.integers(0, max(hold // 8, 1)))
            off = t + hold + int(rng.integers(-(hold // 8), max(rest // 4, 1)))
            off = max(off, on + 1)
            events.append((mv, rep, t, t + hold, on, off))
            t += hold + rest
    return t, events


def _ramp(length: int, width: int) -> np.ndarray:
    """0..1 activation of one movement with smooth onset/offset (muscles ramp, not jump),
    ``width`` samples of padding on each side."""
    kernel = np.hanning(max(width, 3))
    kernel /= kernel.sum()
    box = np.zeros(length + 2 * width)
    box[width : width + length] = 1.0
    return np.convolve(box, kernel, mode="same")


def _population(seed: int, info: DatasetInfo) -> np.ndarray:
    """Per global movement id (row 0 unused) a per-channel activation pattern.

    Movements are sparse mixtures of a few muscle synergies, so related movements
    share channels (as real ones do) instead of being trivially separable.
    """
    rng = stream(seed, CODES[info.id], 0)
    n_moves = sum(info.exercises.values())
    n_syn = 6
    synergies = np.exp(rng.normal(-1.0, 1.0, size=(n_syn, info.n_channels)))
    weights = rng.gamma(0.6, 1.0, size=(n_moves + 1, n_syn))
    pattern = weights @ synergies / n_syn
    pattern *= np.exp(rng.normal(0.0, 0.3, size=pattern.shape))
    return np.clip(pattern / np.median(pattern), 0.02, 8.0) * 0.15


def _drift_directions(
    seed: int, info: DatasetInfo, subject: int, shape: tuple[int, int], drift: float
) -> np.ndarray | None:
    """Per movement, the log-scale change of its channel pattern per repetition
    (``drift`` times a unit-rms direction), from its own stream; None when drift is 0, so
    that a stationary twin draws exactly what it drew before the option existed."""
    if drift < 0:
        raise ConfigError(f"scale.drift must be 0 or more, not {drift}")
    if drift == 0:
        return None
    d = stream(seed, CODES[info.id], 3, subject).standard_normal(shape)
    d /= np.sqrt(np.mean(d * d, axis=1, keepdims=True))
    return drift * d


def _circular_mix(rng: np.random.Generator, n_ch: int, strength: float) -> np.ndarray:
    """Electrodes sit around the forearm: a subject's placement blends neighbours."""
    w = np.abs(rng.normal(0.0, strength, size=3)) * np.array([1.0, 0.0, 1.0])
    mat = np.eye(n_ch)
    for i in range(n_ch):
        mat[i, (i - 1) % n_ch] += w[0]
        mat[i, (i + 1) % n_ch] += w[2]
    shift = int(rng.integers(-1, 2))
    return np.roll(mat, shift, axis=1)


def _file(seed: int, info: DatasetInfo, subject: int, exercise: int, sc: dict[str, Any]) -> bytes:
    m = MODEL[info.id]
    fs, n_ch = info.fs, info.n_channels
    offset = ninapro.label_offsets(info)[exercise]
    n_all = info.exercises[exercise]
    n_moves = n_all if sc["n_movements"] is None else min(int(sc["n_movements"]), n_all)
    n_reps = int(sc["n_repetitions"] or len(info.repetitions))
    moves = list(range(1, n_moves + 1))

    pop = _population(seed, info)
    srng = stream(seed, CODES[info.id], 1, subject)
    subj_pattern = pop * np.exp(m["subj_amp"] * srng.standard_normal(pop.shape))
    mix = _circular_mix(srng, n_ch, m["mix"])
    gain = np.exp(m["gain"] * srng.standard_normal(n_ch))
    rest_level = np.exp(srng.uniform(np.log(0.004), np.log(0.04), size=n_ch))
    centre = srng.uniform(60.0, 160.0, size=n_ch)

    drift = _drift_directions(seed, info, subject, pop.shape, float(sc["drift"]))
    rng = stream(seed, CODES[info.id], 2, subject, exercise)
    n, events = _timeline(rng, fs, moves, n_reps, sc["hold_s"], sc["rest_s"])
    stim, restim = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    rep, rerep = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    drive = np.tile(rest_level, (n, 1))
    width = max(int(0.15 * fs), 3)
    for mv, r, s0, s1, on, off in events:
        stim[s0:s1], rep[s0:s1] = mv, r
        restim[on:off], rerep[on:off] = mv, r
        a, b = max(on - width, 0), min(off + width, n)
        act = _ramp(off - on, width)[a - (on - width) : b - (on - width)]
        level = subj_pattern[offset + mv] * np.exp(m["trial_amp"] * rng.standard_normal(n_ch))
        if drift is not None:  # no draw and no change at all when drift is 0
            level = level * np.exp(drift[offset + mv] * (r - 1))
        level = level + m["cocontraction"] * rng.uniform() * level.mean()
        wobble = np.stack([slow_envelope(rng, b - a, fs, 0.15) for _ in range(n_ch)], axis=1)
        drive[a:b] += act[:, None] * level * wobble
    drive = (drive * gain) @ mix.T

    if info.id == "ninapro_db1":
        # Otto Bock electrodes output a rectified, RMS-smoothed envelope sampled at 100 Hz,
        # stored quantised (5 V / 2048, rounded to 4 decimals) as in the real files.
        win = 20
        power = lfilter(
            np.ones(win) / win, [1.0], rng.standard_normal((n + win, n_ch)) ** 2, axis=0
        )[win:]
        emg = np.clip(0.5 * drive * np.sqrt(power), 0.0, 4.9)
        emg = np.round(np.round(emg / (5.0 / 2048)) * (5.0 / 2048), 4)
    else:
        # Delsys raw sEMG in volts (~1e-5..1e-4), quantised to a 16-bit ADC step.
        carrier = np.stack([resonator_noise(rng, n, centre[ch], fs) for ch in range(n_ch)], axis=1)
        emg = 1e-4 * drive * carrier + rng.normal(0.0, 1.5e-6, size=(n, n_ch))
        lsb = 11e-3 / 32768
        emg = np.round(emg / lsb) * lsb

    col = lambda a: a.reshape(-1, 1)  # noqa: E731 - labels are stored as T x 1
    zeros32 = lambda k: np.zeros((n, k), np.float32)  # noqa: E731 - placeholder sensors
    scalar = lambda v: np.array([[v]], np.uint8)  # noqa: E731
    if info.id == "ninapro_db1":
        mat = {
            "emg": emg, "stimulus": col(stim), "glove": zeros32(22),
            "subject": scalar(subject), "exercise": scalar(exercise),
            "repetition": col(rep), "restimulus": col(restim), "rerepetition": col(rerep),
        }  # fmt: skip
    else:
        mat = {
            "subject": scalar(subject), "exercise": scalar(exercise),
            "acc": zeros32(36), "emg": emg,
        }  # fmt: skip
        if exercise == 3:  # exercise D (force patterns) has force sensors instead
            mat.update(
                force=zeros32(6), forcecal=np.zeros((2, 6), np.float32), activation=zeros32(6)
            )
        else:
            mat.update(glove=zeros32(22), inclin=zeros32(2))
        mat.update(
            stimulus=col(stim), repetition=col(rep), restimulus=col(restim), rerepetition=col(rerep)
        )
    return _mat_bytes(mat, info.id)


def _mat_bytes(variables: dict[str, np.ndarray], dataset_id: str) -> bytes:
    """MATLAB 5 compressed .mat bytes with a fixed header (scipy stamps the time)."""
    buf = io.BytesIO()
    variables = {**variables, MAT_VARIABLE: np.array(f"emgrepro synthetic twin of {dataset_id}")}
    scipy.io.savemat(buf, variables, format="5", do_compression=True, oned_as="column")
    data = bytearray(buf.getvalue())
    header = f"MATLAB 5.0 MAT-file, Platform: {MAT_HEADER_TEXT.decode()} of {dataset_id}"
    data[:116] = header.encode("ascii").ljust(116)[:116]
    return bytes(data)


def _subject(seed: int, info: DatasetInfo, subject: int, sc: dict[str, Any]) -> dict[str, bytes]:
    exercises = [int(e) for e in sc["exercises"]]
    unknown = sorted(set(exercises) - set(info.exercises))
    if unknown:
        raise ConfigError(f"scale.exercises {unknown} not in {info.id} {sorted(info.exercises)}")
    rels = ninapro.required_files(info, subject, exercises)
    return {rel: _file(seed, info, subject, ex, sc) for rel, ex in zip(rels, exercises)}
