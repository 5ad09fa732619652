"""The CSAE's encoder and classifier without decoder or sparsity: the ablation that shows
what the autoencoder adds (Hristov et al. 2026 comparison, our construction)."""

from __future__ import annotations

from torch import nn

from emgrepro.models import register_model
from emgrepro.models.csae import CSAE, CSAENet


@register_model("cnn")
class CNN(CSAE):
    """Same layers, defaults and training as ``csae``, without decoder: cross-entropy only."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **kwargs) -> None:
        kwargs.update(l1=0.0, recon_weight=0.0)
        super().__init__(n_chans, n_outputs, n_times, **kwargs)

    def build_module(self) -> nn.Module:
        return CSAENet(self.n_chans, self.n_outputs, self.n_times, decoder=False, **self.arch)
