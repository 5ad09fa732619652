"""The cross-paper grid as one table: every model of each paper's claim experiments on every
dataset the run met it on (its own and the grid's), mean ± sd over subjects and its rank
within the paper; and each pair the paper declares not applicable, with the reason.

One protocol per pair: the within-subject split where the experiment has one, else the
protocol its claims read (Wu 2024's per-subject fine-tuning after pre-training). A model
run under several conditions (a classical grid's classifier / feature set) gives a row per
condition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emgrepro.evaluation.audit import SCALE

GRID_PROTOCOL = "within_subject"
GRID_COLUMNS = [
    "paper", "experiment", "dataset", "data", "protocol", "model", "metric", "mean", "sd", "n",
    "rank", "status", "how",
]  # fmt: skip
OWN_SETTINGS = "the paper's own experiment"


def grid_table(scores: pd.DataFrame, config: dict, claims: pd.DataFrame) -> pd.DataFrame:
    """One row per paper, claim experiment, dataset and model (or a not-applicable pair).

    ``config``: the run's configuration (experiments with their ``grid_of``, paper_info
    with each paper's ``grid``); ``claims``: the claims table (which experiments are claim
    experiments, and their metric).
    """
    from emgrepro.evaluation.claims import arm

    experiments = config["experiments"]
    metric_of, protocol_of = {}, {}  # each experiment a claim's arm reads: metric, protocol
    for _, claim in claims.iterrows():
        for side in ("a", "b"):
            side_arm = arm(claim, side)
            metric_of.setdefault(side_arm["experiment"], claim["metric"])
            protocol_of.setdefault(side_arm["experiment"], side_arm["protocol"])
    rows = []
    for name, exp in experiments.items():
        base = exp.get("grid_of") or name
        if base not in metric_of:
            continue
        paper, metric = exp["paper"], metric_of[base]
        grid = config["paper_info"].get(paper, {}).get("grid", {})
        protocol = GRID_PROTOCOL if GRID_PROTOCOL in exp["protocols"] else protocol_of[base]
        sel = scores[
            (scores["experiment"] == name)
            & (scores["protocol"] == protocol)
            & (scores["metric"] == metric)
        ]
        for dataset, part in sel.groupby("dataset"):
            how = OWN_SETTINGS
            if exp.get("grid_of"):
                how = grid.get(dataset, {}).get("choices", OWN_SETTINGS)
            data = "synthetic" if (part["data"] == "synthetic").any() else "real"
            condition = part["condition"].fillna("").astype(str)
            label = np.where(condition == "", part["model"], part["model"] + " " + condition)
            per_subject = part.assign(label=label).groupby(["label", "subject"])["value"].mean()
            scale = SCALE["percent"] if metric in ("accuracy", "f1_macro") else 1.0
            for model, values in per_subject.groupby(level="label"):
                v = values.to_numpy(float) * scale
                rows.append(
                    dict(paper=paper, experiment=base, dataset=dataset, data=data,
                         protocol=protocol, model=model, metric=metric, mean=v.mean(),
                         sd=v.std(ddof=1) if v.size > 1 else np.nan, n=v.size, rank=np.nan,
                         status="run", how=how)
                )  # fmt: skip
    if config.get("grid"):
        papers = set(config.get("papers") or config["paper_info"])
        for paper, info in config["paper_info"].items():
            if paper not in papers:
                continue
            for dataset, entry in (info.get("grid") or {}).items():
                if "not_applicable" in entry:
                    rows.append(
                        dict(paper=paper, experiment="", dataset=dataset, data="", protocol="",
                             model="", metric="", mean=np.nan, sd=np.nan, n=0, rank=np.nan,
                             status="not-applicable", how=entry["not_applicable"])
                    )  # fmt: skip
    table = pd.DataFrame(rows, columns=GRID_COLUMNS)
    run = table["status"] == "run"
    table.loc[run, "rank"] = (
        table[run].groupby(["paper", "experiment", "dataset"])["mean"].rank(ascending=False)
    )
    return table.sort_values(["paper", "experiment", "dataset", "rank"], na_position="last")
