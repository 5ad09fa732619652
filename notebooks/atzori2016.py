# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Atzori et al. 2016: a simple CNN against classical methods on Ninapro DB1, DB2 and DB3
#
# *Deep Learning with Convolutional Neural Networks Applied to Electromyography Data: A
# Resource for the Classification of Movements for Prosthetic Hands* (Frontiers in
# Neurorobotics 10:9). Per subject, every movement plus rest, split by repetition (DB1:
# train 1, 3, 4, 6, 8, 9, 10, test 2, 5, 7; DB2 and DB3: train 1, 3, 4, 6, test 2, 5; rest
# belongs to the repetition it follows). The paper's CNN (`atzori_cnn`) against the grid of
# classical methods (`classical_grid`: LDA, SVM, Random Forests and KNN on RMS, TD, HIST,
# mDWT and their combinations). Accuracy, mean ± sd over subjects.

# %% tags=["parameters"]
paper = "atzori2016"
inputs = {}  # from the report rule

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown, display

from emgrepro import report

tables = report.open_report(paper, inputs, "Ninapro DB1, DB2 and DB3")
FIG, experiments = tables.figures, tables.experiments
scores, timings, audit_rows = tables.scores, tables.timings, tables.audit
DATABASES = {"DB1": "db1", "DB2": "db2", "DB3": "db3"}
acc = scores[scores["metric"] == "accuracy"]


def grid(db: str) -> pd.DataFrame:
    """Accuracy per subject and cell (classifier / feature set) of one database's grid."""
    sel = acc[(acc["experiment"] == f"atzori2016_{db}") & (acc["model"] == "classical_grid")]
    sel = sel.assign(
        classifier=sel["condition"].str.split("/").str[0],
        features=sel["condition"].str.split("/").str[1],
    )
    return sel.groupby(["subject", "classifier", "features"], as_index=False)["value"].mean()


def cnn(db: str) -> pd.Series:
    sel = acc[(acc["experiment"] == f"atzori2016_{db}_cnn") & (acc["model"] == "atzori_cnn")]
    return sel.groupby("subject")["value"].mean()


def summary(db: str) -> dict:
    """CNN, the classical average (mean over cells per subject) and the best cell."""
    g = grid(db)
    out = {"cnn": cnn(db), "average": g.groupby("subject")["value"].mean()}
    if len(g):
        cells = g.groupby(["classifier", "features"])["value"].mean()
        best = cells.idxmax()
        mine = g[(g["classifier"] == best[0]) & (g["features"] == best[1])]
        out.update(best=mine.set_index("subject")["value"], best_cell=f"{best[0]} / {best[1]}")
    return out


SUMMARY = {name: summary(db) for name, db in DATABASES.items()}

# %% [markdown]
# ## Verdicts: every published number of this paper
#
# Each published value beside this run's, with the audit's verdict (`results/audit.csv`;
# the rule is in the audit report). Long texts (settings other than the paper's, reasons)
# are in the notes under the table.

# %%
display(HTML(report.verdict_html(audit_rows)))

# %% [markdown]
# ## The paper's result figure: CNN vs classical average vs best classical method
#
# Bars: this run (mean ± sd over subjects); black dots: the published means. The best
# classical method is the grid cell with the best mean accuracy over subjects (as the paper
# reports its best method, chosen on the test repetitions).

# %%
PUBLISHED = {}
for _, r in audit_rows.iterrows():
    for name in DATABASES:
        if r["row"].startswith(name + " "):
            kind = "cnn" if "CNN" in r["row"] else "average" if "average" in r["row"] else "best"
            PUBLISHED[(name, kind)] = r
rows = []
for name, s in SUMMARY.items():
    for kind, label in (
        ("cnn", "CNN"),
        ("average", "classical average"),
        ("best", "best classical"),
    ):
        values = s.get(kind, pd.Series(dtype=float))
        rows.append(
            {
                "database": name,
                "method": label,
                "reproduced": report.mean_sd(values, 100.0, 2),
                "published": report.published_text(PUBLISHED[(name, kind)])
                if (name, kind) in PUBLISHED
                else "",
                "verdict": PUBLISHED[(name, kind)]["verdict"] if (name, kind) in PUBLISHED else "",
                "cell": s.get("best_cell", "") if kind == "best" else "",
            }
        )
table = pd.DataFrame(rows).set_index(["database", "method"])
display(table)
plot = []
for name, s in SUMMARY.items():
    for kind, label in (
        ("cnn", "CNN"),
        ("average", "classical average"),
        ("best", "best classical"),
    ):
        for v in s.get(kind, pd.Series(dtype=float)).values:
            plot.append({"database": name, "method": label, "accuracy": 100 * v})
if plot:
    plot = pd.DataFrame(plot)
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.barplot(data=plot, x="database", y="accuracy", hue="method", errorbar="sd", ax=ax)
    for i, name in enumerate(DATABASES):
        for j, kind in enumerate(("cnn", "average", "best")):
            if (name, kind) in PUBLISHED:
                x = i + (j - 1) * 0.8 / 3
                ax.plot(x, PUBLISHED[(name, kind)]["published_mean"], "ko", ms=5)
    ax.plot([], [], "ko", ms=5, label="published mean")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("CNN vs classical methods (bars: this run, mean ± sd; dots: published)")
    # beside the axes: inside, the legend would hide the bars
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(FIG / "cnn_vs_classical.png", dpi=120, bbox_inches="tight")
    plt.show()
else:
    display(Markdown(f"Result figure: **{report.NOT_COMPUTED}**."))

# %% [markdown]
# ## Classifier × feature-set accuracy per database
#
# Every cell of the classical grid, mean accuracy over subjects (%); every database on one
# colour scale (the bar on the right).

# %%
grids = {name: grid(db) for name, db in DATABASES.items()}
done = {name: g for name, g in grids.items() if len(g)}
if done:
    heats = {
        name: 100 * g.pivot_table(index="classifier", columns="features", values="value")
        for name, g in done.items()
    }
    low = min(h.min().min() for h in heats.values())
    high = max(h.max().max() for h in heats.values())
    fig, axes = plt.subplots(
        1, len(done), figsize=(5 * len(done) + 1.5, 4.2), squeeze=False, layout="constrained"
    )
    for ax, (name, heat) in zip(axes[0], heats.items()):
        sns.heatmap(heat, annot=True, fmt=".1f", cmap="viridis", vmin=low, vmax=high,
                    cbar=False, ax=ax)  # fmt: skip
        ax.set_title(name)
        ax.set_xlabel("features")
        ax.set_ylabel("classifier" if ax is axes[0][0] else "")
        ax.tick_params(axis="y", rotation=0)
    fig.colorbar(axes[0][0].collections[0], ax=axes[0].tolist(), label="mean accuracy (%)")
    fig.savefig(FIG / "classical_grid.png", dpi=120)
    plt.show()
else:
    display(Markdown(f"Classical grid: **{report.NOT_COMPUTED}**."))

# %% [markdown]
# ## Per subject: CNN vs best classical method

# %%
points = []
for name, s in SUMMARY.items():
    if "best" in s and len(s["cnn"]):
        both = pd.concat({"cnn": s["cnn"], "best": s["best"]}, axis=1).dropna()
        points += [
            {
                "database": name,
                "subject": i,
                "CNN": 100 * r["cnn"],
                "best classical": 100 * r["best"],
            }
            for i, r in both.iterrows()
        ]
if points:
    points = pd.DataFrame(points)
    fig, ax = plt.subplots(figsize=(5, 5))
    sns.scatterplot(data=points, x="best classical", y="CNN", hue="database", ax=ax)
    ax.plot([0, 100], [0, 100], color="grey", lw=1)
    ax.set_xlim(-3, 103)  # a point at 0 or 100 % stays whole
    ax.set_ylim(-3, 103)
    ax.set_title("Accuracy per subject (%)")
    fig.tight_layout()
    fig.savefig(FIG / "cnn_vs_best_per_subject.png", dpi=120)
    plt.show()
    display(points.set_index(["database", "subject"]).round(1))
else:
    display(Markdown(f"Per-subject comparison: **{report.NOT_COMPUTED}**."))

# %% [markdown]
# ## Training and testing time
#
# The paper: 1 h 42 min of training and 21.5 s of testing on an Nvidia Titan-X (dataset not
# stated). This run's times are on the hardware named below: not comparable.

# %%
t = (
    timings[(timings["model"] == "atzori_cnn") & (timings["stage"] == "fit")]
    if len(timings)
    else timings
)
if len(t):
    display(
        t.groupby("experiment")[["fit_seconds", "predict_seconds", "seconds_per_epoch"]]
        .agg(["mean", "sum"])
        .round(2)
    )
    display(Markdown("Hardware: " + "; ".join(sorted(t["hardware"].dropna().unique()))))
else:
    display(Markdown(f"Timings: **{report.NOT_COMPUTED}**."))

# %% [markdown]
# ## Our choices
#
# The paper's sections on class sets, the Delsys preprocessing, window steps and the
# classical grid's settings were not reachable: every such value is a config value marked
# "our choice" in `config/papers/atzori2016.yaml`.
#
# The paper doubles its training set with a copy of every window carrying white Gaussian
# noise. Each of our CNN's batches of 256 holds 128 recorded windows and their 128 noisy
# copies, so that an epoch takes the doubled set's number of SGD steps (twice the recorded
# set's); the copies' signal-to-noise ratio (25 dB) is our choice. The settings of this run:

# %%
display(Markdown(report.choices_markdown(experiments)))
