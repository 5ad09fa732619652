"""The classical baseline (TD features + LDA) on the real Khushaba subset, through
Snakemake: the vertical slice of every stage on real data."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import KHUSHABA_DEV_ZIP, need_shared, run_snakemake, write_yaml


@pytest.mark.slow
@pytest.mark.shared
def test_baseline_on_real_khushaba_subset(tmp_path):
    zip_path = need_shared(KHUSHABA_DEV_ZIP)
    write_yaml(
        tmp_path / "real.yaml",
        {
            "sources": {"khushaba_2ch": str(zip_path)},
            "subjects": {"khushaba_2ch": [1, 2, 4, 5]},
            "papers": ["baseline"],
            "checksum_lock": str(tmp_path / "checksums.lock"),
        },
    )
    run_snakemake(tmp_path, "results/scores.csv", "--cores", "2", "--configfile", "real.yaml")
    scores = pd.read_csv(tmp_path / "results" / "scores.csv")
    assert set(scores["data"]) == {"real"}
    sel = scores[
        (scores.protocol == "within_subject")
        & (scores.n_classes == 6)
        & (scores.model == "td_lda")
        & (scores.metric == "f1_macro")
    ]
    assert sorted(sel["subject"]) == [1, 2, 4, 5]
    assert sel["value"].mean() >= 0.80
