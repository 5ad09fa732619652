"""Inference cost per 250 ms window (1000 samples x 2 channels at 4 kHz) of the models
compared in Hristov et al. 2026: parameters, multiply-adds, and the median CPU latency of
one window (batch 1, one thread). Target: under 1 ms per window on one core.

    .venv/bin/python bench/inference_cost.py
"""

from __future__ import annotations

import argparse
import platform

import numpy as np

from emgrepro.config import load
from emgrepro.evaluation.cost import inference_cost
from emgrepro.models import build_model
from emgrepro.paths import CONFIG_DIR


class _Table:
    """The minimum a classical model needs to be fitted on random windows."""

    def __init__(self, n: int, n_chans: int, n_times: int, n_outputs: int) -> None:
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, n_chans, n_times)).astype(np.float32)
        self.y = np.arange(n) % n_outputs
        self.n_chans = n_chans


class _Subset:
    def __init__(self, table: _Table) -> None:
        self.table = table
        self.y = table.y

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, batch_size, rng=None):
        for i in range(0, len(self.y), batch_size):
            yield self.table.x[i : i + batch_size], self.y[i : i + batch_size]

    def channel_stats(self):
        return self.table.x.mean(axis=(0, 2)), self.table.x.std(axis=(0, 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--experiment", default="hristov2026_6class")
    args = ap.parse_args()
    exp = load([CONFIG_DIR / "config.yaml"])["experiments"][args.experiment]
    n_out, n_chans, n_times = len(exp["classes"]), 2, 1000
    rows = []
    for name, params in exp["models"].items():
        est = build_model(
            name, n_chans=n_chans, n_outputs=n_out, n_times=n_times, device="cpu", **params
        )
        if getattr(est, "module", None) is None:  # a classical model: fitted first
            est.fit(_Subset(_Table(240, n_chans, n_times, n_out)))
        cost = inference_cost(est, n_chans, n_times)
        rows.append((name, cost))
    print(f"CPU: {platform.processor() or platform.machine()}, one thread, batch 1")
    print("| model | parameters (inference) | multiply-adds / window | latency (ms) | < 1 ms |")
    print("|---|---|---|---|---|")
    for name, c in rows:
        print(
            f"| {name} | {c['parameters']:,} ({c['inference_parameters']:,}) | "
            f"{c['macs_per_window']:,} | {c['latency_ms']:.3f} | "
            f"{'yes' if c['latency_ms'] < 1 else 'no'} |"
        )


if __name__ == "__main__":
    main()
