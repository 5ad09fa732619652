"""The caption of every figure a report notebook saves, for Snakemake's own report
(``snakemake --report``): what the figure shows and which published table or figure it
regenerates, or that it has none.

Keys are the report's ``{paper}`` (``audit`` for the audit report) and the figure's file
name without ``.png``; a test checks that every figure a notebook saves has one.
"""

from __future__ import annotations

NO_COUNTERPART = "No published counterpart: it shows this run only."

CAPTIONS: dict[str, dict[str, str]] = {
    "audit": {
        "verdicts": "Number of published values per paper, stacked by audit verdict "
        "(results/audit.csv). " + NO_COUNTERPART,
        "published_vs_reproduced": "Every published accuracy or macro F1 (x, %) against "
        "this run's value (y, %), coloured by verdict; the grey line is equality. "
        + NO_COUNTERPART,
    },
    "claims": {
        "claims": "Each judged claim's paired difference a - b (points) with its 95 % "
        "interval, coloured by verdict, and the published size (x) where the paper gives "
        "one (results/claims.csv). Regenerates the comparisons the papers state in their "
        "text and tables, one per claim and dataset.",
        "grid": "The cross-paper grid: mean over subjects (%) of each claim experiment's "
        "models (rows, by paper) on each dataset the run met them on (columns), on the "
        "within-subject split; one colour scale (results/grid.csv). " + NO_COUNTERPART,
    },
    "baseline": {
        "f1_per_subject": "Macro F1 (%) of time-domain features + LDA per protocol and "
        "subject, one panel per class set, one shared y-axis. " + NO_COUNTERPART,
        "confusion_within_subject": "Row-normalised confusion matrices (recall %) of TD + "
        "LDA, within-subject protocol, every test subject pooled; one colour scale. "
        + NO_COUNTERPART,
    },
    "hristov2026": {
        "few_shot_curve": "Macro F1 (%) on the unseen subject against calibration trials "
        "per class (k = 0: no calibration), mean ± sd over subjects. Regenerates the "
        "paper's few-shot transfer result (abstract: 35.1 % → 92.3 %) as a curve; the paper "
        "publishes the two end points, not the curve.",
        "per_subject": "Macro F1 (%) per subject, protocol and model (CSAE, CNN ablation, "
        "TD + LDA), one shared y-axis. Regenerates the per-protocol results behind the "
        "paper's headline numbers, subject by subject (the paper gives means only).",
        "confusion_matrices": "Row-normalised confusion matrices (recall %) of the CSAE: "
        "multi-subject 6 classes and incremental 10 classes, every test subject pooled; "
        "one colour scale. " + NO_COUNTERPART,
        "reconstructions": "Three test windows of one subject (standardised units) with the "
        "multi-subject CSAE's reconstruction, both channels. " + NO_COUNTERPART,
    },
    "wu2024": {
        "feature_imitation": "Features imitated by the pre-trained LSTM-FIN against the true "
        "ENT, RMS, SSI and VAR on test windows; the dashed line is equality. No published "
        "counterpart as a figure: it shows the imitation that the paper's Table 1 sums up "
        "(R² and MAP, in the report's table).",
        "table2_per_subject": "Accuracy (%) of each model per subject, within-subject "
        "(1-25) and cross-subject (26-40) groups. Regenerates the paper's Table 2 subject "
        "by subject (the paper gives group means).",
        "data_efficiency": "Accuracy (%) against the share of fine-tuning data used "
        "(20-100 %), per subject group, mean with 95 % interval. Regenerates the paper's "
        "data-efficiency figure (Section 4.4, Fig. 4.5 top).",
        "forward_in_time": "Accuracy (%) when each window is paired with the label 0-300 ms "
        "ahead, mean with 95 % interval. Regenerates the paper's forward-in-time figure "
        "(Section 4.5, Fig. 4.5 bottom; published: a drop of roughly 15 %).",
    },
    "atzori2016": {
        "cnn_vs_classical": "Accuracy (%) of the CNN, the classical average and the best "
        "classical method per database (bars: this run, mean ± sd over subjects; dots: "
        "published means). Regenerates the paper's result figure (CNN against classical "
        "methods on Ninapro DB1, DB2, DB3).",
        "classical_grid": "Mean accuracy (%) of every classifier × feature-set cell of the "
        "classical grid, one heatmap per database on one colour scale. Regenerates the "
        "grid behind the paper's classical average and best method (the cells themselves "
        "were not published in the reachable text).",
        "cnn_vs_best_per_subject": "Accuracy (%) per subject: CNN (y) against the best "
        "classical method (x), per database; the grey line is equality. " + NO_COUNTERPART,
    },
    "zhai2017": {
        "accuracy_by_session": "Accuracy (%) over testing sessions I-V per arm and model, "
        "for no recalibration, All-Session and Last-Only, mean with 95 % interval; every "
        "panel on one y-axis. Regenerates the paper's session curves and the gains of its "
        "Table 2 (Last-Only minus none).",
        "gain_per_subject": "Each subject's gain (percentage points) over no recalibration, "
        "averaged over sessions II-V, per arm, scenario and model; one y-axis. Regenerates "
        "the averages of the paper's Table 2 subject by subject.",
    },
    "ding2018": {
        "table2": "Accuracy (%) per network and the best classical method (bars: this run, "
        "mean ± sd over subjects; star: the one published number, from a secondary "
        "source). Regenerates the paper's Table 2, whose values were not found.",
        "per_subject": "Accuracy (%) of every method per subject on Exercise B; lines join "
        "one subject's methods. " + NO_COUNTERPART,
        "confusion_c_b1pb2": "Row-normalised confusion matrix (recall %) of C-B1PB2, every "
        "test window of every subject pooled; one colour scale. " + NO_COUNTERPART,
    },
}


def figure_captions(paper: str) -> dict[str, str]:
    """The captions of one report's figures (``{}`` for a report without figures)."""
    return dict(CAPTIONS.get(paper, {}))
