"""The baseline CNN of Atzori, Cognolato, Müller 2016, "Deep Learning with Convolutional
Neural Networks Applied to Electromyography Data: A Resource for the Classification of
Movements for Prosthetic Hands", Frontiers in Neurorobotics 10:9.

Used by: atzori2016. DOI 10.3389/fnbot.2016.00009.

A window of all electrodes is an image (time x electrodes, one input channel). Published
(document 002): block 1 conv 32 + ReLU; block 2 conv 32 (3 x 3) + ReLU + average pool
3 x 3; block 3 conv 64 (5 x 5) + ReLU + average pool 3 x 3; block 4 conv 64 (5 x 1 for
Otto Bock, 9 x 1 for Delsys) + ReLU; block 5 conv 1 x 1 + softmax. SGD, momentum 0.9,
lr 0.001, weight decay 0.0005, batch 256, 30 epochs; the training data doubled with a copy
carrying white Gaussian noise.

Our choices (config values): block 1's kernel spans one time step of every electrode
(1 x n_electrodes, as re-implementations read the paper) without padding, so that the map
is time x 1 from then on (block 4's k x 1 kernels suggest it); blocks 2 to 4 keep their
map's size ("same" padding) and pools round up, so that the 15-sample windows fit; He
initialisation (with PyTorch's default initialisation SGD at lr 0.001 hardly moves in 30
epochs, on validation repetitions of DB1); block
5's per-position class scores are averaged over the remaining positions; the noise copy
has a signal-to-noise ratio of ``noise_snr_db`` on the standardised windows (training
only: validation and test windows are never doubled or noised); each batch of
``batch_size`` holds half as many recorded windows and their noise copies, so that an
epoch takes the doubled set's number of SGD steps (twice the recorded set's).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from emgrepro.models import FINE_TUNE, register_model, split_arguments
from emgrepro.preprocess.table import Subset
from emgrepro.training import TorchEstimator


class AtzoriNet(nn.Module):
    """(n, electrodes, time) -> class logits, through the paper's five blocks.

    Block 1 spans every electrode without padding, so the map is time x 1 from then on. On
    such a map a k x k kernel with "same" padding meets data only through its middle
    column: blocks 2 to 5 are therefore 1-D convolutions and pools along time (outputs
    identical to the 2-D ones, about 4 times faster on a CPU).
    """

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        block1_time: int,
        block4_kernel: int,
        filters: tuple[int, int, int, int],
    ) -> None:
        super().__init__()
        f1, f2, f3, f4 = filters
        self.block1 = nn.Sequential(
            nn.ConstantPad2d((0, 0, (block1_time - 1) // 2, block1_time // 2), 0.0),
            nn.Conv2d(1, f1, (block1_time, n_chans)),
            nn.ReLU(),
        )
        self.block2 = nn.Sequential(
            nn.Conv1d(f1, f2, 3, padding="same"), nn.ReLU(), nn.AvgPool1d(3, ceil_mode=True)
        )
        self.block3 = nn.Sequential(
            nn.Conv1d(f2, f3, 5, padding="same"), nn.ReLU(), nn.AvgPool1d(3, ceil_mode=True)
        )
        self.block4 = nn.Sequential(nn.Conv1d(f3, f4, block4_kernel, padding="same"), nn.ReLU())
        self.final_layer = nn.Conv1d(f4, n_outputs, 1)
        for m in self.modules():  # our choice: He initialisation for ReLU (none published)
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        image = x.transpose(1, 2).unsqueeze(1)  # (n, 1, time, electrodes)
        z = self.block1(image).squeeze(-1)  # (n, filters, time)
        z = self.block4(self.block3(self.block2(z)))
        return {"logits": self.final_layer(z).mean(dim=-1)}


@dataclass(frozen=True)
class AtzoriParams:
    """``block1_time`` (block 1's kernel is block1_time x every electrode),
    ``block4_kernel`` (5 for Otto Bock, 9 for Delsys), ``filters`` of blocks 1 to 4,
    ``noise_snr_db`` (the noise copy's SNR; null: no copy)."""

    block1_time: int = 1
    block4_kernel: int = 5
    filters: list[int] = (32, 32, 64, 64)
    noise_snr_db: float | None = 25.0


@register_model("atzori_cnn")
class AtzoriCNN(TorchEstimator):
    """Parameters: ``AtzoriParams``."""

    capabilities = frozenset({FINE_TUNE})
    defaults = AtzoriParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        self.arch = {
            "block1_time": int(p.block1_time),
            "block4_kernel": int(p.block4_kernel),
            "filters": tuple(int(f) for f in p.filters),
        }
        self.noise_snr_db = None if p.noise_snr_db is None else float(p.noise_snr_db)
        super().__init__(n_chans, n_outputs, n_times, **common)

    def build_module(self) -> nn.Module:
        return AtzoriNet(self.n_chans, self.n_outputs, **self.arch)

    def noise_sd(self) -> float:
        """Noise sd on standardised windows (unit power per channel) for the SNR."""
        return 0.0 if self.noise_snr_db is None else float(10 ** (-self.noise_snr_db / 20))

    def train_batches(
        self, data: Subset, rng: np.random.Generator
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The paper's doubled training set: each batch holds half its size of windows as
        recorded and the same windows with white Gaussian noise, so that an epoch takes as
        many SGD steps of ``batch_size`` as one pass over the doubled set."""
        sd = self.noise_sd()
        size = int(self.training["batch_size"])
        half = max(1, size // 2) if sd else size
        for x, y in super().train_batches(data, rng, batch_size=half):
            if sd:
                noise = torch.from_numpy(
                    rng.standard_normal(tuple(x.shape)).astype(np.float32) * sd
                ).to(x.device)
                x, y = torch.cat([x, x + noise]), torch.cat([y, y])
            yield x, y
