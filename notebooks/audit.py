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
# Every number of the source documents (`config/papers/<paper>.published.csv`) beside what
# this run computed, judged by the rule below (`results/audit.csv`, written by the audit
# rule; this report only reads it).

# %% tags=["parameters"]
audit_csv = "results/audit.csv"
timings_csv = "results/timings.csv"
provenance_json = "results/provenance.json"
cost_csv = "results/cost_per_result.csv"
figures_dir = "results/figures/audit"
run_papers = []

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown, display

from emgrepro.evaluation import audit as audit_rules
from emgrepro.evaluation.audit import VERDICTS, Rule
from emgrepro.report import (
    VERDICT_COLOURS,
    open_run_report,
    verdict_counts,
    verdict_counts_styled,
    verdict_html,
)

table, FIG = open_run_report(
    audit_csv,
    figures_dir,
    "**This run used synthetic data** for the numbers marked `synthetic`: they exercise the "
    "pipeline and prove nothing about the papers.",
)
prov = json.loads(Path(provenance_json).read_text())
rule = Rule(**{k: v for k, v in prov["config"]["audit"].items() if k in Rule.__dataclass_fields__})

# %% [markdown]
# ## What each verdict means

# %%
display(
    Markdown(
        "\n".join(f"- **{word}**: {text}" for word, text in audit_rules.VERDICT_MEANINGS.items())
    )
)

# %% [markdown]
# ## Verdicts per paper

# %%
counts = verdict_counts(table)
display(verdict_counts_styled(table))
ax = counts.plot.barh(
    stacked=True, figsize=(8, 0.5 + 0.5 * len(counts)), color=[VERDICT_COLOURS[v] for v in counts]
)
ax.set_xlabel("published numbers")
ax.set_ylabel("")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
ax.set_title("Audit verdicts")
plt.tight_layout()
plt.savefig(FIG / "verdicts.png", dpi=120)
plt.show()

# %% [markdown]
# ## The verdict rule

# %%
display(
    Markdown(
        f"Settings of this run: {rule.describe()}.\n\n"
        "- A published **mean**: the confidence interval of (reproduced − published), from "
        "the published sd with the paper's n and the reproduced sd with this run's n (Welch), "
        "against ± margin: inside, **reproduced**; outside, **not-reproduced**; straddling, "
        "**inconclusive** (the note says how many subjects would decide it, by the same "
        "interval). A published sd whose n is unknown is taken as the standard error of the "
        "published mean: it widens the interval.\n"
        f"- A published **difference** D between two results is recomputed per subject "
        "(paired: bootstrap interval, Wilcoxon signed-rank p; unpaired groups: Welch) and "
        f"judged on a band that scales with D: **reproduced** when the interval lies between "
        f"D / {rule.effect_ratio:g} and {rule.effect_ratio:g} × D; **smaller-effect** or "
        "**larger-effect** when it has D's sign but lies wholly below or above the band; "
        "**not-reproduced** on the other side of 0, or holding 0 below the band.\n"
        "- A published **bound** (>, ≥, <, ≤) is tested one-sided against the bound itself, "
        "with no margin.\n"
        "- **reduced-settings**: computed with settings other than the paper's own "
        "(`config/papers/<paper>.yaml`, all subjects); **unknown-settings**: no job record "
        "says which. Neither is ever called reproduced.\n"
        "- **synthetic**: computed on synthetic twins (the data's own marker). "
        "**not-comparable**: training times (hardware). **not-run**: nothing computed.\n"
        "- Subjects whose data chose hyper-parameters are left out of a verdict (note)."
    )
)

# %% [markdown]
# ## Every published number

# %%
for paper, rows in table.groupby("paper", sort=False):
    display(Markdown(f"### {paper}"))
    display(HTML(verdict_html(rows)))

# %% [markdown]
# ## Published versus reproduced (numbers the run computed)

# %%
done = table.dropna(subset=["reproduced_mean"])
done = done[done["metric"].isin(["f1_macro", "accuracy"]) & done["table"].ne("")]
if len(done):
    fig, ax = plt.subplots(figsize=(5.5, 5))
    sns.scatterplot(
        data=done,
        x="published_mean",
        y="reproduced_mean",
        hue="verdict",
        style="paper",
        palette={v: VERDICT_COLOURS[v] for v in VERDICTS},
        edgecolor="black",
        ax=ax,
    )
    ax.plot([0, 100], [0, 100], color="grey", lw=1)
    ax.set_xlabel("published (%)")
    ax.set_ylabel("reproduced (%)")
    ax.set_title("Accuracies and F1 scores")
    plt.tight_layout()
    plt.savefig(FIG / "published_vs_reproduced.png", dpi=120)
    plt.show()
else:
    display(Markdown("No published accuracy or F1 was computed in this run."))

# %% [markdown]
# ## Provenance of this run

# %%
display(
    Markdown(
        f"- commit: `{prov['git']['commit']}` (uncommitted changes: {prov['git']['dirty']})\n"
        f"- host: {prov['host']['hostname']}, {prov['host']['platform']}\n"
        f"- device: {prov['device']}\n"
        f"- papers run: {', '.join(run_papers) or 'none'}\n"
        f"- input files hashed: {len(prov['inputs_sha256'])}"
    )
)
versions = pd.Series(prov["versions"], name="version").to_frame()
display(
    HTML(
        f"<details><summary>Versions of {len(versions)} packages</summary>"
        + versions.to_html()
        + "</details>"
    )
)

# %% [markdown]
# ## What each published number cost
#
# Per published number, the compute seconds (fit and prediction) its jobs spent in this run,
# and the jobs their models start from, from the jobs' own records; beside them, the plan's
# prediction for the same jobs (`python -m emgrepro plan --cost`; empty where the
# calibration does not cover the model). Written by the `cost_per_result` rule.

# %%
cost_path = Path(cost_csv)
if cost_path.is_file():
    cost = pd.read_csv(cost_path)
    cost["predicted / spent"] = cost["predicted_seconds"] / (
        cost["cpu_seconds"].fillna(0) + cost["gpu_seconds"].fillna(0)
    ).where(lambda s: s > 0)
    display(cost.drop(columns=["column"]).round(2).fillna("not computed"))
else:
    display(Markdown("No cost per result: `results/cost_per_result.csv` was not written."))
