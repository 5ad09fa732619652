"""Gradient training shared by every PyTorch model: standardisation fitted on the
training split, seeded shuffling, early stopping on validation macro F1, checkpoints and
fine-tuning of chosen layers. Nothing here knows a model: what one model adds (new output
classes, extra checkpoint entries) lives in its own file, through the hooks below."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from emgrepro.checkpoint import load_torch, save_torch
from emgrepro.preprocess.table import Subset

log = logging.getLogger(__name__)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _progress(record: dict, max_epochs: int, best: float, best_epoch: int, history) -> str:
    """One line per epoch: epoch k/n, loss, validation score, time, time left at most."""
    stage = [h for h in history if h["stage"] == record["stage"]]
    per_epoch = float(np.mean([h["seconds"] for h in stage]))
    left = (max_epochs - record["epoch"]) * per_epoch
    line = (
        f"{record['stage']} epoch {record['epoch']}/{max_epochs}: loss {record['train_loss']:.4f}"
    )
    if "val_score" in record:
        line += f", validation {record['val_score']:.4f} (best {best:.4f} at {best_epoch})"
    minutes, seconds = divmod(int(round(left)), 60)
    return line + f", {record['seconds']:.1f} s, at most {minutes} min {seconds:02d} s left"


class TorchEstimator:
    """Base of the PyTorch models: subclasses build ``self.module`` and may add loss terms,
    statistics fitted on the training split (``fit_statistics``), parameter groups and
    checkpoint entries (``extra_state``).

    ``training`` keys: ``max_epochs``, ``patience``, ``batch_size``, ``lr``,
    ``weight_decay`` (see config/schema.yaml).
    """

    uses_gpu = True
    capabilities: frozenset[str] = frozenset()  # each model declares what it can do
    checkpoint = ".pt"  # torch.save

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        *,
        training: dict | None = None,
        device: str = "auto",
        seed: int = 0,
        fs: float | None = None,
    ) -> None:
        self.n_chans, self.n_outputs, self.n_times = n_chans, n_outputs, n_times
        self.training = {
            "max_epochs": 30,
            "patience": 5,
            "batch_size": 256,
            "lr": 1e-3,
            "weight_decay": 0.0,
            "augment_gain": 0.0,
            "momentum": 0.0,
            **(training or {}),
        }
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.fs = fs
        self.mean = np.zeros(n_chans, dtype=np.float32)
        self.sd = np.ones(n_chans, dtype=np.float32)
        self.module: nn.Module = self.build_module()
        self.module.to(self.device)
        self.history: list[dict] = []
        self.freeze_batchnorm = False  # keep running statistics fixed (fine-tuning)
        self.train_only: nn.Module | None = None  # the only part in training mode

    @classmethod
    def check_params(cls, params: dict, where: str) -> None:
        """Checks beyond the declared types, at plan time (none here)."""

    # -- to be provided by subclasses -------------------------------------------------
    def build_module(self) -> nn.Module:
        raise NotImplementedError

    def loss(self, out: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Classification loss; subclasses add their own terms."""
        return nn.functional.cross_entropy(out["logits"], y)

    # -- training ---------------------------------------------------------------------
    def _tensor(self, x: np.ndarray) -> torch.Tensor:
        x = (x - self.mean[None, :, None]) / self.sd[None, :, None]
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)

    def train_batches(
        self, data: Subset, rng: np.random.Generator, batch_size: int | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Shuffled training batches as tensors on the device (standardised windows)."""
        gain = float(self.training["augment_gain"])
        size = int(self.training["batch_size"]) if batch_size is None else int(batch_size)
        for xb, yb in data.batches(size, rng):
            x = self._tensor(xb)
            if gain:  # per-window, per-channel amplitude jitter: force varies by trial
                scale = rng.uniform(1 - gain, 1 + gain, size=(len(yb), x.shape[1], 1))
                x = x * torch.from_numpy(scale.astype(np.float32)).to(self.device)
            yield x, torch.from_numpy(yb).to(self.device)

    def val_score(self, val: Subset) -> float:
        """Higher is better: what early stopping follows (macro F1 for classifiers)."""
        return float(f1_score(val.y, self.predict(val), average="macro", zero_division=0))

    def optimizer(self, params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
        """Adam, AdamW or SGD with momentum (``training.optimizer``) over ``params``
        (tensors or groups)."""
        name = str(self.training.get("optimizer", "adam")).lower()
        if name == "sgd":
            momentum = float(self.training.get("momentum", 0.0))
            return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
        cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}.get(name)
        if cls is None:
            raise ValueError(f"unknown optimizer '{name}'; choose adam, adamw or sgd")
        return cls(params, lr=lr, weight_decay=weight_decay)

    def _epochs(
        self,
        train: Subset,
        val: Subset | None,
        params: list,
        max_epochs: int,
        lr: float,
        weight_decay: float,
        patience: int | None,
        tag: str,
    ) -> dict:
        opt = self.optimizer(params, lr, weight_decay)
        rng = np.random.default_rng(self.seed)
        best_state, best_score, best_epoch, bad = None, -np.inf, 0, 0
        amp = self.device.type == "cuda"
        for epoch in range(1, max_epochs + 1):
            t0 = time.perf_counter()
            self.module.train()
            if self.train_only is not None:
                self.module.eval()
                self.train_only.train()
            if self.freeze_batchnorm:
                for m in self.module.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        m.eval()
            total, count = 0.0, 0
            for x, y in self.train_batches(train, rng):
                if len(y) < 2:  # a lone trailing window: batch norm needs two
                    continue
                opt.zero_grad(set_to_none=True)
                with torch.autocast(self.device.type, enabled=amp):
                    loss = self.loss(self.module(x), x, y)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(y)
                count += len(y)
            record = {
                "stage": tag,
                "epoch": epoch,
                "train_loss": total / max(count, 1),
                "seconds": time.perf_counter() - t0,
                "n_train": count,
            }
            if val is not None and len(val) and patience:
                score = self.val_score(val)
                record["val_score"] = score
                if score > best_score:
                    best_score, best_epoch, bad = score, epoch, 0
                    best_state = copy.deepcopy(self.module.state_dict())
                else:
                    bad += 1
            self.history.append(record)
            log.info("%s", _progress(record, max_epochs, best_score, best_epoch, self.history))
            if val is not None and patience and bad >= patience:
                break
        if best_state is not None:
            self.module.load_state_dict(best_state)
        return {
            "epochs": len([h for h in self.history if h["stage"] == tag]),
            "best_epoch": best_epoch or None,
            "best_val_score": (float(best_score) if best_state is not None else None),
        }

    def fit_statistics(self, train: Subset) -> None:
        """Everything fitted on the data before training (never on validation or test
        windows): here the per-channel standardisation."""
        self.mean, self.sd = train.channel_stats()

    def param_groups(self) -> list:
        """What the optimiser trains (tensors, or groups with their own lr)."""
        return list(self.module.parameters())

    def fit(self, train: Subset, val: Subset | None = None) -> dict:
        """Train from scratch; every statistic comes from ``train`` only."""
        self.fit_statistics(train)
        t = self.training
        return self._epochs(
            train,
            val,
            self.param_groups(),
            int(t["max_epochs"]),
            float(t["lr"]),
            float(t["weight_decay"]),
            int(t["patience"]),
            "fit",
        )

    def trainable(self, prefixes: list[str]) -> list[nn.Parameter]:
        """Parameters whose names start with one of ``prefixes``; all others frozen."""
        chosen = []
        for name, p in self.module.named_parameters():
            p.requires_grad = any(name.startswith(pre) for pre in prefixes)
            if p.requires_grad:
                chosen.append(p)
        if not chosen:
            names = sorted({n.split(".")[0] for n, _ in self.module.named_parameters()})
            raise ValueError(f"no parameter starts with {prefixes}; layers are {names}")
        return chosen

    def fine_tune(
        self,
        train: Subset,
        *,
        layers: list[str],
        epochs: int,
        lr: float,
        restandardise: bool = False,
        adapt_batchnorm: bool = False,
        weight_decay: float = 0.0,
    ) -> dict:
        """Adapt a trained model on a little data, updating only ``layers``.

        ``restandardise`` refits the channel statistics on the adaptation data (the new
        subject's own calibration trials); ``adapt_batchnorm`` lets batch-norm running
        statistics follow them.
        """
        if restandardise:
            self.mean, self.sd = train.channel_stats()
        params = self.trainable(layers)
        self.freeze_batchnorm = not adapt_batchnorm
        try:
            return self._epochs(train, None, params, epochs, lr, weight_decay, None, "fine_tune")
        finally:
            self.freeze_batchnorm = False
            for p in self.module.parameters():
                p.requires_grad = True

    # -- inference and checkpoints ----------------------------------------------------
    @torch.no_grad()
    def logits(self, data: Subset) -> np.ndarray:
        self.module.eval()
        out = [
            self.classify(self._tensor(xb)).float().cpu().numpy()
            for xb, _ in data.batches(max(int(self.training["batch_size"]), 512))
        ]
        return np.concatenate(out) if out else np.zeros((0, self.n_outputs), np.float32)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of standardised windows, by the module's inference path if it has one."""
        if hasattr(self.module, "classify"):
            return self.module.classify(x)
        return self.module(x)["logits"]

    def predict(self, data: Subset) -> np.ndarray:
        return self.logits(data).argmax(axis=1)

    def extra_state(self) -> dict:
        """Checkpoint entries beyond the weights and the standardisation."""
        return {}

    def load_extra_state(self, ckpt: dict) -> None:
        """Restore what ``extra_state`` saved."""

    def prepare_state(self, ckpt: dict) -> None:
        """Shape the module as the checkpoint's before its weights load (e.g. layers that a
        model added after it was built)."""

    def save(self, path: Path) -> None:
        save_torch(
            {
                "state": self.module.state_dict(),
                "mean": self.mean,
                "sd": self.sd,
                "n_outputs": self.n_outputs,
                "history": self.history,
                **self.extra_state(),
            },
            path,
        )

    def load(self, path: Path) -> None:
        ckpt = load_torch(path, map_location=self.device)
        self.prepare_state(ckpt)
        if ckpt["n_outputs"] != self.n_outputs:
            raise ValueError(
                f"{path}: checkpoint has {ckpt['n_outputs']} outputs, model {self.n_outputs}"
            )
        self.module.load_state_dict(ckpt["state"])
        self.mean, self.sd = ckpt["mean"], ckpt["sd"]
        self.history = list(ckpt.get("history", []))
        self.load_extra_state(ckpt)
