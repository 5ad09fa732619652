"""Zhai 2017's analyses beyond the scores: each subject's recalibration gain per testing
session (and over sessions II-V), and the CNN against the SVM paired by subject (Table 1
accuracy and both scenarios' gains) with the audit's own test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emgrepro import layout
from emgrepro.analyses import Analysis
from emgrepro.evaluation.comparisons import paired_comparisons
from emgrepro.io import write_csv
from emgrepro.job_plan import JobSpec
from emgrepro.tidy import read_table

NAMES = {"zhai_cnn": "CNN", "zhai_svm": "SVM"}
SCENARIOS = {"none": "no recalibration", "all_session": "All-Session", "last_only": "Last-Only"}
SESSIONS = ["I", "II", "III", "IV", "V"]
LATER = SESSIONS[1:]  # the paper's averages: sessions II-V (session I is never recalibrated)
AVERAGE = "II-V"  # the session label of a gain averaged over LATER
TABLE1 = [  # Table 1's rows: (label, experiment)
    ("All movements", "zhai2017_db2"),
    ("Basic (Exercise B)", "zhai2017_db2_basic"),
    ("Grasp (Exercise C)", "zhai2017_db2_grasp"),
    ("Force (Exercise D)", "zhai2017_db2_force"),
    ("10-movement subset", "zhai2017_db2_ten"),
    ("Amputees (10 movements)", "zhai2017_db3"),
]
ARMS = [  # Table 2's arms, each recalibrated over five sessions: (label, experiment)
    ("Intact, all movements", "zhai2017_db2"),
    ("Intact, 10 movements", "zhai2017_db2_ten"),
    ("Amputees, 10 movements", "zhai2017_db3"),
]
GAIN_COLUMNS = ["arm", "experiment", "model", "scenario", "subject", "session", "gain"]


def plan(jobs: list[JobSpec], config: dict) -> Analysis | None:
    """The run's scores, when it has jobs of the paper's own experiments."""
    own = {exp for _, exp in TABLE1}
    if not any(j.experiment in own for j in jobs):
        return None
    return Analysis(inputs={"scores": layout.SCORES_TABLE}, params={"audit_rule": config["audit"]})


def analyse(params: dict, inputs: dict[str, Path], out_dir: Path) -> None:
    scores = read_table(inputs["scores"])
    gains = recalibration_gains(scores)
    write_csv(gains, out_dir / "gains.csv")
    write_csv(cnn_against_svm(scores, gains, params["audit_rule"]), out_dir / "cnn_vs_svm.csv")


def accuracy(scores: pd.DataFrame, experiment: str, protocol: str, model: str) -> pd.DataFrame:
    """Per subject and condition: accuracy in percent (mean over seeds)."""
    if scores.empty:
        return pd.DataFrame(columns=["subject", "condition", "value"])
    s = scores[
        (scores["experiment"] == experiment)
        & (scores["protocol"] == protocol)
        & (scores["model"] == model)
        & (scores["metric"] == "accuracy")
    ]
    out = s.groupby(["subject", "condition"], as_index=False)["value"].mean()
    return out.assign(value=100 * out["value"])


def sessions(scores: pd.DataFrame, experiment: str, model: str) -> pd.DataFrame:
    """Accuracy (%) per subject, scenario and session of the recalibration protocol."""
    a = accuracy(scores, experiment, "recalibration", model)
    parts = a["condition"].str.extract(r"^(\w+) session=(\w+)$")
    out = pd.DataFrame(
        {"subject": a["subject"], "scenario": parts[0], "session": parts[1], "accuracy": a["value"]}
    )
    return out.dropna()


def recalibration_gains(scores: pd.DataFrame) -> pd.DataFrame:
    """Per arm, model, scenario and subject: accuracy of the scenario minus that of no
    recalibration (percentage points, paired within the subject), per session II-V and
    averaged over the sessions the run has (session ``II-V``)."""
    rows = []
    for label, experiment in ARMS:
        for model in NAMES:
            s = sessions(scores, experiment, model)
            for scenario in ("last_only", "all_session"):
                ids = {"arm": label, "experiment": experiment, "model": model, "scenario": scenario}
                rows.append(_gains(s, scenario).assign(**ids))
    return pd.concat([pd.DataFrame(columns=GAIN_COLUMNS), *rows], ignore_index=True)[GAIN_COLUMNS]


def _gains(sessions: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """One scenario's gains (subject, session, gain) from the accuracies of ``sessions``."""
    if not {scenario, "none"} <= set(sessions["scenario"]):
        return pd.DataFrame(columns=["subject", "session", "gain"])
    wide = sessions.pivot_table(index=["subject", "session"], columns="scenario", values="accuracy")
    g = (wide[scenario] - wide["none"]).unstack("session")
    have = [x for x in LATER if x in g.columns]
    if not have:
        return pd.DataFrame(columns=["subject", "session", "gain"])
    g = g[have].assign(**{AVERAGE: g[have].mean(axis=1)})
    return g.reset_index().melt(id_vars="subject", var_name="session", value_name="gain").dropna()


def cnn_against_svm(scores: pd.DataFrame, gains: pd.DataFrame, audit_rule: dict) -> pd.DataFrame:
    """CNN minus SVM per subject: Table 1 accuracy and each arm's gains over II-V, with the
    audit's paired test and how many subjects favour the CNN."""
    arms = {}
    for label, experiment in TABLE1:
        a, b = (
            accuracy(scores, experiment, "within_subject", m).set_index("subject")["value"]
            for m in NAMES
        )
        arms[f"Table 1 accuracy, {label}"] = (a, b)
    average = gains[gains["session"] == AVERAGE]
    for label, _ in ARMS:
        for scenario in ("last_only", "all_session"):
            a, b = (
                average[
                    (average["arm"] == label)
                    & (average["scenario"] == scenario)
                    & (average["model"] == m)
                ].set_index("subject")["gain"]
                for m in NAMES
            )
            arms[f"{SCENARIOS[scenario]} gain, {label}"] = (a, b)
    arms = {k: (a, b) for k, (a, b) in arms.items() if len(a.index.intersection(b.index))}
    values = pd.DataFrame({f"{k} {arm}": v for k, pair in arms.items()
                           for arm, v in zip(("CNN", "SVM"), pair)})  # fmt: skip
    pairs = [(k, f"{k} CNN", f"{k} SVM") for k in arms]
    table = paired_comparisons(values, pairs, audit_rule=audit_rule, scale=1.0)
    better = [(a - b).dropna() for a, b in arms.values()]
    return table.assign(
        cnn_better=[int((d > 0).sum()) for d in better],
        subjects=[len(d) for d in better],
    )
