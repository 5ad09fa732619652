"""LSTM feature-imitation network (FIN): Wu, Atashzar, Ghassemi, Alhanai, "An LSTM Feature
Imitation Network for Hand Movement Recognition from sEMG Signals" (arXiv 2405.19356).

Used by: wu2024. DOI 10.48550/arXiv.2405.19356.

Each channel-window is a univariate sequence (600 x 1). One bidirectional LSTM per feature
(input 1, hidden 32, 3 layers) reads it, and a linear layer on the final hidden state
predicts that feature (ENT, RMS, VAR, SSI; z-scored). Loss MSE, Adam lr 1e-3, weight decay
2e-5, batches of 4000 sequences, early stopping (from the authors' code; REFERENCE.md).
The job scores how well the FIN imitates each feature: R^2 and MAP per test subject.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from emgrepro.features.window_stats import FEATURES, subset_window_features
from emgrepro.models import EVALUATE, register_model, split_arguments
from emgrepro.preprocess.table import Subset
from emgrepro.tidy import SCORE_COLUMNS
from emgrepro.training import TorchEstimator


@dataclass(frozen=True)
class FINParams:
    """One FIN's LSTM: ``hidden`` units, ``layers``, ``bidirectional`` (the paper's). Declared
    once here: the FIN+CNN (``lstm_fin_cnn``) inherits them, so that its LSTMs take a
    pre-trained FIN's weights."""

    hidden: int = 32
    layers: int = 3
    bidirectional: bool = True


def fin_arch(p: FINParams) -> dict:
    """The FIN's layers as the network takes them and a checkpoint records them (``fin``):
    the pre-trained FIN and the FIN+CNN that loads it compare these dicts."""
    return {"hidden": int(p.hidden), "layers": int(p.layers), "bidirectional": p.bidirectional}


class FIN(nn.Module):
    """One feature: LSTM over a (batch, time) sequence -> linear read-out of the final
    hidden state of the last layer (both directions)."""

    def __init__(self, hidden: int, layers: int, bidirectional: bool) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, layers, batch_first=True, bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1
        self.head = nn.Linear(hidden * self.directions, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x.unsqueeze(-1))
        last = h[-self.directions :].permute(1, 0, 2).reshape(x.shape[0], -1)
        return self.head(last).squeeze(-1)


class FINBank(nn.Module):
    """One FIN per feature, shared by all channels: (n, C, L) -> features (n, F, C)."""

    def __init__(self, n_features: int, **fin: object) -> None:
        super().__init__()
        self.fins = nn.ModuleList(FIN(**fin) for _ in range(n_features))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        n, c, length = x.shape
        flat = x.reshape(n * c, length)  # the channels of a batch go through one call
        return {"features": torch.stack([f(flat).reshape(n, c) for f in self.fins], dim=1)}


def r2_and_map(true: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """R^2 and MAP of one feature over channel-windows.

    The paper does not define MAP ("mean absolute percentage"); we read it as a mean
    percentage accuracy, each window's 1 - |error| / |true| floored at 0, on the feature's
    own (positive) scale: a fraction in [0, 1] (scores are fractions; the published
    values are percent).
    """
    resid = float(np.sum((pred - true) ** 2))
    total = float(np.sum((true - true.mean()) ** 2))
    r2 = 1.0 - resid / total if total > 0 else float("nan")
    ape = np.abs(pred - true) / np.maximum(np.abs(true), np.finfo(np.float64).tiny)
    return r2, float(np.mean(np.maximum(1.0 - ape, 0.0)))


@register_model("lstm_fin")
class FeatureImitator(TorchEstimator):
    """Pre-trains the four FINs on standardised channel-windows.

    ``n_outputs`` is ignored (the targets are the features). Parameters: ``FINParams``;
    ``training.batch_size`` counts sequences (channel-windows), as in the authors' code.
    """

    capabilities = frozenset({EVALUATE})
    defaults = FINParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        self.fin = fin_arch(p)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.target_mean = np.zeros(len(FEATURES))
        self.target_sd = np.ones(len(FEATURES))
        self._targets: dict[tuple, np.ndarray] = {}

    def build_module(self) -> nn.Module:
        return FINBank(len(FEATURES), **self.fin)

    # -- targets ----------------------------------------------------------------------
    def true_features(self, data: Subset) -> np.ndarray:
        """ENT/RMS/VAR/SSI of the windows (n, F, C), on this model's standardisation."""
        return subset_window_features(data, self.mean, self.sd)

    def _z_targets(self, data: Subset) -> np.ndarray:
        key = data.key
        if key not in self._targets:
            z = (self.true_features(data) - self.target_mean[None, :, None]) / self.target_sd[
                None, :, None
            ]
            self._targets[key] = z.astype(np.float32)
        return self._targets[key]

    def _windows_per_batch(self, inference: bool = False) -> int:
        sequences = int(self.training["batch_size"]) * (4 if inference else 1)
        return max(1, sequences // self.n_chans)

    # -- training ---------------------------------------------------------------------
    def fit_statistics(self, train: Subset) -> None:
        """Channel standardisation, then the targets' z-scoring, from ``train`` only."""
        self.mean, self.sd = train.channel_stats()
        feats = self.true_features(train)
        self.target_mean = feats.mean(axis=(0, 2))
        self.target_sd = feats.std(axis=(0, 2))
        self.target_sd[self.target_sd == 0] = 1.0
        self._targets = {}

    def train_batches(
        self, data: Subset, rng: np.random.Generator
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        targets = self._z_targets(data)
        order = rng.permutation(len(data))
        size = self._windows_per_batch()
        for i in range(0, order.size, size):
            pos = order[i : i + size]
            x = self._tensor(data.table.batch(data.rows[pos]))
            yield x, torch.from_numpy(targets[pos]).to(self.device)

    def loss(self, out: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(out["features"].float(), y)

    def val_score(self, val: Subset) -> float:
        return -float(np.mean((self.predict_z(val) - self._z_targets(val)) ** 2))

    # -- inference ----------------------------------------------------------------------
    @torch.no_grad()
    def predict_z(self, data: Subset) -> np.ndarray:
        """Predicted z-scored features (n, F, C)."""
        self.module.eval()
        size = self._windows_per_batch(inference=True)
        out = [
            self.module(self._tensor(data.table.batch(data.rows[i : i + size])))["features"]
            .float()
            .cpu()
            .numpy()
            for i in range(0, len(data), size)
        ]
        if not out:
            return np.zeros((0, len(FEATURES), self.n_chans), np.float32)
        return np.concatenate(out)

    def predict_features(self, data: Subset) -> np.ndarray:
        """Predicted features on their own scale (n, F, C)."""
        z = self.predict_z(data).astype(np.float64)
        return z * self.target_sd[None, :, None] + self.target_mean[None, :, None]

    def predict(self, data: Subset) -> np.ndarray:
        raise TypeError("lstm_fin imitates features; it does not classify (see score_rows)")

    def evaluate(self, test: Subset, ids: dict) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """R^2 and MAP of each feature per test subject, and the arrays behind them."""
        true, pred = self.true_features(test), self.predict_features(test)
        subject = test.subject
        # trainable parameters of one FIN (one feature), as the paper counts "the LSTM"
        n_params = sum(p.numel() for p in self.module.fins[0].parameters() if p.requires_grad)
        rows = []
        for s in np.unique(subject):
            m = subject == s
            for f, name in enumerate(FEATURES):
                r2, map_ = r2_and_map(true[m, f].ravel(), pred[m, f].ravel())
                rows.append({**ids, "subject": int(s), "metric": f"r2_{name}", "value": r2})
                rows.append({**ids, "subject": int(s), "metric": f"map_{name}", "value": map_})
            rows.append(
                {**ids, "subject": int(s), "metric": "n_test_windows", "value": float(m.sum())}
            )
            rows.append(
                {**ids, "subject": int(s), "metric": "n_parameters", "value": float(n_params)}
            )
        arrays = {
            "features_true": true.astype(np.float32),
            "features_pred": pred.astype(np.float32),
            "subject": subject,
            "features": np.asarray(FEATURES),
        }
        return pd.DataFrame(rows, columns=SCORE_COLUMNS), arrays

    # -- checkpoints --------------------------------------------------------------------
    def extra_state(self) -> dict:
        return {
            "target_mean": self.target_mean,
            "target_sd": self.target_sd,
            "features": list(FEATURES),
            "fin": self.fin,
        }

    def load_extra_state(self, ckpt: dict) -> None:
        self.target_mean, self.target_sd = ckpt["target_mean"], ckpt["target_sd"]


PUBLISHED_PARAMETERS = 22_508  # Sec. 3.1: "The total number of trainable parameters in the LSTM"


def parameter_readings(
    hidden: int = FINParams.hidden, layers: int = FINParams.layers
) -> dict[str, int]:
    """Trainable parameters of one FIN under each plausible reading of "three layers,
    hidden size 32" (counted on the built modules): none gives the published 22,508."""

    def count(module: nn.Module) -> int:
        return int(sum(p.numel() for p in module.parameters() if p.requires_grad))

    out = {}
    for bidirectional in (True, False):
        dirs = 2 if bidirectional else 1
        way = "bidirectional" if bidirectional else "unidirectional"
        fin = FIN(hidden, layers, bidirectional)
        ours = " (ours)" if bidirectional else ""
        out[f"{way}, two bias vectors (PyTorch){ours}"] = count(fin)
        one_bias = count(fin) - layers * dirs * 4 * hidden  # Keras/TensorFlow: one bias
        out[f"{way}, one bias vector (Keras)"] = one_bias
        out[f"{way}, LSTM without the linear read-out"] = count(fin.lstm)
    half = FIN(hidden // 2, layers, True)  # 32 units in all, 16 per direction
    out[f"bidirectional, {hidden // 2} units per direction"] = count(half)
    return out
