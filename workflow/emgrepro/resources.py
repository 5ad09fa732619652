"""What a training job asks the scheduler for: GPUs decided by the config, not by the
machine that happens to run Snakemake (a cluster's login node usually has no GPU)."""

from __future__ import annotations

import shutil


def gpus_per_deep_job(config: dict, local: bool, host_has_gpu: bool | None = None) -> int:
    """GPUs one PyTorch training job requests (``resources: gpu``); classical jobs ask none.

    ``gpus_per_job`` set to a number is taken as it is. ``auto`` follows ``device``: ``cpu``
    asks none, ``cuda`` one; ``auto`` asks one on a cluster (the compute nodes' GPUs are
    what a lab submits deep models for; a CPU-only cluster says ``device: cpu``) and, on a
    workstation, one when it has an NVIDIA driver (``nvidia-smi``), so GPU jobs queue for the
    card instead of sharing it.
    """
    setting = config.get("gpus_per_job", "auto")
    if setting != "auto":
        return int(setting)
    device = config.get("device", "auto")
    if device == "cpu":
        return 0
    if device == "cuda" or not local:
        return 1
    if host_has_gpu is None:
        host_has_gpu = shutil.which("nvidia-smi") is not None
    return int(host_has_gpu)
