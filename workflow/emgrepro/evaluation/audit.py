"""Published versus reproduced: one verdict per published number."""

from __future__ import annotations

import numpy as np
import pandas as pd

AUDIT_COLUMNS = [
    "paper",
    "table",
    "row",
    "column",
    "metric",
    "published_mean",
    "published_sd",
    "reproduced_mean",
    "reproduced_sd",
    "n",
    "data",
    "verdict",
    "unit",
]
SCALE = {"percent": 100.0, "ratio": 1.0, "count": 1.0, "seconds": 1.0}


def _matching_scores(row: pd.Series, scores: pd.DataFrame, groups: dict) -> pd.DataFrame:
    sel = scores
    for col in ("experiment", "protocol", "model", "metric"):
        value = row.get(col)
        if not isinstance(value, str) or not value:
            return scores.iloc[0:0]
        sel = sel[sel[col] == value]
    if pd.notna(row.get("n_classes")) and str(row.get("n_classes")) != "":
        sel = sel[sel["n_classes"] == int(float(row["n_classes"]))]
    group = row.get("group")
    if isinstance(group, str) and group and group != "all":
        members = groups.get(row["paper"], {}).get(group)
        if members is None:
            return scores.iloc[0:0]
        sel = sel[sel["subject"].isin(members)]
    return sel


def audit(
    published: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    synthetic_datasets: list[str],
    abs_tolerance_percent: float,
    sd_multiplier: float,
    groups: dict | None = None,
) -> pd.DataFrame:
    """Compare each published row with the scores the pipeline computed.

    Reproduced values are averaged over seeds within a subject, then mean and sd over
    subjects (n = subjects). Verdicts: ``not-run`` (nothing computed), ``synthetic``
    (computed on synthetic data: says nothing about the paper), ``reproduced`` when
    |reproduced - published| <= max(tolerance, sd_multiplier * published sd), else
    ``not-reproduced``.
    """
    rows = []
    for _, pub in published.iterrows():
        unit = pub.get("unit", "percent")
        scale = SCALE.get(unit, 1.0)
        sel = _matching_scores(pub, scores, groups or {})
        out = {
            "paper": pub["paper"],
            "table": pub["table"],
            "row": pub["row"],
            "column": pub["column"],
            "metric": pub["metric"],
            "published_mean": pub["mean"],
            "published_sd": pub["sd"],
            "reproduced_mean": np.nan,
            "reproduced_sd": np.nan,
            "n": 0,
            "data": "",
            "verdict": "not-run",
            "unit": unit,
        }
        if len(sel):
            per_subject = sel.groupby("subject")["value"].mean() * scale
            out.update(
                reproduced_mean=float(per_subject.mean()),
                reproduced_sd=float(per_subject.std(ddof=1)) if len(per_subject) > 1 else np.nan,
                n=int(per_subject.size),
            )
            synthetic = bool(sel["dataset"].isin(synthetic_datasets).any())
            out["data"] = "synthetic" if synthetic else "real"
            if synthetic:
                out["verdict"] = "synthetic"
            else:
                tol = abs_tolerance_percent * (scale / 100.0)
                sd = pub["sd"] if pd.notna(pub["sd"]) else 0.0
                ok = abs(out["reproduced_mean"] - pub["mean"]) <= max(tol, sd_multiplier * sd)
                out["verdict"] = "reproduced" if ok else "not-reproduced"
        rows.append(out)
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)
