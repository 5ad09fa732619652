"""Inference cost of a model on one window: parameters, multiply-adds, CPU latency."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from emgrepro.errors import EmgreproError


def count_parameters(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def count_macs(forward, module: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of ``forward(x)`` in convolutions and linear layers."""
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        if isinstance(layer, nn.Conv1d):
            k = layer.kernel_size[0] * layer.in_channels // layer.groups
            total += output.numel() * k
        elif isinstance(layer, nn.ConvTranspose1d):
            total += inputs[0].numel() * layer.out_channels * layer.kernel_size[0] // layer.groups
        elif isinstance(layer, nn.Linear):
            total += output.numel() // output.shape[-1] * layer.in_features * layer.out_features

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear))
    ]
    try:
        with torch.no_grad():
            forward(x)
    finally:
        for h in handles:
            h.remove()
    return int(total) // x.shape[0]


def latency_ms(fn, repeats: int = 200, warmup: int = 20) -> float:
    """Median wall time of ``fn()`` in milliseconds, on one CPU thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return float(np.median(times) * 1000)


def inference_cost(estimator, n_chans: int, n_times: int) -> dict:
    """Parameters, MACs and one-window latency of a fitted or fresh estimator: a network
    is counted on its module's layers; any other model must declare its own arithmetic
    (``inference_macs``, ``inference_parameters``, ``predict_windows``; fitted first)."""
    module = getattr(estimator, "module", None)
    if module is not None:
        x = torch.randn(1, n_chans, n_times)
        module.eval()
        forward = estimator.classify
        with torch.no_grad():
            lat = latency_ms(lambda: forward(x))
        return {
            "parameters": count_parameters(module),
            "inference_parameters": count_parameters(module)
            - (count_parameters(module.decoder) if getattr(module, "decoder", None) else 0),
            "macs_per_window": count_macs(forward, module, x),
            "latency_ms": lat,
        }
    missing = [
        m
        for m in ("inference_macs", "inference_parameters", "predict_windows")
        if not hasattr(estimator, m)
    ]
    if missing:
        raise EmgreproError(
            f"{type(estimator).__name__} declares no inference cost ({', '.join(missing)})"
        )
    window = np.random.default_rng(0).standard_normal((1, n_chans, n_times)).astype(np.float32)
    params = estimator.inference_parameters()
    return {
        "parameters": params,
        "inference_parameters": params,
        "macs_per_window": estimator.inference_macs(),
        "latency_ms": latency_ms(lambda: estimator.predict_windows(window)),
    }
