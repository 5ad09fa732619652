# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Baseline: time-domain features + LDA on the Khushaba 2-channel data
#
# The classical reference for every deep model of this project: MAV, WL, ZC, SSC and RMS
# of each channel, standardised on the training split, then LDA. Three protocols:
# `within_subject` (trials 1–4 train, 5–6 test), `multi_subject` (one pooled model, tested
# per subject on trials 5–6) and `loso` (leave one subject out, one other subject for
# validation). No published number corresponds to it.

# %% tags=["parameters"]
scores_csv = "results/scores.csv"
timings_csv = "results/timings.csv"
audit_csv = "results/audit.csv"
figures_dir = "results/figures/baseline"
paper = "baseline"
results_dir = "results"
paper_info = {}
experiments = {}
audit_rule = {}

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from emgrepro.report import banner_markdown, confusion_heatmap, load_tables, pooled_predictions

tables = load_tables(paper, scores_csv, timings_csv, audit_csv)
scores = tables.scores
Path(figures_dir).mkdir(parents=True, exist_ok=True)
display(Markdown(banner_markdown(tables, "the Khushaba 2-channel data")))

# %% [markdown]
# ## Macro F1 and accuracy (mean ± sd over subjects)

# %%
main = scores[scores["metric"].isin(["f1_macro", "accuracy"])]
per_subject = main.groupby(["n_classes", "protocol", "model", "metric", "subject"])["value"].mean()
summary = per_subject.groupby(["n_classes", "protocol", "model", "metric"]).agg(
    ["mean", "std", "count"]
)
table = (
    (100 * summary["mean"]).round(1).astype(str)
    + " ± "
    + (100 * summary["std"]).round(1).astype(str)
).unstack("metric")
display(table)

# %% [markdown]
# ## Per-subject macro F1

# %%
f1 = per_subject.xs("f1_macro", level="metric").reset_index()
g = sns.catplot(
    data=f1,
    x="protocol",
    y="value",
    hue="subject",
    col="n_classes",
    kind="bar",
    height=3.5,
    aspect=1.2,
    palette="viridis",
)
g.set_axis_labels("protocol", "macro F1")
g.figure.suptitle("TD + LDA per subject", y=1.03)
g.savefig(Path(figures_dir) / "f1_per_subject.png", dpi=120, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Confusion matrices (within-subject, all test subjects pooled)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, exp in zip(axes, sorted(scores["experiment"].unique())):
    pred = pooled_predictions(results_dir, exp, "within_subject", "td_lda")
    if pred is None:
        ax.set_axis_off()
        continue
    y_true, y_pred, classes = pred
    confusion_heatmap(ax, y_true, y_pred, [str(int(c)) for c in classes], exp)
plt.tight_layout()
plt.savefig(Path(figures_dir) / "confusion_within_subject.png", dpi=120)
plt.show()
