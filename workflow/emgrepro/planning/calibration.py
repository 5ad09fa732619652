"""The measured figures the cost model rests on (``config/cost_calibration.yaml``, written
by ``bench/calibrate_cost.py``), the machine they were measured on, and the short
self-benchmark that scales them to another machine."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np
import yaml

from emgrepro.errors import ConfigError
from emgrepro.paths import CONFIG_DIR

CALIBRATION_YAML = CONFIG_DIR / "cost_calibration.yaml"
REQUIRED = ("machine", "self_benchmark_s", "startup_s", "models", "rules")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """What figures measured here depend on: CPU, cores, torch and Python versions."""
    import torch

    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count() or 1,
        "torch": str(torch.__version__),
        "python": platform.python_version(),
    }


def same_machine(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in ("cpu", "cores", "torch"))


def self_benchmark(repeats: int = 5) -> float:
    """CPU seconds of a fixed small workload (a 1-D convolution's training steps on one
    thread and a matrix product): the best of ``repeats``. Its ratio between two machines
    scales the calibration; about 2 s in all. CPU time, as the calibration's figures, so
    that other work on the machine does not count as a slower machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(32, 2, 1000, generator=gen)
        conv = torch.nn.Conv1d(2, 16, 9)
        opt = torch.optim.SGD(conv.parameters(), lr=0.01)
        a = np.random.default_rng(0).standard_normal((300, 300))
        best = float("inf")
        for _ in range(repeats):
            t0 = time.process_time()
            for _ in range(20):
                opt.zero_grad()
                conv(x).square().mean().backward()
                opt.step()
            for _ in range(20):
                a = np.tanh(a @ a / 300.0)
            best = min(best, time.process_time() - t0)
    finally:
        torch.set_num_threads(threads)
    return best


def load(path: Path | str = CALIBRATION_YAML) -> dict:
    """The calibration file, checked for the keys the cost model reads."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: no cost calibration; measure one with "
            "`python bench/calibrate_cost.py` (a few minutes)"
        )
    data = yaml.safe_load(path.read_text()) or {}
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ConfigError(
            f"{path}: missing {missing}; rewrite it with `python bench/calibrate_cost.py`"
        )
    return data


def save(data: dict, path: Path | str = CALIBRATION_YAML) -> None:
    from emgrepro.io import write_text

    head = (
        "# Cost model calibration, written by bench/calibrate_cost.py (do not edit by hand):\n"
        "# per model, seconds per training and inference window at the input shape given,\n"
        "# and the peak memory of a job process; per rule, fixed seconds. See README, Cost.\n"
    )
    write_text(Path(path), head + yaml.safe_dump(data, sort_keys=False, width=100))
