"""Every paper's claims on the real data in ../shared through the cross-paper grid: the
README's config/shared_data.yaml at test size (a few epochs, sparse windows), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import KHUSHABA_DEV_ZIP, REPO, SHARED_DATA, need_shared, run_snakemake, write_yaml
from emgrepro.config import load
from emgrepro.evaluation.claims import read_claims
from emgrepro.paths import claims_csv

pytestmark = [pytest.mark.slow, pytest.mark.shared]

DB1_SUBJECTS = [1, 2, 3, 4]
# test size: windows every 100-400 ms, 1-3 epochs, a smaller classical grid and SVM search
TEST_SIZE = {
    "preprocessing": {
        "atzori_db1_cnn": {"window": {"step_ms": 100}},
        "atzori_grid_khushaba_classical": {"window": {"step_ms": 200}},
        "atzori_grid_khushaba_cnn": {"window": {"step_ms": 200}},
        "ding_grid_khushaba": {"window": {"step_ms": 400}},
        "khushaba_250ms": {"window": {"step_ms": 200}},
        "hristov_grid_db1": {"window": {"step_ms": 100}},
        "zhai_grid_khushaba": {"window": {"step_ms": 200}},
        "wu_grid_db1": {"window": {"step_ms": 300}},
    },
    "experiments": {
        **{
            name: {"models": {"classical_grid": {"classifiers": ["lda", "random_forest"],
                                                 "feature_sets": ["rms", "td"]}}}
            for name in ("atzori2016_db1", "atzori2016_db1_on_khushaba_2ch")
        },
        "atzori2016_db1_cnn": {"training": {"max_epochs": 3}},
        "atzori2016_db1_cnn_on_khushaba_2ch": {"training": {"max_epochs": 3}},
        "ding2018_db2_on_khushaba_2ch": {"training": {"max_epochs": 2, "patience": 1}},
        **{
            name: {"training": {"max_epochs": 3, "patience": 2},
                   "protocols": {"few_shot": {"fine_tune": {"epochs": 2}}}}
            for name in ("hristov2026_6class", "hristov2026_6class_on_ninapro_db1")
        },
        "wu2024_pretrain_on_ninapro_db1": {"training": {"max_epochs": 1}},
        "wu2024_on_ninapro_db1": {
            "models": {m: {"training": {"max_epochs": e}}
                       for m, e in (("cnn_ii", 3), ("lstm_cnn_ii", 1), ("lstm_fin_cnn_ii", 1))},
        },
        "zhai2017_db2_on_khushaba_2ch": {
            "training": {"max_epochs": 3, "patience": 2},
            "models": {"zhai_svm": {"C_grid": [1.0, 10.0], "gamma_grid": [0.01]}},
        },
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory) -> Path:
    files = [need_shared(SHARED_DATA / f"ninapro-db1-S{s}_A1_E1.mat") for s in DB1_SUBJECTS]
    zip_path = need_shared(KHUSHABA_DEV_ZIP)
    workdir = tmp_path_factory.mktemp("shared_claims")
    mirror = workdir / "db1"
    mirror.mkdir()
    for s, f in zip(DB1_SUBJECTS, files):
        (mirror / f"S{s}_A1_E1.mat").symlink_to(f)  # the Ninapro names, as a local mirror
    paths = {
        "sources": {"khushaba_2ch": str(zip_path), "ninapro_db1": str(mirror)},
        "checksum_lock": str(workdir / "checksums.lock"),
    }
    write_yaml(workdir / "paths.yaml", paths)
    write_yaml(workdir / "test_size.yaml", TEST_SIZE)
    files = [REPO / "config" / "shared_data.yaml", workdir / "paths.yaml"]
    files.append(workdir / "test_size.yaml")
    run_snakemake(workdir, "--cores", "2", "--configfile", *map(str, files))
    return workdir


def _config(workdir: Path) -> dict:
    names = ("shared_data.yaml", "paths.yaml", "test_size.yaml")
    return load([REPO / "config" / "config.yaml", REPO / "config" / names[0]]
                + [workdir / n for n in names[1:]])  # fmt: skip


def _datasets_met(config: dict, experiment: str) -> set[str]:
    """The datasets the run met a paper experiment on: its own and its grid copies'."""
    met = set()
    for name, exp in config["experiments"].items():
        if name == experiment or exp.get("grid_of") == experiment:
            met.add(config["preprocessing"][exp["preprocessing"]]["dataset"])
    return met


def _group_ran(config: dict, claim: pd.Series, dataset: str) -> bool:
    """Whether a subject of the claim's group ran on ``dataset`` (the grid's groups there,
    or the paper's own on its own dataset)."""
    if not isinstance(claim.group, str) or not claim.group:
        return True
    info = config["paper_info"][claim.paper]
    entry = info["grid"].get(dataset, {})
    groups = entry.get("groups", {}) if "experiments" in entry else info["audit"]["groups"]
    return bool(set(groups.get(claim.group, [])) & set(config["subjects"][dataset]))


def test_every_claim_is_judged_on_every_real_dataset_it_meets(shared_run):
    config = _config(shared_run)
    table = pd.read_csv(shared_run / "results" / "claims.csv", keep_default_na=False)
    papers = config["papers"]
    claims = read_claims([claims_csv(p) for p in papers])
    assert set(table["paper"]) == set(papers)
    judged = 0
    for _, claim in claims.iterrows():
        rows = table[(table.paper == claim.paper) & (table.claim == claim.claim)]
        met = _datasets_met(config, claim.experiment)
        unmet = {
            d: e["not_applicable"]
            for d, e in config["paper_info"][claim.paper]["grid"].items()
            if "not_applicable" in e
        }
        where = f"{claim.paper} {claim.claim}"
        if not met:  # its experiment reads Ninapro DB2 or DB3, which are not here
            assert set(rows["verdict"]) <= {"not-run", "not-applicable"}, where
        for dataset in met:
            row = rows[rows.dataset == dataset]
            assert len(row) == 1, f"{where}: {dataset}"
            row = row.iloc[0]
            if not _group_ran(config, claim, dataset):  # Wu 2024's cross group on DB1
                assert row["verdict"] == "not-run", where
                assert row["reason"].startswith(f"no subject of group '{claim.group}'"), where
                continue
            assert row["data"] == "real", where
            assert row["verdict"] in ("holds", "fails", "inconclusive"), where
            for column in ("difference", "ci_low", "ci_high"):
                assert np.isfinite(float(row[column])), f"{where}: {dataset} {column}"
            assert int(row["n"]) == 4, f"{where}: {dataset} n"
            judged += 1
        for dataset, reason in unmet.items():
            row = rows[rows.dataset == dataset]
            assert list(row["verdict"]) == ["not-applicable"], f"{where}: {dataset}"
            assert row.iloc[0]["reason"] == reason, where
    # each paper of the run: at least two claims judged on real data
    real = table[(table.data == "real") & table.verdict.isin(["holds", "fails", "inconclusive"])]
    assert real.groupby("paper")["claim"].nunique().reindex(papers).min() >= 2
    assert judged == len(real)


def test_the_grid_table_and_the_claims_report(shared_run):
    config = _config(shared_run)
    grid = pd.read_csv(shared_run / "results" / "grid.csv", keep_default_na=False)
    run = grid[grid.status == "run"]
    claimed = set(read_claims([claims_csv(p) for p in config["papers"]])["experiment"])
    for name, exp in config["experiments"].items():
        if exp.get("grid_of") in claimed:  # not Wu 2024's pre-training, judged by no claim
            dataset = config["preprocessing"][exp["preprocessing"]]["dataset"]
            rows = run[(run.experiment == exp["grid_of"]) & (run.dataset == dataset)]
            assert len(rows) >= len(exp["models"]), name
            assert (rows["data"] == "real").all() and (rows["n"].astype(int) == 4).all()
            choices = config["paper_info"][exp["paper"]]["grid"][dataset]["choices"]
            assert set(rows["how"]) == {choices}, name
    na = grid[grid.status == "not-applicable"]
    assert {(r.paper, r.dataset) for r in na.itertuples()} == {
        ("ding2018", "ninapro_db1"),
        ("zhai2017", "ninapro_db1"),
    }
    html = (shared_run / "results" / "reports" / "claims.html").read_text()
    assert html.index("Verdicts: one row per claim") < html.index("The cross-paper grid")
    assert "not-applicable" in html and "(synthetic)" not in html
    figures = shared_run / "results" / "figures" / "claims"
    assert {"claims.png", "grid.png"} <= {p.name for p in figures.glob("*.png")}
    # the papers' own reports render with their own experiments left out
    for paper in config["papers"]:
        assert (shared_run / "results" / "reports" / f"{paper}.html").is_file(), paper
    provenance = json.loads((shared_run / "results" / "provenance.json").read_text())
    assert provenance["config"]["grid"] is True
