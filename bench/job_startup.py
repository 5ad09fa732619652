"""Per-job fixed cost: what a training job costs beyond its own fitting and scoring.

Runs tiny jobs (a classical TD+LDA job and a deep CSAE job of one epoch, on a few seconds
of synthetic windows) exactly as the train rule does, ``python -m emgrepro train ...``,
cold (a fresh process imports everything) and warm (through the warm server the Snakefile
starts for a workstation run), and reports wall time minus the job's own fit and predict
seconds (from its JSON record): Python start, imports, loading the windows, writing.

    python bench/job_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from emgrepro import warm
from emgrepro.preprocess.windows import write_windows
from emgrepro.recording import Recording

SPEC = {
    "paper": "bench",
    "experiment": "startup",
    "dataset": "khushaba_2ch",
    "preprocessing": "bench",
    "protocol": "within_subject",
    "protocol_params": {"train_repetitions": [1, 2, 3, 4], "test_repetitions": [5, 6]},
    "fold": "1",
    "seed": 0,
    "classes": [1, 2, 3],
    "subjects": [1],
    "device": "cpu",
    "data": "synthetic",
    "window": {},
    "extra": {},
}
MODELS = {
    "td_lda (classical)": ("td_lda", {"threshold": 0.01}, {}),
    "csae (deep, 1 epoch)": (
        "csae",
        {"filters": [8, 8], "latent_chans": 4, "hidden": 8, "pool_steps": 1},
        {"max_epochs": 1, "patience": 1, "batch_size": 64},
    ),
}


def windows(root: Path) -> Path:
    """One subject, 3 movements x 6 trials of 1 s at 4 kHz, 250 ms windows every 125 ms."""
    rng = np.random.default_rng(0)
    n_trial, fs = 4000, 4000.0
    labels = np.repeat(np.tile([1, 2, 3], 6), n_trial).astype(np.int16)
    reps = np.repeat(np.repeat(np.arange(1, 7), 3), n_trial).astype(np.int16)
    signal = (rng.standard_normal((labels.size, 2)) * (1 + labels[:, None])).astype(np.float32)
    rec = Recording("khushaba_2ch", 1, signal, fs, labels, reps, ["c1", "c2"])
    folder = root / "sub-1"
    folder.mkdir(parents=True)
    np.save(folder / "signal.npy", signal)
    write_windows(rec, folder / "signal.npy", folder / "windows.npz",
                  {"length_ms": 250, "step_ms": 125, "label_rule": "constant"})  # fmt: skip
    return root


def run_job(root: Path, model: str, params: dict, training: dict, env: dict, i: int) -> float:
    spec = {**SPEC, "model": model, "model_params": params, "training": training}
    stem = root / f"{model}-{i}"
    cmd = [
        sys.executable, "-m", "emgrepro", "train", "--spec", json.dumps(spec),
        "--windows", str(root / "sub-1" / "windows.npz"),
        "--signals", str(root / "sub-1" / "signal.npy"), "--scores", f"{stem}.csv",
        "--predictions", f"{stem}.npz", "--info", f"{stem}.json", "--model-out", f"{stem}.pt",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    info = json.loads(Path(f"{stem}.json").read_text())
    return wall - info["fit_seconds"] - info["predict_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = windows(Path(tmp) / "windows")
        cold_env = {k: v for k, v in os.environ.items() if k != warm.ENV}
        pid, path = warm.start()
        warm_env = {**cold_env, warm.ENV: path}
        try:
            deadline = time.time() + 60
            while not os.path.exists(path) and time.time() < deadline:
                time.sleep(0.2)  # the socket appears once the server has imported all
            print("| job | cold (s) | warm (s) |")
            print("|---|---|---|")
            for label, (model, params, training) in MODELS.items():
                got = {}
                for name, env in (("cold", cold_env), ("warm", warm_env)):
                    runs = [
                        run_job(root, model, params, training, env, i) for i in range(args.repeats)
                    ]
                    got[name] = float(np.median(runs))
                print(f"| {label} | {got['cold']:.2f} | {got['warm']:.2f} |")
        finally:
            warm.stop(pid, path)
    print(f"(median of {args.repeats} runs; fixed cost = wall time - fit - predict)")


if __name__ == "__main__":
    main()
