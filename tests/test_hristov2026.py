"""Hristov 2026 on the real Khushaba subset: all four protocols of the CSAE and the
baselines, through Snakemake, with the test-sized settings stated in the config below."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import KHUSHABA_DEV_ZIP, need_shared, run_snakemake, write_yaml

# Test-sized run (the full config trains longer and windows every 50 ms): windows every
# 100 ms, at most 15 epochs, and neither the few-shot curve nor the leaky window split (the
# demo runs both), so the four protocols and the baselines train within 15 minutes on 2
# CPU cores.
TEST_SETTINGS = {
    "papers": ["hristov2026"],
    "preprocessing": {"khushaba_250ms": {"window": {"step_ms": 100}}},
    "experiments": {
        "hristov2026_6class": {
            "training": {"max_epochs": 15, "patience": 4},
            "protocols": {"few_shot_curve": None, "multi_subject_window_split": None},
        },
        "hristov2026_10class": {"training": {"max_epochs": 15, "patience": 4}},
    },
}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    zip_path = need_shared(KHUSHABA_DEV_ZIP)
    workdir = tmp_path_factory.mktemp("hristov_real")
    write_yaml(
        workdir / "real.yaml",
        {
            **TEST_SETTINGS,
            "sources": {"khushaba_2ch": str(zip_path)},
            "subjects": {"khushaba_2ch": [1, 2, 4, 5]},
            "checksum_lock": str(workdir / "checksums.lock"),
        },
    )
    run_snakemake(workdir, "--cores", "2", "--configfile", "real.yaml")
    return workdir


def _f1(scores: pd.DataFrame, protocol: str, model: str = "csae", n: int = 6) -> float:
    sel = scores[
        (scores.protocol == protocol)
        & (scores.model == model)
        & (scores.n_classes == n)
        & (scores.metric == "f1_macro")
    ]
    assert len(sel), f"no {protocol}/{model} scores"
    return sel.groupby("subject")["value"].mean().mean()


@pytest.mark.slow
@pytest.mark.shared
def test_csae_protocols_on_real_data(real_run):
    scores = pd.read_csv(real_run / "results" / "scores.csv", keep_default_na=False)
    assert set(scores["data"]) == {"real"}
    within = _f1(scores, "within_subject")
    loso, few = _f1(scores, "loso"), _f1(scores, "few_shot")
    incremental = _f1(scores, "incremental", n=10)
    print(f"csae within {within:.3f} loso {loso:.3f} few-shot {few:.3f} inc {incremental:.3f}")
    assert within >= 0.85
    assert few - loso >= 0.20
    assert incremental >= 0.70
    for model in ("cnn", "td_lda"):
        for protocol in ("within_subject", "multi_subject", "loso", "few_shot"):
            assert 0 <= _f1(scores, protocol, model) <= 1
    assert set(scores.protocol) == {
        "within_subject", "multi_subject", "loso", "few_shot", "incremental"
    }  # fmt: skip
    few_shot = scores[(scores.protocol == "few_shot") & (scores.metric == "f1_macro")]
    assert set(few_shot["condition"]) == {"k=2"}


@pytest.mark.slow
@pytest.mark.shared
def test_real_audit_and_report(real_run):
    audit = pd.read_csv(real_run / "results" / "audit.csv")
    rows = audit[audit.paper == "hristov2026"]
    assert len(rows) == 4
    assert set(rows["data"]) == {"real"}
    assert set(rows["verdict"]) <= {"reproduced", "not-reproduced"}
    assert rows["reproduced_mean"].notna().all() and (rows["n"] == 4).all()
    html = (real_run / "results" / "reports" / "hristov2026.html").read_text()
    assert "Few-shot curve" in html and "Our choices" in html
    figures = {p.name for p in (real_run / "results" / "figures" / "hristov2026").glob("*.png")}
    assert {"few_shot_curve.png", "confusion_matrices.png", "reconstructions.png"} <= figures


# ----------------------------------------------------------------------------- published


def _published():
    from emgrepro.evaluation.audit import read_published
    from emgrepro.paths import published_csv

    return read_published([published_csv("hristov2026")])


@pytest.mark.parametrize(
    "experiment,protocol,n_classes,mean,sd",
    [
        ("hristov2026_6class", "multi_subject", 6, 94.3, 0.3),
        ("hristov2026_6class", "loso", 6, 35.1, 3.1),
        ("hristov2026_6class", "few_shot", 6, 92.3, 0.9),
        ("hristov2026_10class", "incremental", 10, 90.0, 0.2),
    ],
)
def test_headline_numbers_are_registered(experiment, protocol, n_classes, mean, sd):
    df = _published()
    r = df[(df.experiment == experiment) & (df.protocol == protocol) & df.versus.isna()]
    assert len(r) == 1
    r = r.iloc[0]
    assert (r["metric"], r["unit"], r["model"], int(r["n_classes"])) == (
        "f1_macro", "percent", "csae", n_classes
    )  # fmt: skip
    assert (r["mean"], r["sd"], r["n"]) == (mean, sd, 8)


def test_few_shot_gain_is_registered_as_a_paired_difference():
    df = _published()
    gain = df[df.metric == "f1_macro_gain"].iloc[0]
    assert gain["versus"] == "protocol=loso" and gain["mean"] == pytest.approx(92.3 - 35.1)
