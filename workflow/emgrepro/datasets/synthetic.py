"""Synthetic twins: small, seeded stand-ins written in each data set's exact raw format.

They let the demo and the tests run the whole pipeline (fetch from an archive, checksum,
read, train, evaluate) without the real recordings. A twin archive is laid out like the
real distribution, its files use the real text / MATLAB formats, keys and dtypes, and the
signals carry learnable class structure with subject-specific differences:

* every class (movement) has a per-channel amplitude pattern and a spectral colour
  (AR(2) resonator centre frequency), shared by the population;
* every subject perturbs those patterns, mixes its channels (electrode placement) and
  has its own gains, so a classifier trained on other subjects does clearly worse;
* every trial / repetition jitters amplitude and colour; rest is low-level noise.

Same ``dataset_id``, subjects, seed and scale give byte-identical archives.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from scipy.signal import lfilter

from emgrepro.datasets import khushaba, ninapro
from emgrepro.datasets.registry import DatasetInfo, get_dataset
from emgrepro.errors import ConfigError

_CODES = {"khushaba_2ch": 1, "ninapro_db1": 2, "ninapro_db2": 3, "ninapro_db3": 4}
_ZIP_DATE = (2014, 7, 28, 11, 54, 14)  # fixed member time: archives must be reproducible

KHUSHABA_DEFAULTS: dict[str, Any] = {"n_samples_per_file": 4000}
NINAPRO_DEFAULTS: dict[str, Any] = {
    "hold_s": 1.0,
    "rest_s": 0.6,
    "n_repetitions": None,  # None: the registry's repetitions
    "exercises": [1],
    "n_movements": None,  # None: every movement of the exercise
    "alias_subjects": [],  # DB3 only: write these subjects' files as S<n>_E<k>_A1.mat.mat
}

# Archive folder of one subject, per data set (as in the real downloads).
_FOLDERS = {
    "khushaba_2ch": "EMG-S{subject}",
    "ninapro_db1": "s{subject}",
    "ninapro_db2": "DB2_s{subject}",
    "ninapro_db3": "s{subject}_0",
}

# Population / subject / trial variability of the generative model, per data set.
# subj_amp / subj_freq: how far a subject moves the class patterns (log scale);
# mix: electrode cross-talk; trial_amp: repetition-to-repetition amplitude jitter.
_MODEL = {
    "khushaba_2ch": dict(
        subj_amp=0.55, subj_freq=0.25, mix=0.35, gain=0.35, trial_amp=0.16, trial_freq=0.05
    ),
    "ninapro_db1": dict(subj_amp=0.45, mix=0.4, gain=0.35, trial_amp=0.35, cocontraction=0.5),
    "ninapro_db2": dict(subj_amp=0.45, mix=0.4, gain=0.35, trial_amp=0.35, cocontraction=0.5),
    "ninapro_db3": dict(subj_amp=0.6, mix=0.5, gain=0.45, trial_amp=0.5, cocontraction=0.8),
}


def twin_subjects(dataset_id: str, n: int) -> list[int]:
    """The first ``n`` registered subject ids, so twins use ids the readers accept."""
    subjects = list(get_dataset(dataset_id).subjects)
    if not 1 <= n <= len(subjects):
        raise ConfigError(f"{dataset_id} has {len(subjects)} subjects; cannot take {n}")
    return subjects[:n]


def _rng(seed: int, dataset_id: str, *keys: int) -> np.random.Generator:
    """Independent stream per (seed, data set, role, ...): adding a subject never
    changes another subject's data."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _CODES[dataset_id], *keys]))


def _resolve_scale(dataset_id: str, scale: dict[str, Any] | None) -> dict[str, Any]:
    defaults = KHUSHABA_DEFAULTS if dataset_id == "khushaba_2ch" else NINAPRO_DEFAULTS
    scale = dict(scale or {})
    unknown = sorted(set(scale) - set(defaults))
    if unknown:
        raise ConfigError(
            f"unknown scale option(s) {unknown} for the {dataset_id} twin; "
            f"valid: {sorted(defaults)}"
        )
    return {**defaults, **scale}


def _resonator_noise(
    rng: np.random.Generator, n: int, freq: float, fs: float, r: float = 0.93
) -> np.ndarray:
    """Unit-RMS noise coloured by an AR(2) resonator at ``freq`` (EMG-like band)."""
    w = 2 * np.pi * min(freq, 0.45 * fs) / fs
    white = rng.standard_normal(n + 200)
    x = lfilter([1.0, -1.0], [1.0, -2 * r * np.cos(w), r * r], white)[200:]
    return x / np.sqrt(np.mean(x * x))


def _slow_envelope(rng: np.random.Generator, n: int, fs: float, depth: float) -> np.ndarray:
    """1 + slow (a few Hz at most) random modulation: force is never perfectly steady."""
    step = max(int(fs / 4), 1)  # a random knot every 0.25 s, linearly interpolated
    knots = rng.standard_normal(n // step + 2)
    env = np.interp(np.arange(n) / step, np.arange(knots.size), knots)
    return np.clip(1.0 + depth * env, 0.2, None)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- Khushaba


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


def _khushaba_population(seed: int, info: DatasetInfo) -> dict[str, np.ndarray]:
    rng = _rng(seed, info.id, 0)
    n_cls = len(info.classes)
    return {
        "amp": np.exp(rng.uniform(np.log(1e-4), np.log(1.2e-3), size=(n_cls, 2))),
        "freq": rng.uniform(40.0, 220.0, size=(n_cls, 2)),
    }


def _khushaba_subject(
    seed: int, info: DatasetInfo, subject: int, n_samples: int
) -> dict[str, bytes]:
    m = _MODEL[info.id]
    pop = _khushaba_population(seed, info)
    rng = _rng(seed, info.id, 1, subject)
    amp = pop["amp"] * np.exp(m["subj_amp"] * rng.standard_normal(pop["amp"].shape))
    freq = pop["freq"] * np.exp(m["subj_freq"] * rng.standard_normal(pop["freq"].shape))
    mix = np.eye(2) + m["mix"] * rng.standard_normal((2, 2))
    gain = np.exp(m["gain"] * rng.standard_normal(2))
    dc = rng.normal(0.0, 1.5e-5, size=2)
    floor = np.exp(rng.uniform(np.log(8e-6), np.log(2.5e-5), size=2))
    out = {}
    for rel, cls, trial in khushaba.file_plan(info, subject):
        trng = _rng(seed, info.id, 2, subject, cls, trial)
        c = cls - 1
        t_amp = amp[c] * np.exp(m["trial_amp"] * trng.standard_normal(2))
        t_freq = freq[c] * np.exp(m["trial_freq"] * trng.standard_normal(2))
        src = np.stack(
            [
                t_amp[ch]
                * _slow_envelope(trng, n_samples, info.fs, 0.1)
                * _resonator_noise(trng, n_samples, t_freq[ch], info.fs)
                for ch in range(2)
            ],
            axis=1,
        )
        noise = floor * np.stack(
            [_resonator_noise(trng, n_samples, 300.0, info.fs, r=0.5) for _ in range(2)], axis=1
        )
        x = (src * gain) @ mix.T + noise + dc
        out[rel] = khushaba_csv_bytes(x)
    return out


# ----------------------------------------------------------------------------- Ninapro


def _ninapro_timeline(
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


def _ninapro_population(seed: int, info: DatasetInfo) -> np.ndarray:
    """Per global movement id (row 0 unused) a per-channel activation pattern.

    Movements are sparse mixtures of a few muscle synergies, so related movements
    share channels (as real ones do) instead of being trivially separable.
    """
    rng = _rng(seed, info.id, 0)
    n_moves = sum(info.exercises.values())
    n_syn = 6
    synergies = np.exp(rng.normal(-1.0, 1.0, size=(n_syn, info.n_channels)))
    weights = rng.gamma(0.6, 1.0, size=(n_moves + 1, n_syn))
    pattern = weights @ synergies / n_syn
    pattern *= np.exp(rng.normal(0.0, 0.3, size=pattern.shape))
    return np.clip(pattern / np.median(pattern), 0.02, 8.0) * 0.15


def _circular_mix(rng: np.random.Generator, n_ch: int, strength: float) -> np.ndarray:
    """Electrodes sit around the forearm: a subject's placement blends neighbours."""
    w = np.abs(rng.normal(0.0, strength, size=3)) * np.array([1.0, 0.0, 1.0])
    mat = np.eye(n_ch)
    for i in range(n_ch):
        mat[i, (i - 1) % n_ch] += w[0]
        mat[i, (i + 1) % n_ch] += w[2]
    shift = int(rng.integers(-1, 2))
    return np.roll(mat, shift, axis=1)


def _ninapro_file(
    seed: int, info: DatasetInfo, subject: int, exercise: int, sc: dict[str, Any]
) -> bytes:
    m = _MODEL[info.id]
    fs, n_ch = info.fs, info.n_channels
    offset = ninapro.label_offsets(info)[exercise]
    n_all = info.exercises[exercise]
    n_moves = n_all if sc["n_movements"] is None else min(int(sc["n_movements"]), n_all)
    n_reps = int(sc["n_repetitions"] or len(info.repetitions))
    moves = list(range(1, n_moves + 1))

    pop = _ninapro_population(seed, info)
    srng = _rng(seed, info.id, 1, subject)
    subj_pattern = pop * np.exp(m["subj_amp"] * srng.standard_normal(pop.shape))
    mix = _circular_mix(srng, n_ch, m["mix"])
    gain = np.exp(m["gain"] * srng.standard_normal(n_ch))
    rest_level = np.exp(srng.uniform(np.log(0.004), np.log(0.04), size=n_ch))
    centre = srng.uniform(60.0, 160.0, size=n_ch)

    rng = _rng(seed, info.id, 2, subject, exercise)
    n, events = _ninapro_timeline(rng, fs, moves, n_reps, sc["hold_s"], sc["rest_s"])
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
        level = level + m["cocontraction"] * rng.uniform() * level.mean()
        wobble = np.stack([_slow_envelope(rng, b - a, fs, 0.15) for _ in range(n_ch)], axis=1)
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
        carrier = np.stack([_resonator_noise(rng, n, centre[ch], fs) for ch in range(n_ch)], axis=1)
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
    scipy.io.savemat(buf, variables, format="5", do_compression=True, oned_as="column")
    data = bytearray(buf.getvalue())
    header = f"MATLAB 5.0 MAT-file, Platform: emgrepro synthetic twin of {dataset_id}"
    data[:116] = header.encode("ascii").ljust(116)[:116]
    return bytes(data)


def _ninapro_subject(
    seed: int, info: DatasetInfo, subject: int, sc: dict[str, Any]
) -> dict[str, bytes]:
    exercises = [int(e) for e in sc["exercises"]]
    unknown = sorted(set(exercises) - set(info.exercises))
    if unknown:
        raise ConfigError(f"scale.exercises {unknown} not in {info.id} {sorted(info.exercises)}")
    rels = ninapro.required_files(info, subject, exercises)
    return {rel: _ninapro_file(seed, info, subject, ex, sc) for rel, ex in zip(rels, exercises)}


# ----------------------------------------------------------------------------- writing


def _member_name(dataset_id: str, subject: int, canonical: str, sc: dict[str, Any]) -> str:
    folder = _FOLDERS[dataset_id].format(subject=subject)
    base = canonical.split("/", 1)[1] if dataset_id == "khushaba_2ch" else canonical
    if dataset_id == "ninapro_db3" and subject in set(sc.get("alias_subjects") or []):
        base = ninapro.aliases(base)[0]
    return f"{folder}/{base}"


def _zip_info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    zi.create_system = 3  # unix, on every platform: same bytes everywhere
    if name.endswith("/"):
        zi.external_attr = (0o40775 << 16) | 0x10
    else:
        zi.external_attr = 0o100664 << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def _atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_twin(
    dataset_id: str,
    out_zip: Path,
    *,
    subjects: list[int],
    seed: int,
    scale: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Write a synthetic twin archive of ``dataset_id`` for ``subjects``.

    The zip holds the members as the real distribution names them (e.g.
    ``EMG-S1/HC-1.csv``, ``s1/S1_A1_E1.mat``, ``DB2_s1/S1_E1_A1.mat``,
    ``s1_0/S1_E1_A1.mat``); ``out_zip.with_suffix('.SHA256SUMS')`` lists the members'
    sha256 under their canonical (reader) paths. Returns {canonical path: sha256}.
    ``scale`` shrinks the data for a laptop (see KHUSHABA_DEFAULTS / NINAPRO_DEFAULTS).
    """
    info = get_dataset(dataset_id)
    if dataset_id not in _CODES:
        raise ConfigError(f"no synthetic twin for '{dataset_id}'; twins exist for {sorted(_CODES)}")
    info.check_subjects(list(subjects), where="synthetic twin subjects")
    if int(seed) < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    sc = _resolve_scale(dataset_id, scale)
    out_zip = Path(out_zip)

    members: list[tuple[str, str, bytes]] = []  # (member name, canonical path, bytes)
    for subject in dict.fromkeys(int(s) for s in subjects):
        if dataset_id == "khushaba_2ch":
            n = int(sc["n_samples_per_file"])
            if n < 1:
                raise ConfigError(f"scale.n_samples_per_file must be >= 1, got {n}")
            files = _khushaba_subject(seed, info, subject, n)
        else:
            files = _ninapro_subject(seed, info, subject, sc)
        for canonical in sorted(files):
            members.append(
                (_member_name(dataset_id, subject, canonical, sc), canonical, files[canonical])
            )

    def write_zip(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            folders_done: set[str] = set()
            for name, _, data in members:
                folder = name.rsplit("/", 1)[0] + "/"
                if folder not in folders_done:
                    folders_done.add(folder)
                    zf.writestr(_zip_info(folder), b"")
                zf.writestr(_zip_info(name), data)

    sums = {canonical: _sha256(data) for _, canonical, data in members}
    _atomic_write(out_zip, write_zip)
    lines = "".join(f"{digest}  {path}\n" for path, digest in sums.items())
    _atomic_write(out_zip.with_suffix(".SHA256SUMS"), lambda p: p.write_text(lines))
    return sums
