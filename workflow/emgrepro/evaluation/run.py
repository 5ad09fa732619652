"""One job: load windows, split by protocol, fit a model, score the test subjects."""

from __future__ import annotations

import json
import logging
import random
import time
from pathlib import Path

import numpy as np

from emgrepro.errors import EmgreproError
from emgrepro.evaluation.data import WindowTable
from emgrepro.evaluation.metrics import score_rows
from emgrepro.io import atomic_path, write_csv, write_text
from emgrepro.models import build_model
from emgrepro.preprocess.windows import SubjectWindows
from emgrepro.protocols import PROTOCOLS

log = logging.getLogger(__name__)


def seed_everything(seed: int, threads: int = 1) -> None:
    """Seed every generator a job may touch; deterministic algorithms on the CPU."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def load_table(spec: dict, windows_root: Path) -> tuple[WindowTable, list[int]]:
    protocol = PROTOCOLS.get(spec["protocol"])
    needed = protocol.subjects_needed(spec["fold"], spec["subjects"], spec["protocol_params"])
    subjects = [SubjectWindows.load(windows_root / f"sub-{s}") for s in needed]
    return WindowTable(subjects, spec["classes"]), needed


def run_job(spec: dict, windows_root: Path, scores_out: Path, predictions_out: Path) -> dict:
    """Run one (experiment, protocol, model, fold, seed) job and write its outputs."""
    seed_everything(spec["seed"], spec.get("threads", 1))
    table, _ = load_table(spec, Path(windows_root))
    protocol = PROTOCOLS.get(spec["protocol"])
    split = protocol.split(
        table.meta, spec["fold"], spec["subjects"], spec["protocol_params"], spec["seed"]
    )
    where = f"{spec['experiment']}/{spec['protocol']}/fold-{spec['fold']}"
    if split.train.size == 0 or split.test.size == 0:
        raise EmgreproError(
            f"{where}: the split has {split.train.size} training and {split.test.size} test "
            "windows; check the protocol's repetitions and the experiment's classes"
        )
    model = build_model(
        spec["model"],
        n_chans=table.n_chans,
        n_outputs=len(spec["classes"]),
        n_times=table.n_times,
        fs=table.fs,
        training=spec["training"],
        device=spec.get("device", "auto"),
        seed=spec["seed"],
        **spec["model_params"],
    )
    train, test = table.subset(split.train), table.subset(split.test)
    val = table.subset(split.val) if split.val.size else None
    t0 = time.perf_counter()
    fit_info = model.fit(train, val) or {}
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    y_pred = np.asarray(model.predict(test))
    predict_seconds = time.perf_counter() - t0
    ids = {
        k: spec[k] for k in ("paper", "experiment", "dataset", "protocol", "model", "fold", "seed")
    }
    ids.update(n_classes=len(spec["classes"]), data=spec.get("data", "real"))
    write_csv(score_rows(test.y, y_pred, test.subject, ids), scores_out)
    with atomic_path(predictions_out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                y_true=test.y,
                y_pred=y_pred,
                subject=test.subject,
                classes=np.asarray(spec["classes"]),
            )
    info = {
        "job": spec,
        "n_train": int(split.train.size),
        "n_val": int(split.val.size),
        "n_test": int(split.test.size),
        "split": split.info,
        "fit": fit_info,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
    }
    write_text(Path(scores_out).with_suffix(".json"), json.dumps(info, indent=2, default=str))
    return info
