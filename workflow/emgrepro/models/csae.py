"""Convolutional sparse autoencoder with a classifier on its latent code.

Hristov et al., "Leveraging Convolutional Sparse Autoencoders for Robust Movement
Classification from Low-Density sEMG", Scientific Reports 2026 (arXiv 2601.23011).

Used by: hristov2026. DOI 10.48550/arXiv.2601.23011.

Published: raw input T x C (1000 x 2), strided 1-D convolutions as learned down-sampling,
a symmetric decoder, an L1 penalty on the bottleneck activations, a classifier on the
learned representation. Everything else (widths, kernels, strides, latent size, lambda,
classifier, joint training) is our choice and a constructor argument set from the config.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from emgrepro.models import EXTEND, FINE_TUNE, register_model, split_arguments
from emgrepro.preprocess.table import Subset
from emgrepro.training import TorchEstimator


def _conv_len(n: int, kernel: int, stride: int, pad: int) -> int:
    return (n + 2 * pad - kernel) // stride + 1


@dataclass(frozen=True)
class CSAEArch:
    """The layers of the CSAE and of its CNN ablation (our choices: the paper gives none).

    ``filters`` of the strided encoder convolutions, ``latent_chans`` of the code,
    ``kernel`` and ``stride`` of every convolution, ``pool_steps`` of the pooled code,
    ``hidden`` units and ``dropout`` of the classifier, ``log_pool`` (log-compressed code).
    """

    filters: list[int] = (16, 32, 32)
    latent_chans: int = 16
    kernel: int = 9
    stride: int = 2
    pool_steps: int = 8
    hidden: int = 64
    dropout: float = 0.3
    log_pool: bool = False


@dataclass(frozen=True)
class CSAEParams(CSAEArch):
    """The CSAE's layers and its loss weights: ``l1`` on the code, ``recon_weight``."""

    l1: float = 1e-3
    recon_weight: float = 1.0


class CSAENet(nn.Module):
    """Encoder (strided conv) -> sparse latent -> [decoder] and classifier."""

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        arch: CSAEArch = CSAEArch(),
        decoder: bool = True,
    ) -> None:
        super().__init__()
        filters, latent_chans, kernel, stride = (
            arch.filters, arch.latent_chans, arch.kernel, arch.stride
        )  # fmt: skip
        pool_steps, hidden, dropout, log_pool = (
            arch.pool_steps, arch.hidden, arch.dropout, arch.log_pool
        )  # fmt: skip
        pad = kernel // 2
        widths = [n_chans, *filters, latent_chans]
        lengths = [n_times]
        enc: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            enc.append(nn.Conv1d(a, b, kernel, stride=stride, padding=pad))
            lengths.append(_conv_len(lengths[-1], kernel, stride, pad))
            last = i == len(widths) - 2
            enc += [nn.ReLU()] if last else [nn.BatchNorm1d(b), nn.ELU()]
        self.encoder = nn.Sequential(*enc)
        self.latent_shape = (latent_chans, lengths[-1])
        self.decoder = None
        if decoder:
            dec: list[nn.Module] = []
            rev = list(reversed(widths))
            for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
                n_in, n_out = lengths[-1 - i], lengths[-2 - i]
                extra = n_out - ((n_in - 1) * stride - 2 * pad + kernel)
                dec.append(
                    nn.ConvTranspose1d(
                        a, b, kernel, stride=stride, padding=pad, output_padding=extra
                    )
                )
                if i < len(widths) - 2:
                    dec += [nn.BatchNorm1d(b), nn.ELU()]
            self.decoder = nn.Sequential(*dec)
        self.pool = nn.AdaptiveAvgPool1d(pool_steps)
        self.log_pool = log_pool
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(latent_chans * pool_steps, hidden),
            nn.ELU(),
            nn.Dropout(dropout),
        )
        self.final_layer = nn.Linear(hidden, n_outputs)
        self.new_classes = None  # layers for classes added later (incremental learning)
        self.extension_mode = "branch"

    def add_classes(self, n_new: int, hidden: int = 64, mode: str = "branch") -> None:
        """New layers from the pooled latent code for ``n_new`` extra classes; the existing
        layers are left exactly as they are.

        ``branch``: the old head keeps scoring the old classes and a new branch scores the
        new ones. ``head``: a new head scores every class from the kept code (the old head
        is no longer used).
        """
        n_features = self.classifier[1].in_features
        n_out = n_new if mode == "branch" else self.final_layer.out_features + n_new
        self.new_classes = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ELU(), nn.Linear(hidden, n_out)
        )
        self.extension_mode = mode

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """Pooled latent activity; log-compressed like classical EMG amplitude features."""
        pooled = self.pool(z)
        return torch.log1p(pooled) if self.log_pool else pooled

    def head(self, f: torch.Tensor) -> torch.Tensor:
        if self.new_classes is not None and self.extension_mode == "head":
            return self.new_classes(f.flatten(1))
        logits = self.final_layer(self.classifier(f))
        if self.new_classes is not None:
            logits = torch.cat([logits, self.new_classes(f.flatten(1))], dim=1)
        return logits

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits only: the inference path, without the decoder."""
        return self.head(self.features(self.encoder(x)))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encoder(x)
        out = {"latent": z, "logits": self.head(self.features(z))}
        if self.decoder is not None:
            out["recon"] = self.decoder(z)
        return out


@register_model("csae")
class CSAE(TorchEstimator):
    """Joint training: cross-entropy + ``recon_weight`` * MSE + ``l1`` * mean |latent|.

    Joint rather than two-stage: the reconstruction and sparsity terms shape the code while
    the classification term keeps it discriminative, in one run of epochs.
    """

    capabilities = frozenset({FINE_TUNE, EXTEND})
    decoder = True
    defaults: CSAEArch = CSAEParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        layers = {f.name: getattr(p, f.name) for f in dataclasses.fields(CSAEArch)}
        self.arch = CSAEArch(**{**layers, "filters": tuple(p.filters)})
        # the ablation declares no loss weights: no reconstruction, no sparsity
        self.l1 = float(getattr(p, "l1", 0.0))
        self.recon_weight = float(getattr(p, "recon_weight", 0.0))
        super().__init__(n_chans, n_outputs, n_times, **common)
        self.n_new = 0  # classes added by ``extend``
        self.extension_hidden = 64
        self.extension_mode = "branch"

    def build_module(self) -> nn.Module:
        return CSAENet(self.n_chans, self.n_outputs, self.n_times, self.arch, self.decoder)

    def encode(self, windows: np.ndarray) -> dict[str, np.ndarray]:
        """The standardised windows, their latent code and (with a decoder) their
        reconstruction: what a report shows of the code's sparsity."""
        self.module.eval()
        x = self._tensor(windows)
        with torch.no_grad():
            out = self.module(x)
        arrays = {"input": x, "latent": out["latent"], "recon": out.get("recon")}
        return {k: v.cpu().numpy() for k, v in arrays.items() if v is not None}

    def extend(
        self,
        train: Subset,
        n_new: int,
        *,
        epochs: int,
        lr: float,
        hidden: int = 64,
        mode: str = "branch",
    ) -> dict:
        """Add ``n_new`` output classes through a new branch and train only that branch.

        Every existing weight and batch-norm statistic stays exactly as it was, and the
        old layers run in inference mode: the model is extended, never retrained.
        """
        self.module.add_classes(n_new, hidden, mode)
        self.module.new_classes.to(self.device)
        self.n_outputs += n_new
        self.n_new = n_new
        self.extension_hidden = hidden
        self.extension_mode = mode
        params = self.trainable(["new_classes"])
        self.train_only = self.module.new_classes
        try:
            return self._epochs(train, None, params, epochs, lr, 0.0, None, "extend")
        finally:
            self.train_only = None
            for p in self.module.parameters():
                p.requires_grad = True

    def extra_state(self) -> dict:
        return {
            "n_new": self.n_new,
            "extension_hidden": self.extension_hidden,
            "extension_mode": self.extension_mode,
        }

    def prepare_state(self, ckpt: dict) -> None:
        """An extended model's checkpoint holds the branch of its added classes."""
        if ckpt.get("n_new"):
            self.module.add_classes(
                ckpt["n_new"],
                ckpt.get("extension_hidden", 64),
                ckpt.get("extension_mode", "branch"),
            )
            self.module.new_classes.to(self.device)
            self.n_outputs += ckpt["n_new"]
            self.n_new = ckpt["n_new"]

    def load_extra_state(self, ckpt: dict) -> None:
        self.extension_hidden = ckpt.get("extension_hidden", 64)
        self.extension_mode = ckpt.get("extension_mode", "branch")

    def loss(self, out: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = nn.functional.cross_entropy(out["logits"], y)
        if self.recon_weight:
            loss = loss + self.recon_weight * nn.functional.mse_loss(out["recon"], x)
        if self.l1:
            loss = loss + self.l1 * out["latent"].abs().mean()
        return loss
