"""Checks on config/published.csv, the table of every number the source documents publish."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "config" / "published.csv"

COLUMNS = [
    "paper",
    "table",
    "row",
    "column",
    "metric",
    "unit",
    "mean",
    "sd",
    "source",
    "experiment",
    "protocol",
    "model",
    "group",
    "n_classes",
    "note",
    "condition",
    "versus",
]
PAPERS = {"hristov2026", "wu2024", "atzori2016", "zhai2017", "ding2018"}
FEATURES = ("ent", "rms", "var", "ssi")
METRICS = {
    "f1_macro",
    "accuracy",
    *(f"r2_{f}" for f in FEATURES),
    *(f"map_{f}" for f in FEATURES),
    "epochs",
    "epoch_seconds",
    "accuracy_gain",
    "accuracy_drop",
    "train_seconds",
    "test_seconds",
}
UNITS = {"percent", "ratio", "count", "seconds"}
KEY = ["paper", "table", "row", "column", "metric", "group"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(CSV)


def _close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)


def _one(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for col, val in match.items():
        sel = sel[sel[col] == val]
    assert len(sel) == 1, f"expected one row for {match}, found {len(sel)}"
    return sel.iloc[0]


def test_columns_exact(df):
    assert list(df.columns) == COLUMNS


def test_paper_ids(df):
    assert set(df["paper"]) <= PAPERS
    assert set(df["paper"]) == PAPERS  # every paper has at least one number


def test_metric_and_unit(df):
    assert set(df["metric"]) <= METRICS, set(df["metric"]) - METRICS
    assert set(df["unit"]) <= UNITS, set(df["unit"]) - UNITS


def test_unit_matches_metric(df):
    expected = {
        "f1_macro": {"percent"},
        "accuracy": {"percent"},
        "accuracy_gain": {"percent"},
        "accuracy_drop": {"percent"},
        **{f"map_{f}": {"percent"} for f in FEATURES},
        **{f"r2_{f}": {"ratio"} for f in FEATURES},
        "epochs": {"count"},
        "epoch_seconds": {"seconds"},
        "train_seconds": {"seconds"},
        "test_seconds": {"seconds"},
    }
    for _, r in df.iterrows():
        assert r["unit"] in expected[r["metric"]], (r["row"], r["metric"], r["unit"])


def test_mean_numeric(df):
    mean = pd.to_numeric(df["mean"], errors="coerce")
    assert not mean.isna().any(), df.loc[mean.isna(), KEY]


def test_sd_numeric_or_empty(df):
    sd = df["sd"]
    present = sd.notna()
    conv = pd.to_numeric(sd[present], errors="coerce")
    assert not conv.isna().any(), df.loc[present][conv.isna()]
    assert (conv >= 0).all()


def test_percent_values_are_percent_not_fraction(df):
    maps = [f"map_{f}" for f in FEATURES]
    pct = df[(df["unit"] == "percent") & df["metric"].isin(["accuracy", "f1_macro", *maps])]
    assert (pd.to_numeric(pct["mean"]) > 1).all()
    r2 = df[df["metric"].str.startswith("r2_")]
    assert ((r2["mean"] > 0) & (r2["mean"] <= 1)).all()


def test_no_duplicate_keys(df):
    dup = df.duplicated(subset=KEY, keep=False)
    assert not dup.any(), df.loc[dup, KEY]


def test_text_fields_have_no_commas(df):
    for col in ["paper", "table", "row", "column", "source", "note"]:
        vals = df[col].dropna().astype(str)
        assert not vals.str.contains(",").any(), col


@pytest.mark.parametrize(
    "experiment,protocol,n_classes,mean,sd",
    [
        ("hristov2026_6class", "multi_subject", 6, 94.3, 0.3),
        ("hristov2026_6class", "loso", 6, 35.1, 3.1),
        ("hristov2026_6class", "few_shot", 6, 92.3, 0.9),
        ("hristov2026_10class", "incremental", 10, 90.0, 0.2),
    ],
)
def test_hristov_headline(df, experiment, protocol, n_classes, mean, sd):
    r = _one(df, paper="hristov2026", experiment=experiment, protocol=protocol)
    assert r["metric"] == "f1_macro"
    assert r["unit"] == "percent"
    assert r["model"] == "csae"
    assert int(r["n_classes"]) == n_classes
    assert _close(r["mean"], mean) and _close(r["sd"], sd)


WU_TABLE2 = {
    ("within", "cnn_i"): (29.40, 2.00),
    ("within", "cnn_ii"): (64.64, 7.70),
    ("within", "svm"): (53.59, 6.47),
    ("within", "lstm_cnn_ii"): (34.57, 8.35),
    ("within", "lstm_fin_cnn_ii"): (65.70, 7.50),
    ("cross", "cnn_i"): (25.13, 1.94),
    ("cross", "cnn_ii"): (77.90, 7.19),
    ("cross", "svm"): (52.91, 7.70),
    ("cross", "lstm_cnn_ii"): (45.41, 6.33),
    ("cross", "lstm_fin_cnn_ii"): (80.06, 6.21),
    ("all", "cnn_i"): (27.80, 1.98),
    ("all", "cnn_ii"): (69.61, 9.86),
    ("all", "svm"): (52.94, 8.42),
    ("all", "lstm_cnn_ii"): (38.64, 9.25),
    ("all", "lstm_fin_cnn_ii"): (71.80, 9.89),
}


def test_wu_table2(df):
    t2 = df[(df["paper"] == "wu2024") & (df["table"] == "table2")]
    assert len(t2) == 15
    for (group, model), (mean, sd) in WU_TABLE2.items():
        r = _one(t2, group=group, model=model, metric="accuracy")
        if model == "cnn_i":
            assert (r["experiment"], r["protocol"]) == ("wu2024_multi", "pooled_subjects")
        else:
            assert (r["experiment"], r["protocol"]) == ("wu2024", "subject_transfer")
        assert int(r["n_classes"]) == 17
        assert _close(r["mean"], mean) and _close(r["sd"], sd), (group, model)


WU_TABLE1 = {
    ("ENT", "r2"): (0.98, 0.10),
    ("ENT", "map"): (95.17, 11.78),
    ("RMS", "r2"): (0.99, 0.08),
    ("RMS", "map"): (95.33, 9.47),
    ("SSI", "r2"): (0.96, 0.14),
    ("SSI", "map"): (88.62, 14.43),
    ("VAR", "r2"): (0.98, 0.12),
    ("VAR", "map"): (92.97, 13.06),
}


def test_wu_table1(df):
    t1 = df[(df["paper"] == "wu2024") & (df["table"] == "table1")]
    assert len(t1) == 8
    for (feature, metric), (mean, sd) in WU_TABLE1.items():
        r = _one(t1, row=feature, metric=f"{metric}_{feature.lower()}")
        assert (r["experiment"], r["protocol"]) == ("wu2024_pretrain", "pooled_subjects")
        assert r["unit"] == ("ratio" if metric == "r2" else "percent")
        assert r["model"] == "lstm_fin"
        assert _close(r["mean"], mean) and _close(r["sd"], sd), (feature, metric)


WU_TABLE3 = {
    "cnn_i": (31, 12),
    "cnn_ii": (12, 0.46),
    "lstm_cnn_ii": (5, 291),
    "lstm_fin_cnn_ii": (4, 58),
    "lstm_fin": (3, 98),
}


def test_wu_table3(df):
    t3 = df[(df["paper"] == "wu2024") & (df["table"] == "table3")]
    assert len(t3) == 10
    for model, (epochs, seconds) in WU_TABLE3.items():
        e = _one(t3, model=model, metric="epochs")
        s = _one(t3, model=model, metric="epoch_seconds")
        assert e["unit"] == "count" and s["unit"] == "seconds"
        assert _close(e["mean"], epochs) and _close(s["mean"], seconds), model
        assert pd.isna(e["sd"]) and pd.isna(s["sd"])


def test_wu_text_results(df):
    txt = df[(df["paper"] == "wu2024") & (df["table"] == "text")]
    assert _close(_one(txt, metric="accuracy_drop", model="lstm_fin_cnn_ii")["mean"], 15)
    assert _close(_one(txt, metric="epochs", model="lstm_fin")["mean"], 3)
    assert _close(_one(txt, metric="epoch_seconds", model="lstm_fin")["mean"], 98)
    assert _close(_one(txt, row="abstract best R2")["mean"], 0.99)
    assert _close(_one(txt, row="abstract accuracy")["mean"], 80)
    # differences name the result they are taken against
    gains = txt[txt["metric"].isin(["accuracy_gain", "accuracy_drop"])]
    assert gains["versus"].notna().all() and len(gains) == 5


def test_rows_name_experiments_protocols_and_models_of_the_config():
    import yaml

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    exps = config["experiments"]
    df = pd.read_csv(CSV)
    for _, r in df[df["paper"].isin(["hristov2026", "wu2024"])].iterrows():
        exp = exps[r["experiment"]]
        assert r["protocol"] in exp["protocols"], (r["row"], r["protocol"])
        assert r["model"] in exp["models"], (r["row"], r["model"])


ATZORI = {
    ("atzori2016_db1", "cnn"): (66.59, 6.40),
    ("atzori2016_db1", "classical_mean"): (62.06, 6.07),
    ("atzori2016_db1", "random_forest"): (75.32, 5.69),
    ("atzori2016_db2", "cnn"): (60.27, 7.7),
    ("atzori2016_db2", "classical_mean"): (60.28, 6.51),
    ("atzori2016_db2", "random_forest"): (75.27, 7.89),
    ("atzori2016_db3", "cnn"): (38.09, 14.29),
    ("atzori2016_db3", "classical_mean"): (38.82, 11.99),
    ("atzori2016_db3", "svm"): (46.27, 7.89),
}


def test_atzori_accuracy(df):
    acc = df[(df["paper"] == "atzori2016") & (df["metric"] == "accuracy")]
    assert len(acc) == 9
    for (experiment, model), (mean, sd) in ATZORI.items():
        r = _one(acc, experiment=experiment, model=model)
        assert r["protocol"] == "within_subject" and r["unit"] == "percent"
        assert _close(r["mean"], mean) and _close(r["sd"], sd), (experiment, model)


def test_atzori_times(df):
    at = df[df["paper"] == "atzori2016"]
    assert _close(_one(at, metric="train_seconds")["mean"], 6120)  # 1 h 42 min
    assert _close(_one(at, metric="test_seconds")["mean"], 21.5)


def test_zhai_and_ding(df):
    z2 = _one(df, paper="zhai2017", experiment="zhai2017_db2")
    z3 = _one(df, paper="zhai2017", experiment="zhai2017_db3")
    for r, mean in ((z2, 10.18), (z3, 2.99)):
        assert r["metric"] == "accuracy_gain" and r["model"] == "cnn_recalibrated"
        assert _close(r["mean"], mean)
    d = _one(df, paper="ding2018")
    assert d["experiment"] == "ding2018_db2" and d["model"] == "c_b1pb2"
    assert d["metric"] == "accuracy" and _close(d["mean"], 78.86)
    assert "secondary source" in d["note"]
