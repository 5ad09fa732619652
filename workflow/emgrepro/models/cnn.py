"""The CSAE's encoder and classifier without decoder or sparsity: the ablation that shows
what the autoencoder adds (Hristov et al. 2026 comparison, our construction)."""

from __future__ import annotations

from torch import nn

from emgrepro.models import register_model
from emgrepro.models.csae import CSAENet
from emgrepro.training import TorchEstimator


@register_model("cnn")
class CNN(TorchEstimator):
    """Same layers and defaults as ``csae``'s encoder and classifier; cross-entropy only."""

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        filters: list[int] = (16, 32, 32),
        latent_chans: int = 16,
        kernel: int = 9,
        stride: int = 2,
        pool_steps: int = 8,
        hidden: int = 64,
        dropout: float = 0.3,
        log_pool: bool = False,
        **kwargs,
    ) -> None:
        self.arch = dict(
            filters=tuple(filters),
            latent_chans=latent_chans,
            kernel=kernel,
            stride=stride,
            pool_steps=pool_steps,
            hidden=hidden,
            dropout=dropout,
            log_pool=log_pool,
        )
        super().__init__(n_chans, n_outputs, n_times, **kwargs)

    def build_module(self) -> nn.Module:
        return CSAENet(self.n_chans, self.n_outputs, self.n_times, decoder=False, **self.arch)
