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
# Published differences between two results are computed from this score metric.
DIFFERENCES = {"accuracy_gain": "accuracy", "accuracy_drop": "accuracy"}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _matching_scores(row: pd.Series, scores: pd.DataFrame, groups: dict) -> pd.DataFrame:
    sel = scores
    for col in ("experiment", "protocol", "model", "metric"):
        value = row.get(col)
        if not isinstance(value, str) or not value:
            return scores.iloc[0:0]
        sel = sel[sel[col] == value]
    condition = _text(row.get("condition"))
    if condition:
        sel = sel[sel["condition"].fillna("").astype(str) == condition]
    if pd.notna(row.get("n_classes")) and str(row.get("n_classes")) != "":
        sel = sel[sel["n_classes"] == int(float(row["n_classes"]))]
    group = row.get("group")
    if isinstance(group, str) and group and group != "all":
        members = groups.get(row["paper"], {}).get(group)
        if members is None:
            return scores.iloc[0:0]
        sel = sel[sel["subject"].isin(members)]
    return sel


def _versus(row: pd.Series) -> pd.Series | None:
    """The other side of a published difference (column ``versus``: key=value;...)."""
    spec = _text(row.get("versus"))
    if not spec:
        return None
    other = row.copy()
    for item in spec.split(";"):
        key, _, value = item.partition("=")
        other[key.strip()] = value.strip()
    return other


def _per_subject(row: pd.Series, scores: pd.DataFrame, groups: dict) -> tuple[pd.Series, bool]:
    """Per-subject values (mean over seeds and conditions) and whether any was synthetic,
    for a published row; a difference row gives paired per-subject differences."""
    row = row.copy()
    row["metric"] = DIFFERENCES.get(row["metric"], row["metric"])
    sel = _matching_scores(row, scores, groups)
    values = sel.groupby("subject")["value"].mean()
    synthetic = sel["is_synthetic"].any() if len(sel) else False
    other = _versus(row)
    if other is None or not len(sel):
        return values, bool(synthetic)
    sel_b = _matching_scores(other, scores, groups)
    b = sel_b.groupby("subject")["value"].mean()
    common = values.index.intersection(b.index)
    synthetic = synthetic or (sel_b["is_synthetic"].any() if len(sel_b) else False)
    return (values[common] - b[common]), bool(synthetic)


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
    subjects (n = subjects; for training times, n = jobs). A row with a ``versus`` column
    is a difference between two results, paired by subject. Verdicts: ``not-run``
    (nothing computed), ``synthetic`` (computed on synthetic data: says nothing about the
    paper), ``not-comparable`` (training times: they depend on the hardware, named in the
    report), ``reproduced`` when |reproduced - published| <= max(tolerance,
    sd_multiplier * published sd), else ``not-reproduced``.
    """
    scores = scores.assign(is_synthetic=scores["dataset"].isin(synthetic_datasets))
    rows = []
    for _, pub in published.iterrows():
        unit = pub.get("unit", "percent")
        scale = SCALE.get(unit, 1.0)
        per_subject, synthetic = _per_subject(pub, scores, groups or {})
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
        if len(per_subject):
            per_subject = per_subject * scale
            out.update(
                reproduced_mean=float(per_subject.mean()),
                reproduced_sd=float(per_subject.std(ddof=1)) if len(per_subject) > 1 else np.nan,
                n=int(per_subject.size),
            )
            out["data"] = "synthetic" if synthetic else "real"
            if synthetic:
                out["verdict"] = "synthetic"
            elif unit == "seconds":
                out["verdict"] = "not-comparable"
            else:
                tol = abs_tolerance_percent * (scale / 100.0)
                sd = pub["sd"] if pd.notna(pub["sd"]) else 0.0
                ok = abs(out["reproduced_mean"] - pub["mean"]) <= max(tol, sd_multiplier * sd)
                out["verdict"] = "reproduced" if ok else "not-reproduced"
        rows.append(out)
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)
