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
paper = "baseline"
inputs = {}  # from the report rule

# %%
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import HTML, display

from emgrepro import report

tables = report.open_report(paper, inputs, "the Khushaba 2-channel data")
FIG, experiments = tables.figures, tables.experiments
scores = tables.scores

# %% [markdown]
# ## Verdicts

# %%
display(HTML(report.verdict_html(tables.audit)))

# %% [markdown]
# ## Macro F1 and accuracy (%, mean ± sd over subjects)

# %%
main = scores[scores["metric"].isin(["f1_macro", "accuracy"])]
per_subject = main.groupby(["n_classes", "protocol", "model", "metric", "subject"])["value"].mean()
by = ["n_classes", "protocol", "model", "metric"]
display(per_subject.groupby(by).agg(lambda v: report.mean_sd(v)).unstack("metric"))

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
g.savefig(FIG / "f1_per_subject.png", dpi=120, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Confusion matrices (within-subject, all test subjects pooled)
#
# Each row in percent of its true class (recall on the diagonal), one colour scale.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, exp in zip(axes, sorted(scores["experiment"].unique())):
    pred = report.pooled_predictions(tables.predictions, exp, "within_subject", "td_lda")
    if pred is None:
        ax.set_axis_off()
        continue
    y_true, y_pred, classes = pred
    report.confusion_heatmap(ax, y_true, y_pred, [str(int(c)) for c in classes], exp)
plt.tight_layout()
plt.savefig(FIG / "confusion_within_subject.png", dpi=120)
plt.show()
