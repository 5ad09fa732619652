"""The base of scikit-learn models: the arguments every model gets, and checkpoints.

Used by: every paper's classical baselines (td_lda, svm, ...). Registers no model.
"""

from __future__ import annotations

from pathlib import Path

from emgrepro.checkpoint import load_sklearn, save_sklearn


class ClassicalEstimator:
    """Holds the signal shape and the common arguments; subclasses set ``self.state()``."""

    uses_gpu = False
    capabilities = frozenset()
    checkpoint = ".skops"  # scikit-learn objects, saved with skops (loads no code)

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        *,
        fs: float | None = None,
        training: dict | None = None,
        device: str = "cpu",
        seed: int = 0,
    ) -> None:
        if device != "cpu":
            raise ValueError(
                f"{type(self).__name__} is a scikit-learn model: it runs on the CPU only, "
                f"not on device '{device}'"
            )
        self.n_chans, self.n_outputs, self.n_times = n_chans, n_outputs, n_times
        self.fs, self.seed = fs, int(seed)
        self.history: list[dict] = []

    @classmethod
    def check_params(cls, params: dict, where: str) -> None:
        """Checks beyond the declared types, at plan time (none here)."""

    def state(self) -> dict:
        """What a checkpoint keeps (fitted pipeline and statistics)."""
        raise NotImplementedError

    def set_state(self, state: dict) -> None:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        save_sklearn(self.state(), path)

    def load(self, path: Path) -> None:
        self.set_state(load_sklearn(path))
