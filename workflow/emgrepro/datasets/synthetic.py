"""Synthetic twins: small, seeded stand-ins written in each data set's exact raw format.

They let the demo and the tests run the whole pipeline (fetch from an archive, checksum,
read, train, evaluate) without the real recordings. A twin archive is laid out like the
real distribution, its files use the real text / MATLAB formats, keys and dtypes, and the
signals carry learnable class structure with subject-specific differences:

* every class (movement) has a per-channel amplitude pattern and a spectral colour,
  shared by the population;
* every subject perturbs those patterns, mixes its channels (electrode placement) and
  has its own gains, so a classifier trained on other subjects does clearly worse;
* every trial / repetition jitters amplitude and colour; rest is low-level noise.

Each dataset's twin lives beside its reader, in ``emgrepro.datasets.<reader>_twin``: its
size options (``TWIN_SCALE``), ``twin_files`` (the raw files of one subject) and
``member_name`` (where the real archive puts a file). This module holds what they share
and writes the archive. Same dataset, subjects, seed and scale give byte-identical
archives.
"""

from __future__ import annotations

import hashlib
import importlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter

from emgrepro.datasets.registry import DatasetInfo, get_dataset
from emgrepro.errors import ConfigError
from emgrepro.io import atomic_path

_ZIP_DATE = (2014, 7, 28, 11, 54, 14)  # fixed member time: archives must be reproducible


def twin_module(info: DatasetInfo):
    """``emgrepro.datasets.<reader>_twin``: the twin of a dataset read by ``<reader>``."""
    try:
        return importlib.import_module(f"emgrepro.datasets.{info.reader}_twin")
    except ImportError:
        raise ConfigError(f"no synthetic twin for '{info.id}' (reader {info.reader})") from None


def twin_subjects(dataset_id: str, n: int) -> list[int]:
    """The first ``n`` registered subject ids, so twins use ids the readers accept."""
    subjects = list(get_dataset(dataset_id).subjects)
    if not 1 <= n <= len(subjects):
        raise ConfigError(f"{dataset_id} has {len(subjects)} subjects; cannot take {n}")
    return subjects[:n]


def stream(seed: int, code: int, *keys: int) -> np.random.Generator:
    """Independent stream per (seed, data set code, role, ...): adding a subject never
    changes another subject's data."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(code), *keys]))


def resolve_scale(info: DatasetInfo, scale: dict[str, Any] | None) -> dict[str, Any]:
    defaults = twin_module(info).TWIN_SCALE
    scale = dict(scale or {})
    unknown = sorted(set(scale) - set(defaults))
    if unknown:
        raise ConfigError(
            f"unknown scale option(s) {unknown} for the {info.id} twin; valid: {sorted(defaults)}"
        )
    return {**defaults, **scale}


def resonator_noise(
    rng: np.random.Generator, n: int, freq: float, fs: float, r: float = 0.93
) -> np.ndarray:
    """Unit-RMS noise coloured by an AR(2) resonator at ``freq`` (EMG-like band)."""
    w = 2 * np.pi * min(freq, 0.45 * fs) / fs
    white = rng.standard_normal(n + 200)
    x = lfilter([1.0, -1.0], [1.0, -2 * r * np.cos(w), r * r], white)[200:]
    return x / np.sqrt(np.mean(x * x))


def slow_envelope(rng: np.random.Generator, n: int, fs: float, depth: float) -> np.ndarray:
    """1 + slow (a few Hz at most) random modulation: force is never perfectly steady."""
    step = max(int(fs / 4), 1)  # a random knot every 0.25 s, linearly interpolated
    knots = rng.standard_normal(n // step + 2)
    env = np.interp(np.arange(n) / step, np.arange(knots.size), knots)
    return np.clip(1.0 + depth * env, 0.2, None)


def _zip_info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    zi.create_system = 3  # unix, on every platform: same bytes everywhere
    if name.endswith("/"):
        zi.external_attr = (0o40775 << 16) | 0x10
    else:
        zi.external_attr = 0o100664 << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def write_twin(
    dataset_id: str,
    out_zip: Path,
    *,
    subjects: list[int],
    seed: int,
    scale: dict[str, Any] | None = None,
    sums_out: Path | None = None,
) -> dict[str, str]:
    """Write a synthetic twin archive of ``dataset_id`` for ``subjects``.

    The zip holds the members as the real distribution names them (e.g.
    ``EMG-S1/HC-1.csv``, ``s1/S1_A1_E1.mat``, ``DB2_s1/S1_E1_A1.mat``,
    ``s1_0/S1_E1_A1.mat``); ``sums_out`` (by default ``out_zip.with_suffix('.SHA256SUMS')``)
    lists the members' sha256 under their canonical (reader) paths. Returns {canonical
    path: sha256}.
    ``scale`` shrinks the data for a laptop (the twin module's ``TWIN_SCALE``).
    """
    info = get_dataset(dataset_id)
    twin = twin_module(info)
    info.check_subjects(list(subjects), where="synthetic twin subjects")
    if int(seed) < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    sc = resolve_scale(info, scale)
    out_zip = Path(out_zip)

    members: list[tuple[str, str, bytes]] = []  # (member name, canonical path, bytes)
    for subject in dict.fromkeys(int(s) for s in subjects):
        files = twin.twin_files(info, subject, int(seed), sc)
        for canonical in sorted(files):
            name = twin.member_name(info, subject, canonical, sc)
            members.append((name, canonical, files[canonical]))

    sums = {canonical: hashlib.sha256(data).hexdigest() for _, canonical, data in members}
    with atomic_path(out_zip) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            folders_done: set[str] = set()
            for name, _, data in members:
                folder = name.rsplit("/", 1)[0] + "/"
                if folder not in folders_done:
                    folders_done.add(folder)
                    zf.writestr(_zip_info(folder), b"")
                zf.writestr(_zip_info(name), data)
    lines = "".join(f"{digest}  {path}\n" for path, digest in sums.items())
    with atomic_path(Path(sums_out) if sums_out else out_zip.with_suffix(".SHA256SUMS")) as tmp:
        tmp.write_text(lines)
    return sums
