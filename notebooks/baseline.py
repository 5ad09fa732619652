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
from IPython.display import HTML, Markdown, display

from emgrepro.report import (
    banner_markdown,
    confusion_heatmap,
    load_tables,
    mean_sd,
    pooled_predictions,
    show_whole_tables,
    verdict_html,
)

show_whole_tables()
tables = load_tables(paper, scores_csv, timings_csv, audit_csv)
scores = tables.scores
Path(figures_dir).mkdir(parents=True, exist_ok=True)
display(Markdown(banner_markdown(tables, "the Khushaba 2-channel data")))

# %% [markdown]
# ## Verdicts

# %%
display(HTML(verdict_html(tables.audit)))

# %% [markdown]
# ## Macro F1 and accuracy (%, mean ± sd over subjects)

# %%
main = scores[scores["metric"].isin(["f1_macro", "accuracy"])]
per_subject = main.groupby(["n_classes", "protocol", "model", "metric", "subject"])["value"].mean()
by = ["n_classes", "protocol", "model", "metric"]
display(per_subject.groupby(by).agg(lambda v: mean_sd(v)).unstack("metric"))

# %% [markdown]
# ## Per-subject macro F1 (%)

# %%
f1 = per_subject.xs("f1_macro", level="metric").reset_index()
f1["f1"] = 100 * f1["value"]
g = sns.catplot(
    data=f1,
    x="protocol",
    y="f1",
    hue="subject",
    col="n_classes",
    kind="bar",
    height=3.5,
    aspect=1.2,
    palette="viridis",
)
g.set_axis_labels("protocol", "macro F1 (%)")
g.figure.suptitle("TD + LDA per subject", y=1.03)
g.savefig(Path(figures_dir) / "f1_per_subject.png", dpi=120, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Confusion matrices (within-subject, all test subjects pooled)
#
# Each row in percent of its true class (recall on the diagonal), one colour scale.

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
