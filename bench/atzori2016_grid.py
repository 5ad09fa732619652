"""One job per subject for the classical grid of Atzori et al. 2016, or one job per cell?

On one DB1-sized subject (100 Hz, 10 electrodes, exercise 1's length, 200 ms windows every
50 ms), times what a grid job does (the features of every set once, then every classifier
x feature-set cell) against what one job per cell would do (its own features, its own fit)
plus the per-job start-up cost of a fresh Python process that imports the model.

    python bench/atzori2016_grid.py [--seconds 1010]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from emgrepro.features.classical import classical_features
from emgrepro.models.classical_grid import CLASSIFIERS, DEFAULT_SETS, ClassicalGrid


def startup_seconds(repeats: int = 3) -> float:
    """A fresh process that imports what a classical job imports, and nothing else."""
    code = "import emgrepro.models.classical_grid, emgrepro.evaluation.run"
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1010.0, help="recording length")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, n_ch, length = int(args.seconds * 100), 10, 20  # 100 Hz, 200 ms windows
    signal = np.abs(rng.standard_normal((n, n_ch))).astype(np.float32)
    starts = np.arange(0, n - length, 5)
    y = rng.integers(0, 13, starts.size)
    train = rng.random(starts.size) < 0.7
    params = {"threshold": 0.01, "hist_range": 3.0, "bins": 20, "wavelet": "db7", "level": 3}
    grid = ClassicalGrid(n_ch, 13, length, forest_trees=100)
    sets = ["rms", "td", "hist", "mdwt"]

    t0 = time.perf_counter()
    feats = classical_features(signal, starts, length, sets, params)
    features_once = time.perf_counter() - t0
    per_set = {}
    for s in sets:
        t0 = time.perf_counter()
        classical_features(signal, starts, length, [s], params)
        per_set[s] = time.perf_counter() - t0
    fits = {}
    for clf in CLASSIFIERS:
        for fs_name in DEFAULT_SETS:
            cols = grid._columns(fs_name)
            t0 = time.perf_counter()
            model = grid._estimator(clf).fit(feats[train][:, cols], y[train])
            model.predict(feats[~train][:, cols])
            fits[(clf, fs_name)] = time.perf_counter() - t0
    start = startup_seconds()
    grid_job = start + features_once + sum(fits.values())
    cell_jobs = sum(
        start + sum(per_set[s] for s in fs_name.split("+")) + fits[(clf, fs_name)]
        for clf, fs_name in fits
    )
    print(f"windows: {starts.size} ({train.sum()} training), cells: {len(fits)}")
    print(f"start-up of a fresh job process: {start:.2f} s")
    print(f"features of every set, once: {features_once:.2f} s")
    print(f"fit + predict of every cell: {sum(fits.values()):.2f} s")
    print(f"one grid job per subject: {grid_job:.1f} s")
    print(f"one job per cell: {cell_jobs:.1f} s ({len(fits)} jobs)")
    print(f"the grid job takes {grid_job / cell_jobs:.2f} of the per-cell time")


if __name__ == "__main__":
    main()
