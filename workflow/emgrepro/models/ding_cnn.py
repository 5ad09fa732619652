"""The parallel multi-scale CNN of Ding, Yang, Tian, Yi, Fu, Jiang 2018, "sEMG-Based Gesture
Recognition with Convolution Neural Networks", Sustainability 10(6):1865, and the ablations
it is compared with (C-SK, C-SK2, C-2B1, C-2B2, C-DK): one configurable family.

Used by: ding2018. DOI 10.3390/su10061865.

A window of 12 electrodes x 200 samples (100 ms at 2 kHz) is an image (electrodes x time,
one input channel). What the paper states (through document 002, its close paraphrase):

* Block 1: five convolutions. The first three have 40 filters of 1 x 13, stride 1, zero
  padding 0; a 1 x 2 max pool follows the first and the second. The last two are "similar
  ... except for the first dimension of kernel filter": they mix the electrodes.
* Block 2: the same with 1 x 57 kernels in the first three convolutions and no pooling.
* The blocks run in parallel; their outputs are concatenated into 520 units, then fully
  connected layers of 260 and 130 units and the output layer (17 gestures), dropout 0.5 after
  the first two; batch normalisation between every convolution and its activation.

Our choices (not found in any reachable text; marked in config/papers/ding2018.yaml):

* The electrode-mixing layers are 6 x 13 then 7 x 13 (``mix_heights``, ``mix_width``). The
  520 units fix them: block 1 leaves 29 time steps before mixing, block 2 leaves 32; two
  width-13 layers leave 5 and 8, and 40 x (5 + 8) = 520 only if the two layers reduce the
  12 electrodes to one row (heights summing to 13). Both layers differ from the first three
  "in the first dimension", so neither is 1 x 13 (which rules out 12 x 13 then 1 x 13), and
  "in these two layers the information from different electrodes is mixed": 6 then 7 splits
  the mixing between them.
* ReLU after every batch normalisation and fully connected hidden layer; PyTorch's default
  initialisation; convolutions without bias (batch normalisation follows each).
* The variants, read from the comparisons the paper draws (C-SK2, C-2B1, C-2B2, C-B1PB2 vary
  the kernel size; C-DK vs C-B1PB2 and C-SK vs C-SK2 "considering the sEMG signal
  characteristics", i.e. muscle independence): SK = one block of small kernels, 2B1 = two
  parallel blocks 1, 2B2 = two parallel blocks 2; C-SK and C-DK let the first three layers
  mix neighbouring electrodes already (``early_height`` 3, zero-padded along the electrodes
  so that the map keeps its 12 rows and the mixing layers stay as they are), C-SK2 and
  C-B1PB2 keep them electrode-wise (``early_height`` 1). Every variant keeps the 260 and 130
  unit classifier; its input is 40 x the time steps its blocks leave (200 per block 1, 320
  per block 2).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
from torch import nn

from emgrepro.errors import ConfigError
from emgrepro.models import FINE_TUNE, register_model, split_arguments
from emgrepro.training import TorchEstimator


def _conv_unit(c_in: int, c_out: int, kernel: tuple[int, int], pad_rows: int) -> nn.Sequential:
    """Convolution (stride 1, no padding in time) -> batch norm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=(pad_rows, 0), bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class DingBlock(nn.Sequential):
    """conv1 [pool1] conv2 [pool2] conv3 (kernels early_height x kernel) then mix1, mix2
    (kernels mix_heights[i] x mix_width): (n, 1, electrodes, time) -> (n, filters, rows, t)."""

    def __init__(
        self,
        kernel: int,
        pool: int,
        early_height: int,
        filters: int,
        mix_heights: list[int],
        mix_width: int,
    ) -> None:
        pad = (early_height - 1) // 2  # odd heights: the map keeps every electrode row
        layers: list[tuple[str, nn.Module]] = []
        c_in = 1
        for i in (1, 2, 3):
            layers.append((f"conv{i}", _conv_unit(c_in, filters, (early_height, kernel), pad)))
            if i < 3 and pool > 1:
                layers.append((f"pool{i}", nn.MaxPool2d((1, pool))))
            c_in = filters
        for i, height in enumerate(mix_heights, start=1):
            layers.append((f"mix{i}", _conv_unit(filters, filters, (height, mix_width), 0)))
        super().__init__(OrderedDict(layers))
        self.kernel, self.pool = kernel, pool
        self.mix_heights, self.mix_width = list(mix_heights), mix_width

    def out_shape(self, n_rows: int, n_times: int) -> tuple[int, int]:
        """(rows, time steps) this block leaves of an n_rows x n_times image."""
        t = n_times
        for i in (1, 2, 3):
            t = t - self.kernel + 1
            if i < 3 and self.pool > 1:
                t //= self.pool
        for h in self.mix_heights:
            n_rows, t = n_rows - h + 1, t - self.mix_width + 1
        return n_rows, t


class DingNet(nn.Module):
    """(n, electrodes, time) -> class logits: the parallel blocks, concatenated, then the
    fully connected classifier."""

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        *,
        kernels: list[int],
        pools: list[int],
        early_height: int,
        filters: int,
        mix_heights: list[int],
        mix_width: int,
        hidden: list[int],
        dropout: float,
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            DingBlock(k, p, early_height, filters, mix_heights, mix_width)
            for k, p in zip(kernels, pools)
        )
        n_features = 0
        for i, block in enumerate(self.blocks, start=1):
            rows, steps = block.out_shape(n_chans, n_times)
            if rows < 1 or steps < 1:
                raise ValueError(
                    f"block {i} (kernel {block.kernel}, pool {block.pool}) leaves {rows} x "
                    f"{steps} of a {n_chans} x {n_times} window: the window is too short or "
                    f"the mixing heights {mix_heights} exceed the {n_chans} electrodes"
                )
            n_features += filters * rows * steps
        self.n_features = n_features
        layers: list[nn.Module] = []
        width = n_features
        for units in hidden:
            layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
            width = units
        self.classifier = nn.Sequential(*layers)
        self.final_layer = nn.Linear(width, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The concatenated block outputs (n, n_features)."""
        image = x.unsqueeze(1)  # (n, 1, electrodes, time)
        return torch.cat([block(image).flatten(1) for block in self.blocks], dim=1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.final_layer(self.classifier(self.features(x)))}


@dataclass(frozen=True)
class DingParams:
    """The family's hyper-parameters; the defaults are C-B1PB2's, the proposed network.

    ``kernels`` (time width of the first three convolutions, one entry per parallel block),
    ``pools`` (max-pool width after convolutions 1 and 2 of each block; 1: none),
    ``early_height`` (electrode extent of those convolutions: 1 keeps the electrodes apart,
    an odd height > 1 mixes neighbours from the first layer on), ``filters``,
    ``mix_heights`` and ``mix_width`` (the electrode-mixing convolutions closing every
    block), ``hidden`` (fully connected units) and ``dropout``.
    """

    kernels: list[int] = (13, 57)
    pools: list[int] = (2, 1)
    early_height: int = 1
    filters: int = 40
    mix_heights: list[int] = (6, 7)
    mix_width: int = 13
    hidden: list[int] = (260, 130)
    dropout: float = 0.5


class DingCNN(TorchEstimator):
    """The family; each registered variant replaces some of the family's defaults."""

    capabilities = frozenset({FINE_TUNE})
    defaults = DingParams()

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, **arguments) -> None:
        p, common = split_arguments(self.defaults, arguments)
        self.check_params(dataclasses.asdict(p), type(self).__name__)
        self.arch = {
            "kernels": [int(k) for k in p.kernels],
            "pools": [int(k) for k in p.pools],
            "early_height": int(p.early_height),
            "filters": int(p.filters),
            "mix_heights": [int(h) for h in p.mix_heights],
            "mix_width": int(p.mix_width),
            "hidden": [int(h) for h in p.hidden],
            "dropout": float(p.dropout),
        }
        super().__init__(n_chans, n_outputs, n_times, **common)

    @classmethod
    def check_params(cls, params: dict, where: str) -> None:
        """Checks across parameters, at plan time: one pool per block, odd early heights."""
        p = {**dataclasses.asdict(cls.defaults), **params}
        if len(p["kernels"]) < 1 or len(p["kernels"]) != len(p["pools"]):
            raise ConfigError(
                f"{where}: kernels {list(p['kernels'])} and pools {list(p['pools'])} need one "
                "entry per parallel block (at least one)"
            )
        if min(p["pools"]) < 1 or min(p["kernels"]) < 1:
            raise ConfigError(f"{where}: kernels and pools must be >= 1 (pool 1: no pooling)")
        if p["early_height"] < 1 or p["early_height"] % 2 == 0:
            raise ConfigError(
                f"{where}/early_height: {p['early_height']} must be odd (1, 3, ...), so that "
                "zero padding keeps every electrode row"
            )
        if not 0.0 <= p["dropout"] < 1.0:
            raise ConfigError(f"{where}/dropout: {p['dropout']} must lie in [0, 1)")

    def build_module(self) -> nn.Module:
        return DingNet(self.n_chans, self.n_outputs, self.n_times, **self.arch)


@register_model("c_b1pb2")
class CB1PB2(DingCNN):
    """C-B1PB2, the proposed network (the paper): block 1 (1 x 13, pooled) in parallel with
    block 2 (1 x 57, not pooled), electrode-wise first layers."""


@register_model("c_sk")
class CSK(DingCNN):
    """C-SK (our reading): one block of small kernels whose first layers already mix
    neighbouring electrodes (3 x 13): no muscle independence."""

    defaults = replace(DingParams(), kernels=(13,), pools=(2,), early_height=3)


@register_model("c_sk2")
class CSK2(DingCNN):
    """C-SK2 (our reading): one block of small kernels with electrode-wise first layers
    (block 1 alone)."""

    defaults = replace(DingParams(), kernels=(13,), pools=(2,))


@register_model("c_2b1")
class C2B1(DingCNN):
    """C-2B1 (our reading): two parallel blocks of small kernels (block 1 twice)."""

    defaults = replace(DingParams(), kernels=(13, 13), pools=(2, 2))


@register_model("c_2b2")
class C2B2(DingCNN):
    """C-2B2 (our reading): two parallel blocks of large kernels (block 2 twice)."""

    defaults = replace(DingParams(), kernels=(57, 57), pools=(1, 1))


@register_model("c_dk")
class CDK(DingCNN):
    """C-DK (our reading): C-B1PB2 whose first layers already mix neighbouring electrodes
    (3 x 13 and 3 x 57): no muscle independence."""

    defaults = replace(DingParams(), early_height=3)
