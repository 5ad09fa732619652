"""Hristov 2026's analyses beyond the scores: the sparsity of the CSAE's latent code and a
few reconstructions (the multi-subject model on one subject's test repetitions), and the
inference cost of one window for each model the paper compares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emgrepro import layout
from emgrepro.analyses import Analysis
from emgrepro.io import atomic_path, write_csv
from emgrepro.job_plan import JobSpec, job_files
from emgrepro.models import build_model
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows
from emgrepro.protocols import PROTOCOLS

EXPERIMENT, PROTOCOL, MODEL = "hristov2026_6class", "multi_subject", "csae"
COST_MODELS = ("csae", "cnn", "td_lda")  # the compared models, when the run has them
NEAR_ZERO = 0.01  # |z| below this counts as silent
MAX_WINDOWS = 256  # test windows encoded, evenly spread
SHOWN = 3  # reconstructions shown


def plan(jobs: list[JobSpec], config: dict) -> Analysis | None:
    """The multi-subject CSAE job of the lowest seed: its checkpoint and the windows of
    its first subject."""
    mine = [j for j in jobs if (j.experiment, j.protocol, j.model) == (EXPERIMENT, PROTOCOL, MODEL)]
    if not mine:
        return None
    job = min(mine, key=lambda j: j.seed)
    subject = min(job.subjects)
    files = job_files(job)
    where = f"experiments/{EXPERIMENT}/protocols/{PROTOCOL}"
    split = PROTOCOLS.get(PROTOCOL).params(job.protocol_params, where)
    models = {j.model: j.model_params for j in jobs if j.experiment == EXPERIMENT}
    first = [int(layout.match(layout.WINDOWS, w)["subject"]) for w in files.windows].index(subject)
    return Analysis(
        inputs={
            "model": files.model,
            "windows": files.windows[first],
            "signal": files.signals[first],
        },
        params={
            "subject": subject,
            "classes": job.classes,
            "test_repetitions": list(split.test_repetitions),
            "model_params": {m: models[m] for m in COST_MODELS if m in models},
        },
    )


def analyse(params: dict, inputs: dict[str, Path], out_dir: Path) -> None:
    sw = SubjectWindows.from_files(inputs["windows"], inputs["signal"])
    table = WindowTable([sw], params["classes"])
    test = np.flatnonzero(table.meta["repetition"].isin(params["test_repetitions"]).to_numpy())
    pick = test[:: max(1, len(test) // MAX_WINDOWS)]
    csae = _model(MODEL, table, params)
    csae.load(Path(inputs["model"]))
    coded = csae.encode(table.batch(pick))
    z = coded["latent"]
    write_csv(
        pd.DataFrame(
            [
                {
                    "subject": params["subject"],
                    "windows": len(pick),
                    "latent_size": int(z[0].size),
                    "near_zero_below": NEAR_ZERO,
                    "near_zero_share": float((np.abs(z) < NEAR_ZERO).mean()),
                }
            ]
        ),
        out_dir / "latent.csv",
    )
    shown = np.linspace(0, len(pick) - 1, SHOWN).astype(int)
    with atomic_path(out_dir / "reconstructions.npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            t_ms=np.arange(table.n_times) / table.fs * 1000,
            window=pick[shown],
            input=coded["input"][shown],
            recon=coded["recon"][shown],
        )
    write_csv(_inference_costs(table, test, params), out_dir / "inference_cost.csv")


def _model(name: str, table: WindowTable, params: dict):
    return build_model(
        name,
        n_chans=table.n_chans,
        n_outputs=len(params["classes"]),
        n_times=table.n_times,
        fs=table.fs,
        device="cpu",
        **params["model_params"][name],
    )


def _inference_costs(table: WindowTable, test: np.ndarray, params: dict) -> pd.DataFrame:
    """One window's cost per model; a classical model is fitted on the test windows first
    (its arithmetic, not its accuracy, is measured)."""
    from emgrepro.evaluation.cost import inference_cost

    rows = []
    for name in params["model_params"]:
        est = _model(name, table, params)
        if getattr(est, "module", None) is None:
            est.fit(table.subset(test))
        rows.append({"model": name, **inference_cost(est, table.n_chans, table.n_times)})
    return pd.DataFrame(rows)
