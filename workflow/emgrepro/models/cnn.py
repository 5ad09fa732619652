"""The CSAE's encoder and classifier without decoder or sparsity: the ablation that shows
what the autoencoder adds (Hristov et al. 2026 comparison, our construction).

Used by: hristov2026. DOI 10.48550/arXiv.2601.23011.
"""

from __future__ import annotations

from emgrepro.models import register_model
from emgrepro.models.csae import CSAE


@register_model("cnn")
class CNN(CSAE):
    """Same layers, defaults and training as ``csae``, without decoder: cross-entropy only."""

    decoder = False

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        *,
        filters: list[int] = (16, 32, 32),
        latent_chans: int = 16,
        kernel: int = 9,
        stride: int = 2,
        pool_steps: int = 8,
        hidden: int = 64,
        dropout: float = 0.3,
        log_pool: bool = False,
        **common,
    ) -> None:
        super().__init__(
            n_chans,
            n_outputs,
            n_times,
            filters=filters,
            latent_chans=latent_chans,
            kernel=kernel,
            stride=stride,
            pool_steps=pool_steps,
            hidden=hidden,
            dropout=dropout,
            log_pool=log_pool,
            l1=0.0,
            recon_weight=0.0,
            **common,
        )
