"""GPU requests follow the config, never the machine that runs Snakemake."""

from __future__ import annotations

import pytest

from emgrepro.resources import gpus_per_deep_job


@pytest.mark.parametrize(
    ("setting", "device", "local", "host_gpu", "expected"),
    [
        ("auto", "auto", False, False, 1),  # a cluster: its GPU-less login node has no say
        ("auto", "cpu", False, False, 0),  # a CPU-only cluster says device: cpu
        ("auto", "cuda", True, False, 1),
        ("auto", "auto", True, True, 1),  # a workstation with a card: jobs queue for it
        ("auto", "auto", True, False, 0),  # without one, deep jobs run side by side
        (2, "auto", False, False, 2),
        (0, "cuda", False, True, 0),
    ],
)
def test_gpus_per_deep_job(setting, device, local, host_gpu, expected):
    config = {"gpus_per_job": setting, "device": device}
    assert gpus_per_deep_job(config, local=local, host_has_gpu=host_gpu) == expected
