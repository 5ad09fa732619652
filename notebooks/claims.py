# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Claims: what each paper says beats what, judged on this run's data
#
# Each paper's comparative claims (`config/papers/<paper>.claims.csv`) judged on every
# dataset the run computed both sides on, paired over subjects (bootstrap interval of the
# mean difference, Wilcoxon signed-rank p), as the audit judges published differences; then
# the cross-paper grid: each claim experiment's models on every dataset the run met them
# on. `results/claims.csv` and `results/grid.csv`, written by the claims rule; this report
# only reads them.

# %% tags=["parameters"]
claims_csv = "results/claims.csv"
grid_csv = "results/grid.csv"
figures_dir = "results/figures/claims"

# %%

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from emgrepro.evaluation.claims import CLAIM_VERDICTS
from emgrepro.report import open_run_report

table, FIG = open_run_report(
    claims_csv,
    figures_dir,
    "**Synthetic data.** Claims marked `synthetic` were judged on synthetic twins: they "
    "exercise the pipeline and say nothing about the papers.",
)
for column in ("published_size", "difference", "ci_low", "ci_high", "p_value", "n"):
    table[column] = pd.to_numeric(table[column], errors="coerce")  # numbers, even when empty
table["n"] = table["n"].fillna(0)
COLOURS = {
    "holds": "#1a9850",
    "fails": "#d73027",
    "inconclusive": "#fee090",
    "not-run": "#f7f7f7",
    "not-applicable": "#d9d9d9",
}
MEANING = {
    "holds": "the interval of a − b lies on the claimed side of 0 (comparable: inside ± margin)",
    "fails": "it lies on the other side of 0 (comparable: wholly outside ± margin)",
    "inconclusive": "neither, or fewer subjects than the minimum",
    "not-run": "the run computed neither side on one dataset, or no subject of the claim's group",
    "not-applicable": "the claim cannot be tested on this run's datasets (reason given)",
}


# %% [markdown]
# ## Verdicts: one row per claim and dataset


# %%
def _interval(r) -> str:
    if not np.isfinite(r["difference"]):
        return "not computed"
    if not (np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])):
        return f"{r['difference']:+.2f} (no interval: n = {int(r['n'])})"
    return f"{r['difference']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"


view = pd.DataFrame(
    {
        "paper": table["paper"],
        "claim": table["statement"],
        "dataset": table["dataset"].fillna("").replace("", "—"),
        "data": table["data"].fillna("").replace("", "—"),
        "a − b (points) [95 % CI]": [_interval(r) for _, r in table.iterrows()],
        "published": ["not given" if pd.isna(v) else f"{v:+.2f}" for v in table["published_size"]],
        "n": table["n"].astype(int),
        "verdict": table["verdict"],
        "why": table["reason"].fillna(""),
    }
)
display(
    view.style.map(lambda v: f"background-color: {COLOURS.get(v, 'white')}", subset=["verdict"])
    .hide(axis="index")
    .set_properties(**{"white-space": "nowrap"}, subset=["dataset", "data", "verdict", "n"])
    .set_properties(**{"text-align": "left"}, subset=["paper", "claim", "why"])
)
display(Markdown("\n".join(f"- **{v}**: {MEANING[v]}" for v in CLAIM_VERDICTS)))

# %% [markdown]
# ## Sizes: the paired difference of each judged claim beside the published one

# %%
judged = table[np.isfinite(table["difference"])].reset_index(drop=True)
if judged.empty:
    display(Markdown("No claim was judged in this run: nothing to plot."))
else:
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(judged) + 1.2))
    y = np.arange(len(judged))
    colours = [COLOURS[v] for v in judged["verdict"]]
    low = (judged["difference"] - judged["ci_low"]).fillna(0.0)
    high = (judged["ci_high"] - judged["difference"]).fillna(0.0)
    ax.errorbar(
        judged["difference"],
        y,
        xerr=[low, high],
        fmt="none",
        ecolor="0.3",
        capsize=3,
    )
    ax.scatter(judged["difference"], y, c=colours, edgecolors="0.2", zorder=3, label="this run")
    has = judged["published_size"].notna()
    ax.scatter(
        judged.loc[has, "published_size"],
        y[has.to_numpy()],
        marker="x",
        color="k",
        zorder=4,
        label="published",
    )
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(
        y, [f"{p}: {c} ({d})" for p, c, d in zip(judged.paper, judged.claim, judged.dataset)]
    )
    ax.invert_yaxis()
    ax.set_xlabel("a − b (percentage points), 95 % interval")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Claims: this run's paired differences")
    plt.tight_layout()
    plt.savefig(FIG / "claims.png", dpi=120)
    plt.show()

# %% [markdown]
# ## The cross-paper grid: each paper's models on each dataset
#
# Each model of the claim experiments on every dataset this run met it on (the paper's own
# and those of its `grid` section, run with `grid: true`), on the within-subject split
# (Wu 2024, which has none: its per-subject fine-tuning after pre-training, shown as the
# protocol): mean ± sd over subjects (%) and, in brackets, the rank within the paper's
# experiment on that dataset. First how each paper's models meet each dataset, or why they
# cannot.

# %%
grid = pd.read_csv(grid_csv, keep_default_na=False, na_values=[""])
for column in ("mean", "sd", "n", "rank"):
    grid[column] = pd.to_numeric(grid[column], errors="coerce")
meets = grid[["paper", "dataset", "status", "how"]].drop_duplicates()
if meets.empty:
    display(Markdown("No claim experiment was run: the grid is empty."))
else:
    display(
        meets.rename(columns={"status": "pair", "how": "how the models meet the dataset"})
        .style.hide(axis="index")
        .set_properties(**{"text-align": "left", "white-space": "normal"})
    )

# %%
run = grid[grid["status"] == "run"].copy()
if not run.empty:

    def _cell(r) -> str:
        sd = "" if pd.isna(r["sd"]) else f" ± {r['sd']:.1f}"
        return f"{r['mean']:.1f}{sd} ({int(r['rank'])})"

    run["cell"] = [_cell(r) for _, r in run.iterrows()]
    run["dataset"] = run["dataset"] + np.where(run["data"] == "synthetic", " (synthetic)", "")
    wide = run.pivot_table(
        index=["paper", "experiment", "protocol", "model"],
        columns="dataset",
        values="cell",
        aggfunc="first",
    ).fillna("—")
    display(wide)
    values = run.pivot_table(
        index=["paper", "model"], columns="dataset", values="mean", aggfunc="mean"
    )
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * values.shape[1], 0.32 * len(values) + 1.5))
    image = ax.imshow(values.to_numpy(float), aspect="auto", cmap="viridis", vmin=0, vmax=100)
    for (i, j), v in np.ndenumerate(values.to_numpy(float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if v < 60 else "black")  # fmt: skip
    ax.set_xticks(range(values.shape[1]), values.columns, rotation=20, ha="right")
    ax.set_yticks(range(len(values)), [f"{p}: {m}" for p, m in values.index], fontsize=7)
    fig.colorbar(image, ax=ax, label="mean over subjects (%)")
    ax.set_title("The cross-paper grid (per-subject splits)")
    plt.tight_layout()
    plt.savefig(FIG / "grid.png", dpi=120)
    plt.show()
