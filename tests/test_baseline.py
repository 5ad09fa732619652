"""The classical baseline (TD features + LDA) on the real Khushaba subset, through
Snakemake: the vertical slice of every stage on real data."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import KHUSHABA_REAL_SUBJECTS


@pytest.mark.slow
@pytest.mark.shared
def test_baseline_on_real_khushaba_subset(khushaba_real_run):
    """Read from the real Khushaba run shared with Hristov 2026 (windows every 100 ms)."""
    scores = pd.read_csv(khushaba_real_run / "results" / "scores.csv", keep_default_na=False)
    scores = scores[scores.paper == "baseline"]
    assert set(scores["data"]) == {"real"}
    assert set(scores["experiment"]) == {"baseline_6class", "baseline_10class"}
    assert set(scores["protocol"]) == {"within_subject", "multi_subject", "loso"}
    sel = scores[
        (scores.protocol == "within_subject")
        & (scores.n_classes == 6)
        & (scores.model == "td_lda")
        & (scores.metric == "f1_macro")
    ]
    assert sorted(sel["subject"].astype(int)) == KHUSHABA_REAL_SUBJECTS
    assert sel["value"].mean() >= 0.80
    assert (khushaba_real_run / "results" / "reports" / "baseline.html").is_file()
