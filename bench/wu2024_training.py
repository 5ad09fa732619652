"""Training throughput of the Wu et al. 2024 models at the paper's sizes: windows per
second for one training epoch of the LSTM-FIN (pre-training), CNN-II (features) and
LSTM-FIN+CNN-II (48 FIN copies and the CNN, end to end), and the epoch time this implies
for the full pre-training set (subjects 1-25, repetitions 1, 3, 4: about 600 000 windows).

Runs on CUDA with mixed precision when a GPU is present, else on the CPU (one thread unless
--threads). Data: a synthetic DB2 twin subject (300 ms windows every 10 ms).

    .venv/bin/python bench/wu2024_training.py [--device cuda] [--windows 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from wu2024_features import db2_subject

from emgrepro.evaluation.run import hardware
from emgrepro.models import build_model
from emgrepro.preprocess.table import WindowTable

PRETRAIN_WINDOWS = 25 * 3 * 17 * 470  # subjects x repetitions x movements x windows/trial
MODELS = {
    "lstm_fin": ({"hidden": 32, "layers": 3}, {"batch_size": 4000, "lr": 1e-3}),
    "cnn_ii": ({}, {"batch_size": 300, "lr": 0.01, "optimizer": "adamw"}),
    "lstm_fin_cnn_ii": ({"hidden": 32, "layers": 3}, {"batch_size": 250, "lr": 0.01}),
    "lstm_fin_cnn_ii (shared channels)": (
        {"hidden": 32, "layers": 3, "share_channels": True},
        {"batch_size": 250, "lr": 0.01},
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--windows", type=int, default=0, help="windows per LSTM epoch (0: auto)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        table = WindowTable([db2_subject(Path(tmp))], list(range(1, 18)))
        rows = []
        for name, (params, training) in MODELS.items():
            model_name = name.split(" ")[0]
            model = build_model(
                model_name,
                table.n_chans,
                17,
                table.n_times,
                device=args.device,
                training={"max_epochs": 1, "patience": 1, **training},
                **params,
            )
            gpu = model.device.type == "cuda"
            n = len(table)
            if model_name != "cnn_ii":
                n = args.windows or (4000 if gpu else 50)
            train = table.subset(torch.arange(min(n, len(table))).numpy())
            t0 = time.perf_counter()
            model.fit(train, None)
            wall = time.perf_counter() - t0
            epoch = model.history[-1]
            rate = epoch["n_train"] / epoch["seconds"]
            rows.append((name, epoch["n_train"], epoch["seconds"], rate, wall))
        where = hardware(model.device, args.threads)
    print(f"hardware: {where}; mixed precision: {gpu}")
    print()
    print("| model | windows | epoch s | windows / s | s per pre-training-sized epoch |")
    print("|---|---|---|---|---|")
    for name, n, sec, rate, _ in rows:
        print(f"| {name} | {n} | {sec:.2f} | {rate:,.1f} | {PRETRAIN_WINDOWS / rate:,.0f} |")


if __name__ == "__main__":
    main()
