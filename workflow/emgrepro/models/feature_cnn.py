"""Feature CNN of Wu et al. 2024 (CNN-I multi-subject, CNN-II single subject).

Used by: wu2024. DOI 10.48550/arXiv.2405.19356.

Input per window: the 4 features (ENT, RMS, VAR, SSI) of its 12 channels, z-scored, as a
tensor (4, 12 channels, 12 copies): the feature vector replicated 12 times with Gaussian
noise (sd 0.01 on the z scale) on the 11 extra copies. Three blocks
Conv2d(4->64, k5)+BN+PReLU+Dropout(0.3), Conv2d(64->32, k5)+BN+PReLU,
Conv2d(32->classes, k4)+BN+PReLU take 12 x 12 to 1 x 1. AdamW, lr 0.01, weight decay
3e-5, 30 epochs, batch 300 (the authors' code; REFERENCE.md).

Our choices: copies are noisy only while training (inference sees exact copies), and the
z-scoring is per feature and channel, fitted on the training split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from emgrepro.features.window_stats import FEATURES, subset_window_features
from emgrepro.models import FINE_TUNE, register_model, split_arguments
from emgrepro.preprocess.table import Subset
from emgrepro.training import TorchEstimator


def feature_copies(z: torch.Tensor, copies: int, noise_sd: float) -> torch.Tensor:
    """(n, F, C) -> (n, F, C, copies); copy 0 exact, the others with Gaussian noise."""
    rep = z.unsqueeze(-1).expand(*z.shape, copies).clone()
    if noise_sd > 0 and copies > 1:
        rep[..., 1:] += noise_sd * torch.randn_like(rep[..., 1:])
    return rep


@dataclass(frozen=True)
class FeatureCNNParams:
    """The feature CNN's input and layers: ``copies`` of the feature vector, the training
    noise ``noise_sd`` on all but the first, ``filters`` of the first two convolutions,
    their ``kernel`` and the ``dropout`` after the first. Declared once here: the FIN+CNN
    (``lstm_fin_cnn``) inherits them, so that its CNN takes a trained CNN-II's weights."""

    copies: int = 12
    noise_sd: float = 0.01
    filters: tuple[int, int] = (64, 32)
    kernel: int = 5
    dropout: float = 0.3


def cnn_arch(p: FeatureCNNParams) -> dict:
    """The CNN's layers as ``FeatureCNNNet`` takes them (everything but the noise)."""
    return {
        "copies": int(p.copies),
        "filters": tuple(int(f) for f in p.filters),
        "kernel": int(p.kernel),
        "dropout": float(p.dropout),
    }


class FeatureCNNNet(nn.Module):
    """Three conv blocks over the (channels x copies) plane to one logit per class."""

    def __init__(
        self,
        n_features: int,
        n_chans: int,
        n_outputs: int,
        *,
        copies: int,
        filters: tuple[int, int],
        kernel: int,
        dropout: float,
    ) -> None:
        super().__init__()
        # 12 x 12 -> 8 x 8 -> 4 x 4 -> 1 x 1 for the paper's 12 channels; kernels shrink to
        # fit smaller maps (fewer channels), so any channel count works.
        k1 = (min(kernel, n_chans), min(kernel, copies))
        mid = (n_chans - k1[0] + 1, copies - k1[1] + 1)
        k2 = (min(kernel, mid[0]), min(kernel, mid[1]))
        rest = (mid[0] - k2[0] + 1, mid[1] - k2[1] + 1)
        a, b = filters
        self.body = nn.Sequential(
            nn.Conv2d(n_features, a, k1),
            nn.BatchNorm2d(a),
            nn.PReLU(),
            nn.Dropout(dropout),
            nn.Conv2d(a, b, k2),
            nn.BatchNorm2d(b),
            nn.PReLU(),
        )
        self.final_layer = nn.Sequential(
            nn.Conv2d(b, n_outputs, rest), nn.BatchNorm2d(n_outputs), nn.PReLU()
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.final_layer(self.body(x)).flatten(1)}


@register_model("cnn_i")
@register_model("cnn_ii")
class FeatureCNN(TorchEstimator):
    """The feature CNN on ground-truth features computed from the standardised windows.

    Parameters: ``FeatureCNNParams``. ``cnn_i`` and ``cnn_ii`` are this model under the
    protocol that makes each one (pooled subjects versus one subject).
    """

    capabilities = frozenset({FINE_TUNE})
    defaults = FeatureCNNParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        self.arch = cnn_arch(p)
        self.noise_sd = float(p.noise_sd)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.feat_mean = np.zeros((len(FEATURES), n_chans))
        self.feat_sd = np.ones((len(FEATURES), n_chans))
        self._inputs: dict[tuple, np.ndarray] = {}

    def build_module(self) -> nn.Module:
        return FeatureCNNNet(len(FEATURES), self.n_chans, self.n_outputs, **self.arch)

    def features(self, data: Subset) -> np.ndarray:
        """z-scored features (n, F, C) of the windows, cached per subset."""
        key = data.key
        if key not in self._inputs:
            raw = subset_window_features(data, self.mean, self.sd)
            self._inputs[key] = ((raw - self.feat_mean) / self.feat_sd).astype(np.float32)
        return self._inputs[key]

    def fit_statistics(self, train: Subset) -> None:
        """Channel standardisation, then the features' z-scoring, from ``train`` only."""
        self.mean, self.sd = train.channel_stats()
        raw = subset_window_features(train, self.mean, self.sd)
        self.feat_mean, self.feat_sd = raw.mean(axis=0), raw.std(axis=0)
        self.feat_sd[self.feat_sd == 0] = 1.0
        self._inputs = {}

    def train_batches(
        self, data: Subset, rng: np.random.Generator
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        z = self.features(data)
        order = rng.permutation(len(data))
        size = int(self.training["batch_size"])
        for i in range(0, order.size, size):
            pos = order[i : i + size]
            x = torch.from_numpy(z[pos]).to(self.device)
            y = torch.from_numpy(data.y[pos]).to(self.device)
            yield feature_copies(x, self.arch["copies"], self.noise_sd), y

    @torch.no_grad()
    def logits(self, data: Subset) -> np.ndarray:
        self.module.eval()
        z = self.features(data)
        out = []
        for i in range(0, len(z), 2048):
            x = torch.from_numpy(z[i : i + 2048]).to(self.device)
            x = feature_copies(x, self.arch["copies"], 0.0)
            out.append(self.module(x)["logits"].float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_outputs), np.float32)

    def extra_state(self) -> dict:
        return {"feat_mean": self.feat_mean, "feat_sd": self.feat_sd}

    def load_extra_state(self, ckpt: dict) -> None:
        self.feat_mean, self.feat_sd = ckpt["feat_mean"], ckpt["feat_sd"]
        self._inputs = {}
