"""Spectrogram CNN of Zhai, Jelfs, Chan, Tin 2017 (Front. Neurosci. 11:379), the classifier
of their self-recalibrating system. DOI 10.3389/fnins.2017.00379.

Used by: zhai2017.

Input per window (200 ms, 400 samples at 2 kHz): every channel's spectrogram (256-point
FFT, Hamming window, 184-point overlap: 3 frames of 129 frequencies, the first 95 kept),
mapped to [0, 1] by its 1st and 99th percentiles and reduced by a PCA per channel to 25
components laid out on a 5 x 5 grid with the first component at the centre; the 12
channels are the image channels (12 x 5 x 5). Percentiles and PCA are fitted on the
training windows only (``fit_statistics``) and saved in the checkpoint.

Network (the paper: one convolutional layer with the 4 x 4 filter of its figure, two fully
connected layers of 800 units, ReLU, dropout 0.5, softmax loss): ``conv`` (4 x 4) + ReLU
-> ``fc1`` 800 + ReLU + dropout -> ``fc2`` 800 + ReLU + dropout -> ``final_layer``.

Our choices (the paper does not give them): 32 filters; no padding (``padding="valid"``:
5 x 5 -> 2 x 2; ``"same"`` keeps 5 x 5), a kernel larger than the grid is cut to the grid;
the spectrogram's decibels (``intensity="db"``) are normalised, not its power (mapped
linearly to [0, 1] by percentiles dominated by strong contractions, the power of weak
movements and of rest all lies near 0); no standardisation of the raw channels (the
percentile mapping makes their scale irrelevant); the PCA scores are z-scored per channel
and component on the training windows (``standardise``); optimiser, learning rate, batch
and epochs are the experiment's ``training`` settings. Recalibration fine-tunes every
layer from the current state on the windows and labels it is given; the percentiles, the
PCA and the score standardisation stay as fitted on the initial training windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from emgrepro.models import FINE_TUNE, RECALIBRATE, register_model, split_arguments
from emgrepro.models.zhai_svm import SpectrogramParams, spectrogram_inputs
from emgrepro.preprocess.table import Subset
from emgrepro.training import TorchEstimator


@dataclass(frozen=True)
class ZhaiLayers:
    """The network: ``filters`` (32, our choice) of the ``kernel`` x ``kernel`` (4)
    convolution, its ``padding``, ``hidden`` units (800) of the two fully connected layers
    and their ``dropout`` (0.5)."""

    filters: int = 32
    kernel: int = 4
    padding: Literal["valid", "same"] = "valid"
    hidden: int = 800
    dropout: float = 0.5


@dataclass(frozen=True)
class ZhaiCNNParams(SpectrogramParams, ZhaiLayers):
    """The layers, the input (``zhai_svm``'s declaration) and ``standardise`` (z-score the
    PCA scores; our choice), in that order: fields come from the last base to the first."""

    standardise: bool = True


class ZhaiNet(nn.Module):
    """One convolution over the (channels, grid, grid) image, two hidden layers, logits."""

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        *,
        grid: int,
        filters: int,
        kernel: int,
        padding: str,
        hidden: int,
        dropout: float,
    ) -> None:
        super().__init__()
        k = min(int(kernel), grid)
        side = grid if padding == "same" else grid - k + 1
        self.conv = nn.Conv2d(n_chans, filters, k, padding=padding)
        self.fc1 = nn.Linear(filters * side * side, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.final_layer = nn.Linear(hidden, n_outputs)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.act(self.conv(x)).flatten(1)
        h = self.drop(self.act(self.fc1(h)))
        h = self.drop(self.act(self.fc2(h)))
        return {"logits": self.final_layer(h)}


@register_model("zhai_cnn")
class ZhaiCNN(TorchEstimator):
    """The spectrogram-PCA CNN. Parameters: ``ZhaiCNNParams``."""

    capabilities = frozenset({FINE_TUNE, RECALIBRATE})
    defaults = ZhaiCNNParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        if p.padding not in ("valid", "same"):
            raise ValueError(f"padding is 'valid' or 'same', not {p.padding!r}")
        grid = int(round(np.sqrt(p.n_components)))
        self.arch = {
            "grid": grid,
            "filters": int(p.filters),
            "kernel": int(p.kernel),
            "padding": p.padding,
            "hidden": int(p.hidden),
            "dropout": float(p.dropout),
        }
        self.standardise = bool(p.standardise)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.inputs = spectrogram_inputs(p, self.fs, n_times)
        self.score_mean = np.zeros((n_chans, grid, grid), dtype=np.float32)
        self.score_sd = np.ones((n_chans, grid, grid), dtype=np.float32)

    def build_module(self) -> nn.Module:
        return ZhaiNet(self.n_chans, self.n_outputs, **self.arch)

    def fit_statistics(self, train: Subset) -> None:
        """Percentiles and PCA of every channel's spectrograms, then (``standardise``) the
        mean and sd of every PCA score, from ``train`` only."""
        self.inputs.fit(train)
        if self.standardise:
            z = self.inputs.transform(train)
            self.score_mean = z.mean(axis=0)
            sd = z.std(axis=0)
            self.score_sd = np.where(sd > 0, sd, 1.0).astype(np.float32)

    def features(self, data: Subset) -> np.ndarray:
        """The network's input of the windows, (n, C, grid, grid) float32."""
        z = self.inputs.transform(data)
        return ((z - self.score_mean) / self.score_sd).astype(np.float32)

    def train_batches(
        self, data: Subset, rng: np.random.Generator
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        z = self.features(data)
        y = data.y
        order = rng.permutation(len(data))
        size = int(self.training["batch_size"])
        for i in range(0, order.size, size):
            pos = order[i : i + size]
            yield (
                torch.from_numpy(z[pos]).to(self.device),
                torch.from_numpy(y[pos]).to(self.device),
            )

    @torch.no_grad()
    def logits(self, data: Subset) -> np.ndarray:
        self.module.eval()
        z = self.features(data)
        out = [
            self.module(torch.from_numpy(z[i : i + 4096]).to(self.device))["logits"]
            .float()
            .cpu()
            .numpy()
            for i in range(0, len(z), 4096)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.n_outputs), np.float32)

    def class_scores(self, data: Subset) -> np.ndarray:
        """Softmax class probabilities, (n, n_outputs)."""
        logits = self.logits(data).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def recalibrate(self, data: Subset, *, epochs: int, lr: float) -> dict:
        """Fine-tune every layer from the current state on ``data`` (its labels: ``data.y``)."""
        layers = [name for name, _ in self.module.named_children()]
        return self.fine_tune(data, layers=layers, epochs=epochs, lr=lr)

    def extra_state(self) -> dict:
        return {
            "spectrogram_pca": self.inputs.state_dict(),
            "score_mean": self.score_mean,
            "score_sd": self.score_sd,
        }

    def load_extra_state(self, ckpt: dict) -> None:
        self.inputs.load_state_dict(ckpt["spectrogram_pca"])
        self.score_mean, self.score_sd = ckpt["score_mean"], ckpt["score_sd"]
