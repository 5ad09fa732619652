"""Ding 2018's analyses beyond the scores: accuracy per subject and method (the six
networks and the classical grid's best cell), and the paper's kernel-size and
muscle-independence comparisons, paired by subject with the audit's own test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emgrepro import layout
from emgrepro.analyses import Analysis
from emgrepro.evaluation.comparisons import paired_comparisons
from emgrepro.io import write_csv
from emgrepro.job_plan import JobSpec
from emgrepro.tidy import read_table

EXERCISE_B, ALL_GESTURES = "ding2018_db2", "ding2018_db2_all"
NETWORKS = {
    "c_sk": "C-SK",
    "c_sk2": "C-SK2",
    "c_2b1": "C-2B1",
    "c_2b2": "C-2B2",
    "c_dk": "C-DK",
    "c_b1pb2": "C-B1PB2",
}
CLASSICAL = "classical"  # the classical grid's best cell, as one method
# The paper's comparisons on Exercise B (section 3.3 and the abstract), by group.
COMPARISONS = {
    "Kernel size": [
        ("parallel blocks: C-2B1 - C-SK2", "c_2b1", "c_sk2"),
        ("large kernels: C-2B2 - C-2B1", "c_2b2", "c_2b1"),
        ("multiple scales: C-B1PB2 - C-2B2", "c_b1pb2", "c_2b2"),
        ("C-B1PB2 - C-SK2", "c_b1pb2", "c_sk2"),
    ],
    "Muscle independence": [
        ("C-B1PB2 - C-DK", "c_b1pb2", "c_dk"),
        ("C-SK2 - C-SK", "c_sk2", "c_sk"),
    ],
    "Against the classical method": [("C-B1PB2 - classical method", "c_b1pb2", CLASSICAL)],
}


def plan(jobs: list[JobSpec], config: dict) -> Analysis | None:
    """The run's scores and verdicts, when it has jobs of the paper's two experiments."""
    if not any(j.experiment in (EXERCISE_B, ALL_GESTURES) for j in jobs):
        return None
    return Analysis(
        inputs={"scores": layout.SCORES_TABLE, "audit": layout.AUDIT_TABLE},
        params={"audit_rule": config["audit"]},
    )


def analyse(params: dict, inputs: dict[str, Path], out_dir: Path) -> None:
    scores, audit = read_table(inputs["scores"]), read_table(inputs["audit"])
    accuracy = scores[scores["metric"] == "accuracy"]
    tables, cells = [], []
    for experiment in (EXERCISE_B, ALL_GESTURES):
        wide, best = per_subject(accuracy[accuracy["experiment"] == experiment])
        long = wide.reset_index().melt(id_vars="subject", var_name="method", value_name="value")
        tables.append(long.dropna().assign(experiment=experiment))
        if best is not None:
            cells.append({"experiment": experiment, **best})
    write_csv(
        pd.concat(tables, ignore_index=True).reindex(
            columns=["experiment", "subject", "method", "value"]
        ),
        out_dir / "per_subject.csv",
    )
    write_csv(
        pd.DataFrame(cells, columns=["experiment", "condition", "mean"]),
        out_dir / "classical_best_cell.csv",
    )
    b = tables[0].pivot_table(index="subject", columns="method", values="value")
    compared = [
        paired_comparisons(
            b, pairs, audit, params["audit_rule"], where={"experiment": EXERCISE_B}
        ).assign(group=group)
        for group, pairs in COMPARISONS.items()
    ]
    write_csv(pd.concat(compared, ignore_index=True), out_dir / "comparisons.csv")


def per_subject(accuracy: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """Accuracy (fraction, mean over seeds) per subject (rows) and method (columns): every
    network, and the classical grid's cell of best mean over subjects as ``classical``;
    with that cell and its mean."""
    nets = accuracy[accuracy["model"].isin(NETWORKS)].pivot_table(
        index="subject", columns="model", values="value", aggfunc="mean"
    )
    nets = nets.reindex(columns=[m for m in NETWORKS if m in nets.columns])
    grid = accuracy[accuracy["model"] == "classical_grid"]
    if grid.empty:
        return nets, None
    means = grid.groupby("condition")["value"].mean()
    cell = means.idxmax()
    best = grid[grid["condition"] == cell].groupby("subject")["value"].mean()
    return nets.join(best.rename(CLASSICAL), how="outer"), {
        "condition": cell,
        "mean": float(means[cell]),
    }
