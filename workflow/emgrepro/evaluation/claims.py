"""A paper's comparative claims ("the CSAE beats its CNN ablation") judged on every dataset
the run computed both sides on, paired over subjects by the audit's own statistics.

Claims live beside the published numbers, ``config/papers/<paper>.claims.csv``: two arms
(``a`` and ``b``, ``key=value;...`` over the row's experiment, protocol and metric, as the
published ``versus``), a direction (``>``: a beats b, ``<``: a is below b, ``~``: a and b
are comparable) and the published size of a - b where the paper gives one.

Verdicts, from the bootstrap interval of the mean paired difference a - b (in points):

* ``holds``: the interval lies on the claimed side of 0 (``~``: inside +-margin);
* ``fails``: it lies on the other side of 0 (``~``: wholly outside +-margin);
* ``inconclusive``: neither, or fewer subjects than the rule's minimum;
* ``not-run``: the run computed neither side on any dataset, or the claim's subject group
  holds none of the subjects that ran on one (the reason says which);
* ``not-applicable``: the claim cannot be tested on the datasets of this run (the reason is
  given).

A claim judged on synthetic data is marked ``synthetic`` in ``data``: it exercises the
pipeline and says nothing about the paper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emgrepro.evaluation.audit import SCALE, Rule, _by_subject, _matching_scores, _versus
from emgrepro.evaluation.statistics import paired_difference

CLAIM_COLUMNS = [
    "paper", "claim", "statement", "source", "experiment", "protocol", "metric", "group",
    "a", "b", "direction", "published_size", "note",
]  # fmt: skip
DIRECTIONS = (">", "<", "~")
RESULT_COLUMNS = [
    "paper", "claim", "statement", "dataset", "data", "a", "b", "direction", "published_size",
    "difference", "ci_low", "ci_high", "p_value", "n", "verdict", "reason", "source",
]  # fmt: skip
CLAIM_VERDICTS = ("holds", "fails", "inconclusive", "not-run", "not-applicable")


def read_claims(paths) -> pd.DataFrame:
    """Every paper's claims, one table (rows in file order); the paper from the file name."""
    frames = []
    for path in paths:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"group": str})
        frame.insert(0, "paper", Path(path).name.removesuffix(".claims.csv"))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CLAIM_COLUMNS]


def arm(claim: pd.Series, side: str) -> pd.Series:
    """One side of a claim as the audit's matching reads a published row."""
    base = pd.Series(
        {
            "paper": claim["paper"],
            "experiment": claim["experiment"],
            "protocol": claim["protocol"],
            "metric": claim["metric"],
            "group": claim["group"] if isinstance(claim["group"], str) else "",
            "model": "",
            "condition": "",
            "versus": claim[side],
        }
    )
    return _versus(base)


def judge(lo: float, hi: float, direction: str, margin: float) -> str:
    """The verdict of a claim from the interval [lo, hi] of a - b."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if direction == ">":
        return "holds" if lo > 0 else "fails" if hi < 0 else "inconclusive"
    if direction == "<":
        return "holds" if hi < 0 else "fails" if lo > 0 else "inconclusive"
    if direction == "~":
        if -margin <= lo and hi <= margin:
            return "holds"
        return "fails" if hi < -margin or lo > margin else "inconclusive"
    raise ValueError(f"unknown direction {direction!r}: use one of {DIRECTIONS}")


def judge_claims(
    claims: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    rule: Rule | None = None,
    groups: dict | None = None,
    grid_of: dict[str, str] | None = None,
    not_applicable: dict[str, dict[str, str]] | None = None,
    grid_groups: dict[str, dict[str, dict]] | None = None,
) -> pd.DataFrame:
    """One row per claim and dataset the run computed both arms on (or one ``not-run`` row),
    and one ``not-applicable`` row per dataset the claim's paper cannot meet.

    ``grid_of`` maps a grid experiment to the paper experiment it repeats on another
    dataset: its scores answer that experiment's claims, on its own dataset.
    ``groups``: paper -> group -> subject ids, on the paper's own datasets;
    ``grid_groups``: paper -> grid dataset -> group -> subject ids (a paper's own groups
    never select subjects of another dataset).
    ``not_applicable``: paper -> dataset -> why the paper's models cannot meet it.
    """
    rule = rule or Rule()
    groups = groups or {}
    scores = scores.assign(condition=scores["condition"].fillna("").astype(str))
    if grid_of:
        scores = scores.assign(experiment=scores["experiment"].replace(grid_of))
    rows = []
    for _, claim in claims.iterrows():
        paper = claim["paper"]
        on_grid = (grid_groups or {}).get(paper, {})
        judged = False
        for dataset in sorted(set(scores["dataset"])):
            here = scores[scores["dataset"] == dataset]
            dataset_groups = {paper: on_grid[dataset]} if dataset in on_grid else groups
            a_sel = _matching_scores(arm(claim, "a"), here, dataset_groups)
            b_sel = _matching_scores(arm(claim, "b"), here, dataset_groups)
            if not a_sel.empty and not b_sel.empty:
                rows.append(_judge_one(claim, a_sel, b_sel, dataset, rule))
                judged = True
            elif _group_left_nobody(claim, here, dataset_groups):
                members = dataset_groups.get(paper, {}).get(claim["group"])
                reason = (
                    f"group '{claim['group']}' is not declared on {dataset}"
                    if members is None
                    else f"no subject of group '{claim['group']}' ({_ids(members)}) ran here"
                )
                rows.append(_row(claim, dataset=dataset, verdict="not-run", reason=reason))
                judged = True
        unmet = (not_applicable or {}).get(paper, {})
        for dataset, reason in unmet.items():
            rows.append(_row(claim, dataset=dataset, verdict="not-applicable", reason=reason))
        if not judged and not unmet:
            rows.append(
                _row(claim, verdict="not-run", reason="neither arm computed on one dataset")
            )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def _group_left_nobody(claim: pd.Series, scores: pd.DataFrame, groups: dict) -> bool:
    """Both arms ran on these scores, but the claim's subject group selects none of them."""
    if not isinstance(claim["group"], str) or claim["group"] in ("", "all"):
        return False
    every = {**claim.to_dict(), "group": ""}
    return all(
        not _matching_scores(arm(pd.Series(every), side), scores, groups).empty
        for side in ("a", "b")
    )


def _ids(members: list[int]) -> str:
    """Subject ids as runs: 1-18, 20."""
    runs: list[list[int]] = []
    for s in sorted(members):
        if runs and s == runs[-1][-1] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _row(claim: pd.Series, **values) -> dict:
    out = {c: np.nan for c in RESULT_COLUMNS}
    out.update({k: claim[k] for k in ("paper", "claim", "statement", "a", "b", "direction")})
    out.update(published_size=claim["published_size"], source=claim["source"], n=0)
    out.update(dataset="", data="", reason="")
    out.update(values)
    return out


def _judge_one(claim, a_sel, b_sel, dataset: str, rule: Rule) -> dict:
    a_sel, b_sel = a_sel[a_sel["dataset"] == dataset], b_sel[b_sel["dataset"] == dataset]
    scale = SCALE["percent"] if claim["metric"] in ("accuracy", "f1_macro") else 1.0
    a = _by_subject(a_sel, "subjects") * scale
    b = _by_subject(b_sel, "subjects") * scale
    synthetic = bool((a_sel["data"] == "synthetic").any() or (b_sel["data"] == "synthetic").any())
    pair = paired_difference(
        a, b, confidence=rule.confidence, resamples=rule.bootstrap_resamples, seed=rule.seed
    )
    margin = rule.margin("percent" if scale == 100.0 else "ratio", 0.0)
    verdict = judge(pair["ci_low"], pair["ci_high"], claim["direction"], margin)
    reason = ""
    if pair["n"] < rule.min_n:
        verdict, reason = "inconclusive", f"n = {pair['n']}, below the minimum of {rule.min_n}"
    return _row(
        claim,
        dataset=dataset,
        data="synthetic" if synthetic else "real",
        difference=pair["mean"],
        ci_low=pair["ci_low"],
        ci_high=pair["ci_high"],
        p_value=pair["p_value"],
        n=pair["n"],
        verdict=verdict,
        reason=reason,
    )


def not_applicable_pairs(grid: dict) -> dict[str, str]:
    """dataset -> why a paper's models cannot meet it (its grid's `not_applicable`)."""
    return {d: e["not_applicable"] for d, e in grid.items() if "not_applicable" in e}


def grid_subject_groups(grid: dict) -> dict[str, dict]:
    """dataset -> the claims' subject groups there, for each dataset a paper's grid meets."""
    return {d: e.get("groups") or {} for d, e in grid.items() if "experiments" in e}


def run_claims(*, scores_csv, provenance_json, claims, out, grid_out=None) -> pd.DataFrame:
    """Read the run's scores and configuration (from provenance), write claims.csv (and the
    grid of the claim experiments' models over datasets to ``grid_out``)."""
    import json

    from emgrepro.io import write_csv

    scores = pd.read_csv(scores_csv, keep_default_na=False, na_values=[""])
    config = json.loads(Path(provenance_json).read_text())["config"]
    settings = config.get("audit", {})
    rule = Rule(**{k: settings[k] for k in Rule.__dataclass_fields__ if k in settings})
    info = config.get("paper_info", {})
    papers = set(config.get("papers") or info)
    table = read_claims([p for p in claims if Path(p).name.split(".")[0] in papers])
    groups = {p: i.get("audit", {}).get("groups", {}) for p, i in info.items()}
    grid_of = {n: e["grid_of"] for n, e in config["experiments"].items() if e.get("grid_of")}
    unmet, grid_groups = {}, {}
    if config.get("grid"):
        unmet = {p: not_applicable_pairs(i.get("grid", {})) for p, i in info.items()}
        grid_groups = {p: grid_subject_groups(i.get("grid", {})) for p, i in info.items()}
    result = judge_claims(
        table,
        scores,
        rule=rule,
        groups=groups,
        grid_of=grid_of,
        not_applicable=unmet,
        grid_groups=grid_groups,
    )
    write_csv(result, out)
    if grid_out is not None:
        from emgrepro.evaluation.grid import grid_table

        write_csv(grid_table(scores, config, table), grid_out)
    return result
