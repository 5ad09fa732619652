# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Audit: published numbers versus this run
#
# Every number of the source documents (`config/published.csv`) beside what this run
# computed. A number the pipeline did not compute is marked **not-run**; one computed on
# synthetic data is marked **synthetic** and says nothing about the paper. Training times
# are shown but marked **not-comparable**: they depend on the hardware, which the paper
# reports name.

# %% tags=["parameters"]
scores_csv = "results/scores.csv"
timings_csv = "results/timings.csv"
published_csv = "config/published.csv"
provenance_json = "results/provenance.json"
audit_csv = "results/audit.csv"
figures_dir = "results/figures/audit"
audit_settings = {
    "abs_tolerance_percent": 5.0,
    "sd_multiplier": 2.0,
    "groups": {},
    "synthetic_datasets": [],
}
run_papers = []

# %%
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from emgrepro.evaluation.audit import audit
from emgrepro.evaluation.metrics import timing_scores
from emgrepro.io import write_csv

scores = pd.read_csv(scores_csv, keep_default_na=False, na_values=[""])
if Path(timings_csv).exists():
    timings = pd.read_csv(timings_csv, keep_default_na=False, na_values=[""])
    scores = pd.concat([scores, timing_scores(timings)], ignore_index=True)
published = pd.read_csv(published_csv)
table = audit(published, scores, **audit_settings)
abs_tolerance_percent = audit_settings["abs_tolerance_percent"]
sd_multiplier = audit_settings["sd_multiplier"]
synthetic_datasets = audit_settings["synthetic_datasets"]
write_csv(table, audit_csv)
Path(figures_dir).mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The tolerance rule

# %%
display(
    Markdown(
        f"A published number counts as **reproduced** when |reproduced − published| ≤ "
        f"max({abs_tolerance_percent} percentage points, {sd_multiplier} × published sd) "
        "(for ratios the points are divided by 100). Reproduced values are means over "
        "subjects of the per-subject mean over seeds."
    )
)
if synthetic_datasets:
    display(
        Markdown(
            "**This run used synthetic data** for: "
            + ", ".join(f"`{d}`" for d in synthetic_datasets)
            + ". Its numbers exercise the pipeline and prove nothing about the papers."
        )
    )

# %% [markdown]
# ## Verdicts per paper

# %%
counts = table.groupby(["paper", "verdict"]).size().unstack(fill_value=0)
display(counts)
ax = counts.plot.barh(stacked=True, figsize=(7, 3.5))
ax.set_xlabel("published numbers")
ax.set_title("Audit verdicts")
plt.tight_layout()
plt.savefig(Path(figures_dir) / "verdicts.png", dpi=120)
plt.show()

# %% [markdown]
# ## Every published number

# %%
pd.set_option("display.max_rows", 500)
display(table)

# %% [markdown]
# ## Published versus reproduced (numbers the run computed)

# %%
done = table.dropna(subset=["reproduced_mean"])
if len(done):
    fig, ax = plt.subplots(figsize=(5, 5))
    sns.scatterplot(
        data=done, x="published_mean", y="reproduced_mean", hue="paper", style="verdict", ax=ax
    )
    lim = [0, max(100.0, float(done[["published_mean", "reproduced_mean"]].max().max()))]
    ax.plot(lim, lim, color="grey", lw=1)
    ax.set_title("Published vs reproduced")
    plt.tight_layout()
    plt.savefig(Path(figures_dir) / "published_vs_reproduced.png", dpi=120)
    plt.show()
else:
    display(Markdown("No published number was computed in this run."))

# %% [markdown]
# ## Provenance of this run

# %%
prov = json.loads(Path(provenance_json).read_text())
display(
    Markdown(
        f"- commit: `{prov['git']['commit']}` (uncommitted changes: {prov['git']['dirty']})\n"
        f"- host: {prov['host']['hostname']}, {prov['host']['platform']}\n"
        f"- device: {prov['device']}\n"
        f"- papers run: {', '.join(run_papers) or 'none'}\n"
        f"- input files hashed: {len(prov['inputs_sha256'])}"
    )
)
display(pd.Series(prov["versions"], name="version").to_frame())
