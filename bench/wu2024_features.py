"""ENT, RMS, VAR, SSI of every window of one Ninapro DB2 subject: the vectorised block
computation of the package against a straightforward per-window loop on the same windows.

Data: a synthetic twin of DB2 subject 1 at real size (exercise 1: 17 movements x 6
repetitions, 5 s hold + 3 s rest, 12 channels at 2 kHz), windowed as Wu et al. 2024 do
(300 ms every 10 ms, endpoint rule; about 50 000 windows). Prints both times, the speed-up
(target >= 20x), the largest relative difference, and the memory the windows would take
if they were materialised instead of viewed.

    .venv/bin/python bench/wu2024_features.py [--loop-windows N]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from emgrepro.datasets.synthetic import write_twin
from emgrepro.features.window_stats import window_features, window_features_loop
from emgrepro.preprocess.subject import preprocess_subject
from emgrepro.preprocess.windows import SubjectWindows

PREP = {
    "dataset": "ninapro_db2",
    "exercises": [1],
    "filter": None,
    "window": {"length_ms": 300, "step_ms": 10, "label_rule": "endpoints"},
}


def db2_subject(root: Path) -> SubjectWindows:
    archive = root / "db2.zip"
    write_twin("ninapro_db2", archive, subjects=[1], seed=1, scale={"hold_s": 5.0, "rest_s": 3.0})
    raw = root / "raw"
    raw.mkdir()
    with zipfile.ZipFile(archive) as zf:
        (raw / "S1_E1_A1.mat").write_bytes(zf.read("DB2_s1/S1_E1_A1.mat"))
    preprocess_subject("ninapro_db2", 1, raw, PREP, root / "win")
    return SubjectWindows.load(root / "win")


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loop-windows", type=int, default=0, help="0: loop over all windows")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sw = db2_subject(Path(tmp))
        keep = sw.labels > 0  # movement windows, as the paper uses (rest excluded)
        starts = sw.starts[keep]
        signal = np.asarray(sw.signal)
        mean, sd = signal.mean(axis=0), signal.std(axis=0)
        n_loop = args.loop_windows or starts.size
        t_vec, fast = best_of(
            lambda: window_features(signal, starts, sw.length, mean, sd), args.repeats
        )
        t_loop, slow = best_of(
            lambda: window_features_loop(signal, starts[:n_loop], sw.length, mean, sd), 1
        )
        t_loop_all = t_loop * starts.size / n_loop
        close = np.isclose(fast[:n_loop], slow, rtol=1e-6, atol=1e-12)
        rel = np.abs(fast[:n_loop] - slow) / np.maximum(np.abs(slow), 1e-12)
        view_bytes = starts.size * sw.length * sw.n_chans * 4
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"windows: {starts.size} (600 x 12, every 10 ms); loop timed on {n_loop}")
    print()
    print("| computation | seconds | windows / s |")
    print("|---|---|---|")
    print(f"| vectorised (blocks) | {t_vec:.2f} | {starts.size / t_vec:,.0f} |")
    print(f"| per-window loop | {t_loop_all:.2f} | {starts.size / t_loop_all:,.0f} |")
    print()
    print(f"speed-up: {t_loop_all / t_vec:.1f}x (target >= 20x)")
    print(f"all equal to 1e-6 relative (1e-12 absolute): {bool(close.all())}")
    print(f"largest relative difference where |value| > 1e-6: {rel[np.abs(slow) > 1e-6].max():.2e}")
    print(f"materialised windows would take {view_bytes / 2**30:.2f} GiB (float32); views: 0")


if __name__ == "__main__":
    main()
