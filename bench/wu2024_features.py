"""ENT, RMS, VAR, SSI of the movement windows of one Ninapro DB2 subject, windowed as Wu et
al. 2024 do: the package's computation against the per-window loop on the same windows.

Data: a synthetic twin of DB2 subject 1 at real size (exercise 1: 17 movements x 6
repetitions, 5 s hold + 3 s rest, 12 channels at 2 kHz), preprocessed and windowed by the
package as the paper does (300 ms every 10 ms, endpoint rule, rest windows dropped: about
45,000 windows in scattered runs). ``bench/window_features.py`` times regular windows over
a random signal of the same size; this times the windows a training job actually sees,
with the same measurement and table (``measure``, ``table``), and adds the memory the
windows would take if they were materialised.

    .venv/bin/python bench/wu2024_features.py [--loop-windows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from window_features import measure, table

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loop-windows", type=int, default=0, help="0: loop over all windows")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sw = db2_subject(Path(tmp))
        starts = sw.starts[sw.labels > 0]  # movement windows, as the paper uses (rest excluded)
        signal = np.asarray(sw.signal)
        mean, sd = signal.mean(axis=0), signal.std(axis=0)
        row = measure(
            f"ENT, RMS, VAR, SSI; DB2 twin S1 E1, {sw.length} every 10 ms, movements",
            signal,
            starts,
            lambda s: window_features(signal, s, sw.length, mean, sd),
            lambda s: window_features_loop(signal, s, sw.length, mean, sd),
            args.loop_windows,
            args.repeats,
        )
        view_bytes = starts.size * sw.length * sw.n_chans * 4
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"windows: {starts.size} ({sw.length} x {sw.n_chans}, every 10 ms)")
    print()
    table([row])
    print()
    print(f"materialised windows would take {view_bytes / 2**30:.2f} GiB (float32); views: 0")


if __name__ == "__main__":
    main()
