"""LSTM-FIN + CNN-II of Wu et al. 2024: feature-imitating LSTMs feeding the feature CNN,
fine-tuned end to end on one subject from raw windows.

One FIN copy per (feature, channel): 48 LSTMs for 12 channels, each initialised from the
pre-trained FIN of its feature, and the CNN initialised from the subject's CNN-II (the
checkpoint hand-over of the paper's steps 1-4). LSTMs Adam lr 1e-3, weight decay 2e-5; CNN
Adam lr 0.01, weight decay 2e-4; batch 250; 10 epochs (REFERENCE.md). ``lstm_cnn_ii`` is
the same network whose LSTMs start from random weights (no FIN pre-training).

Used by: wu2024. DOI 10.48550/arXiv.2405.19356.

With ``share_channels: true`` the 12 channels of a feature share one FIN, run as one
batched LSTM call (12 times fewer kernel launches; our option, off by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from emgrepro.checkpoint import load_torch
from emgrepro.errors import EmgreproError
from emgrepro.features.window_stats import FEATURES, subset_window_features
from emgrepro.models import FINE_TUNE, INITIALISE, register_model, split_arguments
from emgrepro.models.feature_cnn import FeatureCNNNet, FeatureCNNParams, cnn_arch, feature_copies
from emgrepro.models.lstm_fin import FIN, FINParams, fin_arch
from emgrepro.preprocess.table import Subset
from emgrepro.training import TorchEstimator


class FINClassifierNet(nn.Module):
    """Raw standardised window (n, C, L) -> imitated features -> feature CNN -> logits."""

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        fin: dict,
        cnn: dict,
        share_channels: bool,
        noise_sd: float,
    ) -> None:
        super().__init__()
        per_feature = 1 if share_channels else n_chans
        self.fins = nn.ModuleList(
            nn.ModuleList(FIN(**fin) for _ in range(per_feature)) for _ in FEATURES
        )
        self.cnn = FeatureCNNNet(len(FEATURES), n_chans, n_outputs, **cnn)
        self.copies, self.noise_sd = int(cnn["copies"]), float(noise_sd)
        f, c = len(FEATURES), n_chans
        # FIN output scale -> feature scale -> the CNN's input z-scale (fixed, not trained)
        self.register_buffer("fin_mean", torch.zeros(f))
        self.register_buffer("fin_sd", torch.ones(f))
        self.register_buffer("feat_mean", torch.zeros(f, c))
        self.register_buffer("feat_sd", torch.ones(f, c))

    def imitated(self, x: torch.Tensor) -> torch.Tensor:
        """FIN outputs (n, F, C) on the FINs' z-scale."""
        n, c, length = x.shape
        out = []
        for copies in self.fins:
            if len(copies) == 1:
                out.append(copies[0](x.reshape(n * c, length)).reshape(n, c))
            else:
                out.append(torch.stack([copies[k](x[:, k]) for k in range(c)], dim=1))
        return torch.stack(out, dim=1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self.imitated(x) * self.fin_sd[:, None] + self.fin_mean[:, None]
        z = (feats - self.feat_mean) / self.feat_sd
        noise = self.noise_sd if self.training else 0.0
        return {"logits": self.cnn(feature_copies(z, self.copies, noise))["logits"]}


@dataclass(frozen=True)
class FINCNNParams(FeatureCNNParams, FINParams):
    """The FIN's parameters, then the feature CNN's (inherited, fields from the last base to
    the first: the parts are built like the checkpoints they are initialised from), then
    its own: ``share_channels`` (one FIN per feature for all channels), ``fin_lr`` and
    ``fin_weight_decay`` for the LSTMs (the CNN uses ``training.lr`` and
    ``training.weight_decay``)."""

    share_channels: bool = False
    fin_lr: float = 1e-3
    fin_weight_decay: float = 2e-5


@register_model("lstm_fin_cnn_ii")
@register_model("lstm_cnn_ii")
class FINClassifier(TorchEstimator):
    """Parameters: ``FINCNNParams``. Pre-trained parts come from ``initialise``."""

    capabilities = frozenset({FINE_TUNE, INITIALISE})
    defaults = FINCNNParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        self.fin, self.cnn = fin_arch(p), cnn_arch(p)
        self.share_channels, self.noise_sd = bool(p.share_channels), float(p.noise_sd)
        self.fin_lr, self.fin_weight_decay = float(p.fin_lr), float(p.fin_weight_decay)
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.initialised: list[str] = []

    def build_module(self) -> nn.Module:
        return FINClassifierNet(
            self.n_chans, self.n_outputs, self.fin, self.cnn, self.share_channels, self.noise_sd
        )

    def initialise(self, parts: dict[str, Path]) -> None:
        """Load pre-trained parts: ``fin`` (an lstm_fin checkpoint) into every FIN copy of
        its feature, ``cnn`` (a cnn_ii checkpoint) into the CNN with its input scaling."""
        unknown = sorted(set(parts) - {"fin", "cnn"})
        if unknown:
            raise EmgreproError(f"{type(self).__name__}: unknown pre-trained part(s) {unknown}")
        net = self.module
        if "fin" in parts:
            ckpt = load_torch(parts["fin"], map_location=self.device)
            if list(ckpt.get("features", [])) != list(FEATURES) or ckpt["fin"] != self.fin:
                raise EmgreproError(
                    f"{parts['fin']}: FIN checkpoint {ckpt.get('fin')} / {ckpt.get('features')}"
                    f" does not match this model's FIN {self.fin} / {list(FEATURES)}"
                )
            for f, copies in enumerate(net.fins):
                prefix = f"fins.{f}."
                state = {
                    k[len(prefix) :]: v for k, v in ckpt["state"].items() if k.startswith(prefix)
                }
                for fin in copies:
                    fin.load_state_dict(state)
            net.fin_mean.copy_(torch.as_tensor(ckpt["target_mean"], dtype=torch.float32))
            net.fin_sd.copy_(torch.as_tensor(ckpt["target_sd"], dtype=torch.float32))
        if "cnn" in parts:
            ckpt = load_torch(parts["cnn"], map_location=self.device)
            if ckpt["n_outputs"] != self.n_outputs:
                raise EmgreproError(
                    f"{parts['cnn']}: CNN checkpoint has {ckpt['n_outputs']} outputs, "
                    f"this model {self.n_outputs}"
                )
            net.cnn.load_state_dict(ckpt["state"])
            net.feat_mean.copy_(torch.as_tensor(ckpt["feat_mean"], dtype=torch.float32))
            net.feat_sd.copy_(torch.as_tensor(ckpt["feat_sd"], dtype=torch.float32))
        self.initialised = sorted(parts)

    def fit_statistics(self, train: Subset) -> None:
        """Channel standardisation; scalings not taken from a pre-trained part are fitted
        on the training split."""
        self.mean, self.sd = train.channel_stats()
        missing = {"fin", "cnn"} - set(self.initialised)
        if not missing:
            return
        raw = subset_window_features(train, self.mean, self.sd)
        net = self.module
        if "fin" in missing:
            sd = raw.std(axis=(0, 2))
            net.fin_mean.copy_(torch.as_tensor(raw.mean(axis=(0, 2)), dtype=torch.float32))
            net.fin_sd.copy_(torch.as_tensor(np.where(sd > 0, sd, 1.0), dtype=torch.float32))
        if "cnn" in missing:
            sd = raw.std(axis=0)
            net.feat_mean.copy_(torch.as_tensor(raw.mean(axis=0), dtype=torch.float32))
            net.feat_sd.copy_(torch.as_tensor(np.where(sd > 0, sd, 1.0), dtype=torch.float32))

    def param_groups(self) -> list:
        """The LSTMs at their own learning rate and weight decay, the CNN at training's."""
        return [
            {
                "params": list(self.module.fins.parameters()),
                "lr": self.fin_lr,
                "weight_decay": self.fin_weight_decay,
            },
            {"params": list(self.module.cnn.parameters())},
        ]
