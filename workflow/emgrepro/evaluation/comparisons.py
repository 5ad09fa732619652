"""Paired comparisons between a paper's methods, across subjects, for its report: a
difference the paper published is read from its audit row; any other is computed with the
audit's own paired test, so a report never has a statistic of its own."""

from __future__ import annotations

import pandas as pd

from emgrepro.evaluation.audit import Rule
from emgrepro.evaluation.statistics import paired_difference

NOT_COMPUTED = "not computed"
COLUMNS = ["comparison", "a", "b", "difference", "ci_low", "ci_high", "n", "p",
           "published", "verdict", "source"]  # fmt: skip


def published_text(row: pd.Series) -> str:
    """A published value as the paper states it: bound, mean, sd."""
    bound = row.get("bound")
    text = f"{bound if isinstance(bound, str) else ''} {row['published_mean']:g}".strip()
    if pd.notna(row.get("published_sd")):
        text += f" ± {row['published_sd']:g}"
    return text


def registered_claim(audit: pd.DataFrame, ids: dict, other: dict) -> pd.Series | None:
    """The audit row of a published difference between ``ids`` and ``other``, if any."""
    if audit.empty or "versus" not in audit:
        return None
    for _, row in audit[audit["versus"] != ""].iterrows():
        versus = dict(item.split("=", 1) for item in row["versus"].split(";") if "=" in item)
        mine = {k: row[k] for k in ids}
        theirs = {**mine, **{k.strip(): v.strip() for k, v in versus.items()}}
        if mine == ids and {k: theirs[k] for k in other} == other:
            return row
    return None


def paired_comparisons(
    values: pd.DataFrame,
    pairs: list[tuple[str, str, str]],
    audit: pd.DataFrame | None = None,
    audit_rule: dict | None = None,
    key: str = "model",
    where: dict | None = None,
    scale: float = 100.0,
) -> pd.DataFrame:
    """Per ``(label, a, b)``: the paired difference a - b across subjects (``values``: one
    row per subject, one column per ``key`` value), its interval, n and p, one row each in
    ``COLUMNS``. A difference the paper published (an audit row of ``where``, e.g. its
    experiment, whose ``key`` is a and ``versus`` b) is read from the audit; any other is
    computed with the audit's paired bootstrap and Wilcoxon test (``audit_rule``: the run's
    rule). ``scale`` turns ``values`` into the unit of the differences."""
    settings = audit_rule or {}
    rule = Rule(**{k: settings[k] for k in Rule.__dataclass_fields__ if k in settings})
    audit = audit if audit is not None else pd.DataFrame()
    rows = []
    for label, a, b in pairs:
        row = {"comparison": label, "a": a, "b": b}
        claim = registered_claim(audit, {**(where or {}), key: a}, {key: b})
        if claim is not None:
            row.update(
                difference=claim["reproduced_mean"],
                ci_low=claim["ci_low"] + claim["published_mean"],
                ci_high=claim["ci_high"] + claim["published_mean"],
                n=claim["n"],
                p=claim["p_value"],
                published=published_text(claim),
                verdict=claim["verdict"],
                source="audit row",
            )
        elif a in values and b in values:
            pair = paired_difference(
                values[a].dropna() * scale,
                values[b].dropna() * scale,
                confidence=rule.confidence,
                resamples=rule.bootstrap_resamples,
                seed=rule.seed,
            )
            row.update(
                difference=pair["mean"],
                ci_low=pair["ci_low"],
                ci_high=pair["ci_high"],
                n=pair["n"],
                p=pair["p_value"],
                published="not found",
                verdict="",
                source="computed (no published number)",
            )
        else:
            row.update(n=0, published="", verdict="", source=NOT_COMPUTED)
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    out["n"] = out["n"].fillna(0).astype(int)
    return out.astype({c: float for c in ("difference", "ci_low", "ci_high", "p")})
