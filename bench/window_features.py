"""Window features of one Ninapro-sized subject: the package's overlap-independent
computation (``emgrepro.features.sliding``: per-block prefix/suffix sums, cost set by the
signal's length) against a plain per-window loop on the same windows.

Scenarios (synthetic random float32 signals at real size; ``--only`` picks some):

* ``wu2024``: ENT, RMS, VAR, SSI (``window_stats``) of a DB2 subject, 1,638,000 x 12 at
  2 kHz, 600-sample windows every 20 samples (300 ms every 10 ms): 81,871 windows.
* ``atzori_db1``: the Atzori et al. set (``classical``: RMS, TD = MAV/WL/ZC/SSC, HIST with
  20 bins over +-3 sd, mDWT db7 level 3) of a DB1 subject, 100,000 x 10 at 100 Hz,
  20-sample windows every sample: 99,981 windows.
* ``atzori_db2``: the same set on DB2-sized windows, 400 samples every 20: 81,881 windows.

For the Atzori set the windowed sums (RMS, TD, HIST) and mDWT (PyWavelets on batches of
windows; not a windowed sum) are also timed apart. The loop runs on ``--loop-windows``
windows spread evenly over the subject and its time is extrapolated per window to all of
them (the output says so). Prints windows / s of both, the speed-up in wall-clock and in
CPU time (steadier on a busy machine; target >= 100x for ENT/RMS/VAR/SSI), the largest
relative difference over the looped windows, and the vectorised path's peak traced memory
(tracemalloc) against the signal's size.

    .venv/bin/python bench/window_features.py [--only wu2024 atzori_db1] [--loop-windows N]
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from emgrepro.features.classical import classical_features, classical_features_loop
from emgrepro.features.window_stats import window_features, window_features_loop

MIB = 2**20


def best_of(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, float, np.ndarray]:
    """Best wall-clock and best CPU seconds of ``repeats`` runs, and the last result."""
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def traced_peak(fn: Callable[[], np.ndarray]) -> tuple[int, int]:
    """Peak bytes numpy and Python allocate while ``fn`` runs, and its output's size."""
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, out.nbytes


def measure(
    label: str,
    signal: np.ndarray,
    starts: np.ndarray,
    fast: Callable[[np.ndarray], np.ndarray],
    slow: Callable[[np.ndarray], np.ndarray],
    loop_windows: int,
    repeats: int,
) -> dict:
    """Time ``fast`` on all ``starts`` and ``slow`` on an even sample of them."""
    n = starts.size
    sample = np.unique(np.linspace(0, n - 1, min(loop_windows or n, n)).astype(np.int64))
    t_fast, c_fast, got = best_of(lambda: fast(starts), repeats)
    t_slow, c_slow, want = best_of(lambda: slow(starts[sample]), 1)
    got = got[sample]
    big = np.abs(want) > 1e-6
    rel = np.abs(got - want)[big] / np.abs(want)[big]
    peak, out_bytes = traced_peak(lambda: fast(starts))
    return {
        "label": label,
        "windows": n,
        "looped": sample.size,
        "t_fast": t_fast,
        "t_slow": t_slow * n / sample.size,
        "c_fast": c_fast,
        "c_slow": c_slow * n / sample.size,
        "equal": bool(np.allclose(got, want, rtol=1e-6, atol=1e-12)),
        "rel": float(rel.max()) if rel.size else 0.0,
        "peak": peak,
        "out": out_bytes,
        "signal": signal.nbytes,
    }


def table(rows: list[dict]) -> None:
    print("| computation | windows | vectorised windows / s | loop windows / s | speed-up "
          "(wall) | speed-up (CPU) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in rows:
        how = "all" if r["looped"] == r["windows"] else f"on {r['looped']:,}, extrapolated"
        print(
            f"| {r['label']} | {r['windows']:,} | {r['windows'] / r['t_fast']:,.0f} "
            f"({r['t_fast']:.2f} s) | {r['windows'] / r['t_slow']:,.0f} ({how}) | "
            f"{r['t_slow'] / r['t_fast']:.1f}x | {r['c_slow'] / r['c_fast']:.1f}x |"
        )
    print()
    print("| computation | equal to 1e-6 rel. | largest rel. difference | peak memory | "
          "peak - output | signal (float32) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['label']} | {r['equal']} | {r['rel']:.1e} | {r['peak'] / MIB:.1f} MiB | "
            f"{(r['peak'] - r['out']) / MIB:.1f} MiB = {(r['peak'] - r['out']) / r['signal']:.2f}"
            f" x signal | {r['signal'] / MIB:.1f} MiB |"
        )


def wu2024(args, rng) -> list[dict]:
    signal = rng.standard_normal((1_638_000, 12), dtype=np.float32)
    mean, sd = signal.mean(axis=0), signal.std(axis=0)
    starts = np.arange(0, signal.shape[0] - 600 + 1, 20)
    row = measure(
        "ENT, RMS, VAR, SSI; DB2 1,638,000 x 12, 600 every 20",
        signal,
        starts,
        lambda s: window_features(signal, s, 600, mean, sd),
        lambda s: window_features_loop(signal, s, 600, mean, sd),
        args.loop_windows,
        args.repeats,
    )
    return [row]


def atzori(args, rng, n_t: int, n_ch: int, length: int, step: int, what: str) -> list[dict]:
    signal = rng.standard_normal((n_t, n_ch), dtype=np.float32)
    sd = signal.std(axis=0)
    params = {"hist_range": 3 * sd, "threshold": 0.01 * float(sd.mean())}
    starts = np.arange(0, n_t - length + 1, step)
    rows = []
    for names in (["rms", "td", "hist"], ["mdwt"], ["rms", "td", "hist", "mdwt"]):
        label = f"{' + '.join(n.upper() for n in names)}; {what}"
        rows.append(
            measure(
                label,
                signal,
                starts,
                lambda s, names=names: classical_features(signal, s, length, names, params),
                lambda s, names=names: classical_features_loop(signal, s, length, names, params),
                args.loop_windows,
                args.repeats,
            )
        )
    return rows


SCENARIOS = {
    "wu2024": wu2024,
    "atzori_db1": lambda a, r: atzori(a, r, 100_000, 10, 20, 1, "DB1 100,000 x 10, 20 every 1"),
    "atzori_db2": lambda a, r: atzori(
        a, r, 1_638_000, 12, 400, 20, "DB2 1,638,000 x 12, 400 every 20"
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    ap.add_argument("--loop-windows", type=int, default=2000, help="0: loop over all windows")
    ap.add_argument("--repeats", type=int, default=2, help="vectorised runs; the best is kept")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for name in args.only:
        rows += SCENARIOS[name](args, rng)
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print("loop: timed on the windows stated, spread evenly, and extrapolated per window")
    print()
    table(rows)


if __name__ == "__main__":
    main()
