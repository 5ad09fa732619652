"""Comparative claims: every seeded paper registers its claims, each arm exists in the
paper's config, and the verdict rule on hand-made score tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emgrepro.config import paper_files
from emgrepro.evaluation.claims import (
    CLAIM_COLUMNS,
    CLAIM_VERDICTS,
    DIRECTIONS,
    RESULT_COLUMNS,
    arm,
    judge,
    judge_claims,
    read_claims,
)
from emgrepro.paths import claims_csv

SEEDED = [p for p, d in paper_files().items() if d.get("source_document")]


def test_every_seeded_paper_registers_at_least_two_claims():
    assert SEEDED, "no paper names its source document"
    for paper in SEEDED:
        path = claims_csv(paper)
        assert path.exists(), f"{paper}: no {path.name} beside its published numbers"
        table = read_claims([path])
        assert list(table.columns) == CLAIM_COLUMNS
        assert len(table) >= 2, f"{paper}: {len(table)} claim(s)"
        assert table["claim"].is_unique
        assert set(table["direction"]) <= set(DIRECTIONS)


@pytest.mark.parametrize("paper", SEEDED)
def test_every_arm_exists_in_the_papers_config(paper):
    experiments = paper_files()[paper]["experiments"]
    for _, claim in read_claims([claims_csv(paper)]).iterrows():
        for side in ("a", "b"):
            spec = arm(claim, side)
            where = f"{paper} {claim['claim']} {side}"
            exp = experiments.get(spec["experiment"])
            assert exp is not None, f"{where}: no experiment {spec['experiment']}"
            assert spec["protocol"] in exp["protocols"], f"{where}: {spec['protocol']}"
            assert spec["model"] in exp["models"], f"{where}: no model {spec['model']}"
        group = claim["group"]
        if isinstance(group, str) and group:
            assert group in paper_files()[paper]["audit"]["groups"], f"{paper}: group {group}"


def _scores(values: dict[str, list[float]], data: str = "real") -> pd.DataFrame:
    rows = []
    for model, vals in values.items():
        for s, v in enumerate(vals, start=1):
            rows.append(dict(paper="x", experiment="e", dataset="d", protocol="p", model=model,
                             subject=s, fold=str(s), condition="", seed=0, n_classes=5,
                             data=data, metric="accuracy", value=v))  # fmt: skip
    return pd.DataFrame(rows)


def _claims(direction: str, published=np.nan) -> pd.DataFrame:
    return pd.DataFrame([dict(paper="x", claim="c", statement="a beats b", source="t",
                              experiment="e", protocol="p", metric="accuracy", group=np.nan,
                              a="model=a", b="model=b", direction=direction,
                              published_size=published, note="")])  # fmt: skip


def _paired(gain: float, sd: float, n: int = 10) -> dict[str, list[float]]:
    rng = np.random.default_rng(3)
    b = list(0.6 + 0.05 * rng.standard_normal(n))
    d = rng.standard_normal(n)
    d = (d - d.mean()) / d.std(ddof=1) * sd + gain
    return {"a": [x + y / 100 for x, y in zip(b, d)], "b": b}


@pytest.mark.parametrize(
    ("direction", "gain", "sd", "verdict"),
    [
        (">", 3.0, 1.0, "holds"),
        (">", -3.0, 1.0, "fails"),
        (">", 0.2, 3.0, "inconclusive"),
        ("<", -3.0, 1.0, "holds"),
        ("<", 3.0, 1.0, "fails"),
        ("~", 1.0, 1.0, "holds"),  # inside +-5 points
        ("~", 9.0, 1.0, "fails"),
        ("~", 4.5, 2.0, "inconclusive"),
    ],
)
def test_the_claim_rule(direction, gain, sd, verdict):
    out = judge_claims(_claims(direction, 3.0), _scores(_paired(gain, sd)))
    assert list(out.columns) == RESULT_COLUMNS and len(out) == 1
    r = out.iloc[0]
    assert r["verdict"] == verdict, (r["difference"], r["ci_low"], r["ci_high"])
    assert r["verdict"] in CLAIM_VERDICTS and r["difference"] == pytest.approx(gain)
    assert r["n"] == 10 and r["published_size"] == 3.0 and r["data"] == "real"


def test_claims_on_synthetic_data_say_so_and_missing_arms_are_not_run():
    out = judge_claims(_claims(">"), _scores(_paired(3.0, 1.0), data="synthetic"))
    assert out.iloc[0]["data"] == "synthetic"
    missing = judge_claims(_claims(">"), _scores({"a": [0.5] * 5}))
    assert missing.iloc[0]["verdict"] == "not-run" and missing.iloc[0]["n"] == 0


def test_few_subjects_are_inconclusive():
    out = judge_claims(_claims(">"), _scores({"a": [0.9, 0.8], "b": [0.5, 0.4]}))
    assert out.iloc[0]["verdict"] == "inconclusive" and "below the minimum" in out.iloc[0]["reason"]


def test_judge_needs_a_known_direction():
    assert judge(1.0, 2.0, ">", 5.0) == "holds"
    with pytest.raises(ValueError, match="unknown direction"):
        judge(1.0, 2.0, ">=", 5.0)


def test_each_paper_report_links_to_the_claims_report():
    from emgrepro.report import PaperTables, banner_markdown

    empty = pd.DataFrame()
    for paper in SEEDED:
        text = banner_markdown(PaperTables(paper, empty, empty, empty), "its data")
        assert "[claims report](claims.html)" in text, paper
    assert "claims" not in banner_markdown(PaperTables("baseline", empty, empty, empty), "x")


def test_an_arm_with_a_condition_and_no_scores_is_not_run():
    """An arm whose experiment did not run in this configuration (its condition pattern
    then meets no row) is not-run, not an error."""
    claims = _claims(">").assign(b="experiment=absent;model=b;condition=*")
    out = judge_claims(claims, _scores(_paired(3.0, 1.0)))
    assert out.iloc[0]["verdict"] == "not-run"
