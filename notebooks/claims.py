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
# mean difference, Wilcoxon signed-rank p), as the audit judges published differences.
# `results/claims.csv`, written by the claims rule; this report only reads it.

# %% tags=["parameters"]
claims_csv = "results/claims.csv"
figures_dir = "results/figures/claims"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from emgrepro.evaluation.claims import CLAIM_VERDICTS
from emgrepro.report import show_whole_tables

show_whole_tables()
table = pd.read_csv(claims_csv, keep_default_na=False, na_values=[""])
for column in ("published_size", "difference", "ci_low", "ci_high", "p_value", "n"):
    table[column] = pd.to_numeric(table[column], errors="coerce")  # numbers, even when empty
table["n"] = table["n"].fillna(0)
FIG = Path(figures_dir)
FIG.mkdir(parents=True, exist_ok=True)
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
    "not-run": "the run computed neither side on one dataset",
    "not-applicable": "the claim cannot be tested on this run's datasets (reason given)",
}
if (table["data"] == "synthetic").any():
    display(
        Markdown(
            "**Synthetic data.** Claims marked `synthetic` were judged on synthetic twins: "
            "they exercise the pipeline and say nothing about the papers."
        )
    )


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
        "dataset": table["dataset"].replace("", "—"),
        "data": table["data"].replace("", "—"),
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
