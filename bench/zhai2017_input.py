"""Zhai et al. 2017 input of one DB2-sized subject: segment spectrograms, vectorised against a
per-segment scipy loop, and the fit / transform time of the per-channel PCA.

Data: a random float32 signal of DB2 size (1,638,000 samples x 12 channels at 2 kHz, i.e.
13.65 min), stored as ``signal.npy`` and memory-mapped as the pipeline does; 400-sample
(200 ms) segments every 200 samples (100 ms), about 8,190 segments. The vectorised
``segment_spectrograms`` (best of --repeats) runs on all of them; the per-segment loop
(``scipy.signal.spectrogram`` per segment, best of --repeats) runs on the first
--loop-segments only, and its time is extrapolated per segment to all of them. Peak memory
is what numpy allocates during the vectorised call (``tracemalloc``; the memory-mapped
signal's pages are not counted), compared with the signal's size, with and without the
output array.

    .venv/bin/python bench/zhai2017_input.py [--loop-segments N] [--chunk N]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from emgrepro.features.spectrogram import (
    SpectrogramPCA,
    segment_spectrograms,
    segment_spectrograms_loop,
)

N_SAMPLES, N_CHANS, FS, LENGTH, STEP = 1_638_000, 12, 2000.0, 400, 200


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loop-segments", type=int, default=500, help="0: loop over all")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=16, help="segments per FFT batch")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signal.npy"
        np.save(path, rng.standard_normal((N_SAMPLES, N_CHANS), dtype=np.float32))
        signal = np.load(path, mmap_mode="r")
        starts = np.arange(0, N_SAMPLES - LENGTH + 1, STEP)
        n_loop = args.loop_segments or starts.size

        def vectorised():
            return segment_spectrograms(signal, starts, fs=FS, chunk=args.chunk)

        t_vec, spec = best_of(vectorised, args.repeats)
        t_loop, slow = best_of(
            lambda: segment_spectrograms_loop(signal, starts[:n_loop]), args.repeats
        )
        t_loop_all = t_loop * starts.size / n_loop
        rel = np.abs(spec[:n_loop] - slow) / np.abs(slow)
        fast64 = segment_spectrograms(signal, starts[:n_loop], fs=FS, dtype=np.float64)
        rel64 = np.abs(fast64 - slow) / np.abs(slow)
        peak = peak_bytes(vectorised)
        sig_bytes = signal.nbytes

        # Table 1 baseline: repetitions 1, 3, 4, 6 train (about 2/3 of the segments)
        train = spec[: 2 * starts.size // 3]
        pca_rows = []
        for solver in ("full", "covariance_eigh"):
            t_fit, pca = best_of(lambda s=solver: SpectrogramPCA(svd_solver=s).fit(train), 1)
            t_tr, grid = best_of(lambda p=pca: p.transform(spec), args.repeats)
            pca_rows.append((solver, t_fit, t_tr))
    n = starts.size
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(
        f"segments: {n} (400 x 12, every 200 samples) -> {spec.shape[1:]} each, {spec.dtype}; "
        f"loop timed on {n_loop}, extrapolated per segment"
    )
    print()
    print("| computation | seconds (all segments) | segments / s |")
    print("|---|---|---|")
    print(f"| vectorised (chunks of {args.chunk}) | {t_vec:.2f} | {n / t_vec:,.0f} |")
    print(f"| per-segment scipy loop (extrapolated) | {t_loop_all:.2f} | {n / t_loop_all:,.0f} |")
    print()
    print(f"speed-up: {t_loop_all / t_vec:.1f}x")
    print(f"largest relative difference to scipy: float32 output {rel.max():.2e}, ", end="")
    print(f"float64 output {rel64.max():.2e}")
    print(
        f"peak numpy memory of the vectorised call: {peak / 2**20:.0f} MiB = "
        f"{peak / sig_bytes:.2f} x the signal ({sig_bytes / 2**20:.0f} MiB float32); "
        f"without the output ({spec.nbytes / 2**20:.0f} MiB): "
        f"{(peak - spec.nbytes) / sig_bytes:.2f} x"
    )
    print()
    print(f"SpectrogramPCA: fit on {len(train)} segments, transform all {n} -> {grid.shape[1:]}")
    print()
    print("| svd_solver | fit s | transform s | transform segments / s |")
    print("|---|---|---|---|")
    for solver, t_fit, t_tr in pca_rows:
        print(f"| {solver} | {t_fit:.2f} | {t_tr:.2f} | {n / t_tr:,.0f} |")


if __name__ == "__main__":
    main()
