"""One job: load windows, split by protocol, fit (or adapt) a model, score the test subjects."""

from __future__ import annotations

import json
import logging
import platform
import random
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from emgrepro.errors import EmgreproError
from emgrepro.io import atomic_path, write_csv, write_text
from emgrepro.models import EVALUATE, MODELS, build_model, capabilities
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows
from emgrepro.protocols import PROTOCOLS
from emgrepro.scoring import count_rows, f1_rows, score_rows

if TYPE_CHECKING:  # not imported at run time: the job plan's code is not the job's code
    from emgrepro.job_plan import JobFiles

log = logging.getLogger(__name__)


def seed_everything(seed: int, threads: int = 1) -> None:
    """Seed every generator a job may touch; deterministic algorithms on the CPU; at most
    ``threads`` threads for torch and for BLAS/OpenMP (numpy, scipy, scikit-learn).

    torch is seeded only when the job's model imported it (import the model first):
    a classical job is spared the seconds torch takes to import. BLAS libraries start a
    thread per core otherwise, and on a machine shared with other jobs small matrix
    operations (a PCA of a few hundred windows) then run a hundred times slower.
    """
    threadpool_limits(limits=threads)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True, warn_only=True)


def hardware(device=None, threads: int = 1) -> str:
    """What the job ran on, for timing tables: the GPU's name, else the CPU's and the
    job's thread count (``seed_everything`` gives torch the same)."""
    if device is not None and getattr(device, "type", "") == "cuda":
        import torch

        return f"GPU {torch.cuda.get_device_name(device)}"
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU {name} ({threads} thread(s))"


def peak_memory_mb(device=None) -> dict[str, float]:
    """Peak resident memory of this process (and of the GPU, on CUDA), in MB: what the
    profiles' ``mem_mb`` must cover. Under warm starts the process is a fork of the server,
    so its peak includes the libraries the server imported, as a cold job's would."""
    out = {"rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device is not None and getattr(device, "type", "") == "cuda":
        import torch

        out["cuda"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return out


def load_table(
    spec: dict, windows: Sequence[Path | str], signals: Sequence[Path | str]
) -> WindowTable:
    """The windows of the subjects the job's split reads, one ``windows.npz`` and its
    ``signal.npy`` per subject: given in full, no more, so that a rule's declared inputs
    are what the job reads."""
    protocol = PROTOCOLS.get(spec["protocol"])
    needed = protocol.subjects_needed(spec["fold"], spec["subjects"], spec["protocol_params"])
    if len(signals) != len(windows):
        raise EmgreproError(
            f"--signals: {len(signals)} file(s) for {len(windows)} window index(es); pass "
            "each subject's signal.npy in the order of --windows"
        )
    subjects = [SubjectWindows.from_files(w, s) for w, s in zip(windows, signals, strict=True)]
    got = [sw.subject for sw in subjects]
    if sorted(got) != sorted(int(s) for s in needed):
        raise EmgreproError(
            f"--windows: fold {spec['fold']} of {spec['protocol']} reads the windows of "
            f"subject(s) {sorted(int(s) for s in needed)}, the files given hold {got}; pass "
            "one windows.npz per subject (emgrepro.job_plan.job_files lists them)"
        )
    return WindowTable(subjects, spec["classes"])


def run_job(spec: dict, files: JobFiles, threads: int = 1) -> dict:
    """Run one (experiment, protocol, model, fold, seed) job and write its outputs.

    A job whose protocol starts from another job's model (few-shot, incremental) loads
    ``files.parent`` first and also scores that model on the same test windows of the
    parent's classes (``f1_macro_base_model``) beside the adapted one
    (``f1_macro_base_classes``): the gain of adaptation, or the forgetting of extension.
    """
    MODELS.get(spec["model"])  # its module (and torch, if it needs it) before seeding
    seed_everything(spec["seed"], threads)
    protocol = PROTOCOLS.get(spec["protocol"])
    where = f"{spec['experiment']}/{spec['protocol']}/fold-{spec['fold']}"
    params = protocol.params(
        spec["protocol_params"], f"experiments/{spec['experiment']}/protocols/{spec['protocol']}"
    )
    parent = spec.get("extra", {}).get("parent")
    n_base = None
    if parent:
        n_base = len(parent["classes"])
        if list(spec["classes"][:n_base]) != list(parent["classes"]):
            raise EmgreproError(
                f"{spec['experiment']}: its classes {spec['classes']} must start with the "
                f"classes {parent['classes']} of the model it starts from"
            )
    split = protocol.split(
        load_table(spec, files.windows, files.signals),
        spec["fold"],
        spec["subjects"],
        params,
        spec["seed"],
        n_base,
    )
    table = split.table
    if split.train.size == 0 or split.test.size == 0:
        raise EmgreproError(
            f"{where}: the split has {split.train.size} training and {split.test.size} test "
            "windows; check the protocol's repetitions and the experiment's classes"
        )
    model = build_model(
        spec["model"],
        n_chans=table.n_chans,
        n_outputs=n_base or len(spec["classes"]),
        n_times=table.n_times,
        fs=table.fs,
        training=spec["training"],
        # a model that cannot use a GPU runs on the CPU (config.jobs writes it so)
        device=spec.get("device") or ("auto" if MODELS.get(spec["model"]).uses_gpu else "cpu"),
        seed=spec["seed"],
        **spec["model_params"],
    )
    train, test = table.subset(split.train), table.subset(split.test)
    val = table.subset(split.val) if split.val.size else None
    ids = {
        k: spec[k] for k in ("paper", "experiment", "dataset", "protocol", "model", "fold", "seed")
    }
    condition = split.info.get("condition", "")
    if protocol.leaky:  # shown beside the paper's protocol, never taken for it
        condition = f"{condition} (leaky)".strip()
    ids.update(
        condition=condition,
        n_classes=len(spec["classes"]),
        # the config's twin source, or a twin's marker in the data themselves
        data="synthetic" if spec.get("data") == "synthetic" or table.synthetic else "real",
    )
    base_rows = None
    frames = []
    if parent:
        if files.parent is None:
            raise EmgreproError(f"{where}: needs the model of {parent} (--parent-model)")
        model.load(Path(files.parent))
        base_rows = split.test[table.y[split.test] < n_base]
        base = table.subset(base_rows)
        frames.append(
            f1_rows("f1_macro_base_model", base.y, model.predict(base), base.subject, ids)
        )
    expected = sorted(spec.get("extra", {}).get("init", {}))
    if sorted(files.init) != expected:
        raise EmgreproError(
            f"{where}: needs the pre-trained parts {expected} (--init NAME=PATH), "
            f"got {sorted(files.init)}"
        )
    if files.init:
        model.initialise({k: Path(v) for k, v in files.init.items()})
    history_start = len(getattr(model, "history", []))  # a parent's epochs come before
    t0 = time.perf_counter()
    fit_info = protocol.train(model, train, val, params, n_base) or {}
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    staged = protocol.score(model, split, params, ids)
    y_pred = None  # the model's test predictions, when this job made them
    if staged is not None:  # the protocol scores over its own stages
        scores, arrays = staged
        frames.insert(0, scores)
    elif EVALUATE in capabilities(model):  # not a classifier (e.g. feature imitation)
        scores, arrays = model.evaluate(test, ids)
        frames.insert(0, scores)
    else:
        y_pred = np.asarray(model.predict(test))
        frames.insert(0, score_rows(test.y, y_pred, test.subject, ids))
        arrays = {
            "y_true": test.y,
            "y_pred": y_pred,
            "subject": test.subject,
            "classes": np.asarray(spec["classes"]),
            # the test window (index in its subject's windows) and the window whose label
            # it is scored against: the same unless the protocol moves labels in time
            "window": table.meta["local"].to_numpy()[split.test],
            "label_window": table.meta["label_local"].to_numpy()[split.test],
        }
    predict_seconds = time.perf_counter() - t0
    if base_rows is not None:
        if y_pred is None:  # a protocol that scored over its own stages
            y_pred = np.asarray(model.predict(test))
        in_base = table.y[split.test] < n_base
        frames.append(
            f1_rows(
                "f1_macro_base_classes",
                test.y[in_base],
                y_pred[in_base],
                test.subject[in_base],
                ids,
            )
        )
    frames.append(count_rows("n_train_windows", split.train.size, test.subject, ids))
    write_csv(pd.concat(frames, ignore_index=True), files.scores)
    with atomic_path(files.predictions) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    with atomic_path(files.model) as tmp:
        model.save(tmp)
    info = {
        "job": spec,
        "n_train": int(split.train.size),
        "n_val": int(split.val.size),
        "n_test": int(split.test.size),
        "split": split.info,
        "fit": fit_info,
        "history": getattr(model, "history", []),
        "history_start": history_start,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "hardware": hardware(getattr(model, "device", None), threads),
        "peak_memory_mb": peak_memory_mb(getattr(model, "device", None)),
    }
    write_text(files.info, json.dumps(info, indent=2, default=str))
    return info
