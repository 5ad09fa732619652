"""The CSAE's encoder and classifier without decoder or sparsity: the ablation that shows
what the autoencoder adds (Hristov et al. 2026 comparison, our construction).

Used by: hristov2026. DOI 10.48550/arXiv.2601.23011.
"""

from __future__ import annotations

from emgrepro.models import register_model
from emgrepro.models.csae import CSAE, CSAEArch


@register_model("cnn")
class CNN(CSAE):
    """Same layers, defaults and training as ``csae``, without decoder: cross-entropy only."""

    decoder = False

    defaults = CSAEArch()
