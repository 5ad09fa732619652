"""What every report notebook shares: the run's tables for one paper, the banners a
reader needs first (synthetic data, nothing computed), verdicts in colour, the paper's
claims with their paired intervals, and the values this pipeline chose.

Notebooks only read tables here; the verdicts come from ``results/audit.csv`` (the audit
rule), never from a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from emgrepro.evaluation.comparisons import NOT_COMPUTED, published_text
from emgrepro.tidy import read_table

VERDICT_COLOURS = {
    "reproduced": "#1a9850",
    "smaller-effect": "#f46d43",
    "larger-effect": "#fdae61",
    "not-reproduced": "#d73027",
    "inconclusive": "#fee090",
    "reduced-settings": "#fee08b",
    "unknown-settings": "#e0e0e0",
    "synthetic": "#9ecae1",
    "not-comparable": "#d9d9d9",
    "not-run": "#f7f7f7",
}


@dataclass
class PaperTables:
    """One paper's rows of the run's tables, and what its report rule gave it."""

    paper: str
    scores: pd.DataFrame
    timings: pd.DataFrame
    audit: pd.DataFrame
    figures: Path = Path(".")
    experiments: dict = field(default_factory=dict)
    paper_info: dict = field(default_factory=dict)
    audit_rule: dict = field(default_factory=dict)
    predictions: list[str] = field(default_factory=list)  # the paper's jobs' .npz files
    analysis: Path | None = None  # its analysis folder (emgrepro/analyses/), if it has one

    @property
    def synthetic(self) -> bool:
        return bool(len(self.scores)) and (self.scores["data"] == "synthetic").any()

    @property
    def computed(self) -> bool:
        return bool(len(self.scores))


def load_tables(paper: str, scores_csv, timings_csv=None, audit_csv=None) -> PaperTables:
    """The paper's scores, timings and audit rows (empty tables where a file is absent)."""

    def mine(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["paper"] == paper].reset_index(drop=True) if len(df) else df

    tables = (read_table(p) for p in (scores_csv, timings_csv, audit_csv))
    return PaperTables(paper, *(mine(t) for t in tables))


def report_inputs(paper: str, inputs: dict) -> dict:
    """A report's inputs: the rule's, else the run's files where a run writes them (a
    notebook opened by hand in the repository root)."""
    from emgrepro import layout

    defaults = {
        "scores_csv": layout.SCORES_TABLE,
        "timings_csv": layout.TIMINGS_TABLE,
        "audit_csv": layout.AUDIT_TABLE,
        "figures_dir": layout.path(layout.FIGURES, paper=paper),
        "experiments": {},
        "paper_info": {},
        "audit_rule": {},
        "predictions": sorted(
            str(p) for p in Path(layout.PREDICTIONS.split("{")[0]).rglob("*.npz")
        ),
        "analysis_dir": "",
    }
    unknown = sorted(set(inputs) - set(defaults))
    if unknown:
        raise ValueError(f"report inputs: unknown key(s) {unknown}; known: {sorted(defaults)}")
    return {**defaults, **inputs}


def open_report(paper: str, inputs: dict, data_name: str) -> PaperTables:
    """Every paper report's opening: whole tables, its figures folder, its rows of the
    run's tables, and the banner a reader must see before any number."""
    from IPython.display import Markdown, display

    given = report_inputs(paper, inputs)
    show_whole_tables()
    tables = load_tables(paper, given["scores_csv"], given["timings_csv"], given["audit_csv"])
    tables.figures = figures_folder(given["figures_dir"])
    tables.experiments = given["experiments"]
    tables.paper_info = given["paper_info"]
    tables.audit_rule = given["audit_rule"]
    tables.predictions = list(given["predictions"])
    tables.analysis = Path(given["analysis_dir"]) if given["analysis_dir"] else None
    display(Markdown(banner_markdown(tables, data_name)))
    return tables


def open_run_report(table_csv, figures_dir, synthetic_banner: str) -> tuple[pd.DataFrame, Path]:
    """The opening of a report over the whole run (the audit's, the claims'): whole tables,
    the run's table, its figures folder, and ``synthetic_banner`` before any number when a
    row was computed on synthetic data."""
    from IPython.display import Markdown, display

    show_whole_tables()
    table = read_table(table_csv)
    if len(table) and (table["data"] == "synthetic").any():
        display(Markdown(synthetic_banner))
    return table, figures_folder(figures_dir)


def figures_folder(path) -> Path:
    """A report's figures folder, made if absent."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def analysis_table(tables: PaperTables, name: str) -> pd.DataFrame:
    """A table the paper's analysis rule wrote (emgrepro/analyses/<paper>.py); empty when
    the run had no analysis of it."""
    return read_table(tables.analysis / name) if tables.analysis else pd.DataFrame()


def banner_markdown(tables: PaperTables, data_name: str) -> str:
    """What a reader must know before any number: synthetic data, or nothing computed;
    and where the paper's comparative claims are judged."""
    from emgrepro.paths import claims_csv

    claims = (
        f"\n\nThe comparative claims of this paper (`{claims_csv(tables.paper).name}`) are "
        "judged on every dataset of the run in the [claims report](claims.html)."
        if claims_csv(tables.paper).exists()
        else ""
    )
    if not tables.computed:
        return "**Not computed:** no job of this paper ran in this configuration." + claims
    if tables.synthetic:
        return (
            f"**Synthetic data.** These numbers come from the synthetic twin of {data_name}: "
            "they show that every step runs and every table is regenerated, and say nothing "
            "about the paper." + claims
        )
    return claims.strip()


def per_subject(df: pd.DataFrame, metric: str, keys: list[str] | None = None) -> pd.DataFrame:
    """Mean over seeds (and conditions) within each subject."""
    keys = keys or ["experiment", "protocol", "model", "condition", "n_classes"]
    sel = df[df["metric"] == metric]
    return sel.groupby([*keys, "subject"], as_index=False)["value"].mean()


def mean_sd(values: pd.Series, scale: float = 100.0, digits: int = 1) -> str:
    """``mean ± sd (n=k)`` over subjects; ``mean (n=1)`` for one value, whose sd is not
    defined; "not computed" for none."""
    values = pd.Series(values, dtype=float).dropna()
    if values.empty:
        return NOT_COMPUTED
    mean = f"{values.mean() * scale:.{digits}f}"
    if len(values) == 1:
        return f"{mean} (n=1)"
    return f"{mean} ± {values.std(ddof=1) * scale:.{digits}f} (n={len(values)})"


def show_whole_tables() -> None:
    """Let pandas print every row, column and character of a table: a report never shows
    a truncated table ("90 rows × 2 columns", "..." cells)."""
    for option in ("max_rows", "max_columns", "max_colwidth"):
        pd.set_option(f"display.{option}", None)
    pd.set_option("display.width", 10_000)


def interval_text(row: pd.Series) -> str:
    if pd.isna(row.get("ci_low")):
        return ""
    return f"[{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]"


def _colour(verdict: str) -> str:
    return f"background-color: {VERDICT_COLOURS.get(verdict, 'white')}"


# Verdict tables stay one line a row: long texts go to the notes under the table.
NOWRAP_CSS = [
    {"selector": "td, th", "props": "white-space: nowrap; padding: 2px 8px; text-align: left;"},
    {"selector": "td.col1", "props": "white-space: normal; min-width: 14em; max-width: 26em;"},
]
UNITS = {"percent": "%", "seconds": "s"}
NOTE_COLUMNS = {
    "source": "read from",
    "published_note": "published",
    "settings": "settings",
    "note": "note",
    "consistent_with": "consistent with",
    "baselines": "baselines",
}


def _reproduced_text(row: pd.Series) -> str:
    if pd.isna(row["reproduced_mean"]):
        return NOT_COMPUTED
    sd = "" if pd.isna(row["reproduced_sd"]) else f" ± {row['reproduced_sd']:.2f}"
    return f"{row['reproduced_mean']:.2f}{sd}"


def _note_text(row: pd.Series) -> str:
    """The row's long texts (settings, reasons, leaky twin, baselines), one string."""
    parts = [
        f"{label}: {row[col]}"
        for col, label in NOTE_COLUMNS.items()
        if col in row and isinstance(row[col], str) and row[col].strip()
    ]
    return "; ".join(parts)


def verdict_table(audit: pd.DataFrame) -> pd.io.formats.style.Styler | pd.DataFrame:
    """The audit rows in one line each: published, reproduced, n, the interval of the
    difference, p and the verdict in colour; ``notes`` points into ``verdict_notes``."""
    if audit.empty:
        return pd.DataFrame({"": ["no published number"]})
    audit = audit.reset_index(drop=True)
    notes = [_note_text(r) for _, r in audit.iterrows()]
    numbers = iter(range(1, len(notes) + 1))
    view = pd.DataFrame(
        {
            "table": audit["table"],
            "row": audit["row"],
            "column": audit.get("column", audit["metric"]),
            "group": audit.get("group", ""),
            "unit": audit.get("unit", pd.Series("", index=audit.index))
            .fillna("")
            .map(lambda u: UNITS.get(u, u)),
            "published": [published_text(r) for _, r in audit.iterrows()],
            "reproduced": [_reproduced_text(r) for _, r in audit.iterrows()],
            "n": audit["n"].fillna(0).astype(int),
            "difference [CI]": [
                "" if pd.isna(r["difference"]) else f"{r['difference']:+.2f} {interval_text(r)}"
                for _, r in audit.iterrows()
            ],
            "p": audit["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}"),
            "verdict": audit["verdict"],
            "notes": [f"[{next(numbers)}]" if n else "" for n in notes],
        }
    )
    if not (view["group"] != "").any():
        view = view.drop(columns="group")
    return (
        view.style.map(_colour, subset=["verdict"]).hide(axis="index").set_table_styles(NOWRAP_CSS)
    )


def verdict_notes(audit: pd.DataFrame) -> pd.DataFrame:
    """The long texts of the audit rows that have any, numbered as in ``verdict_table``."""
    audit = audit.reset_index(drop=True)
    rows = [(r["row"], _note_text(r)) for _, r in audit.iterrows()]
    rows = [(row, text) for row, text in rows if text]
    out = pd.DataFrame(rows, columns=["row", "notes"])
    out.index = [f"[{i}]" for i in range(1, len(out) + 1)]
    return out


def verdict_html(audit: pd.DataFrame) -> str:
    """The verdict table, and its notes folded under it (one click to open)."""
    if audit.empty:
        return "<p>No published number: the audit has no row of this report.</p>"
    table = verdict_table(audit)
    notes = verdict_notes(audit)
    if notes.empty:
        return table.to_html()
    return (
        table.to_html()
        + f"<details><summary>Notes on {len(notes)} of these rows (where each number was "
        "read and how, settings other than the paper's, reasons, leaky twins, "
        "baselines)</summary>" + notes.to_html(border=0) + "</details>"
    )


def verdict_counts(audit: pd.DataFrame) -> pd.DataFrame:
    """Verdicts per paper, in the order of the rule (best first)."""
    from emgrepro.evaluation.audit import VERDICTS

    counts = audit.groupby(["paper", "verdict"]).size().unstack(fill_value=0)
    return counts.reindex(columns=[v for v in VERDICTS if v in counts.columns])


def verdict_counts_styled(audit: pd.DataFrame):
    """The counts with each non-zero cell in its verdict's colour."""
    counts = verdict_counts(audit)

    def colour(column: pd.Series) -> list[str]:
        return [_colour(column.name) if v else "" for v in column]

    return counts.style.apply(colour, axis=0)


def claims(audit: pd.DataFrame) -> pd.io.formats.style.Styler | pd.DataFrame:
    """The paper's "A beats B" claims: published difference, our paired difference with its
    interval and p-value, and the verdict."""
    rows = audit[audit["test"].fillna("").str.contains("paired|groups", regex=True)]
    if rows.empty:
        return pd.DataFrame({"": ["this paper states no difference between two results"]})
    view = pd.DataFrame(
        {
            "claim": rows["row"],
            "published": [published_text(r) for _, r in rows.iterrows()],
            "reproduced difference": rows["reproduced_mean"].map(
                lambda v: NOT_COMPUTED if pd.isna(v) else f"{v:.2f}"
            ),
            "n": rows["n"].astype(int),
            "CI of (reproduced - published)": [interval_text(r) for _, r in rows.iterrows()],
            "p": rows["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}"),
            "test": rows["test"],
            "verdict": rows["verdict"],
        }
    )
    cells = [{"selector": "td", "props": "white-space: nowrap; padding: 2px 8px;"}]
    return view.set_index("claim").style.set_table_styles(cells)


def comparison_view(table: pd.DataFrame) -> pd.DataFrame:
    """A comparisons table (emgrepro.evaluation.comparisons) as a reader sees it: one row
    per comparison, the interval in brackets, p to three figures, "not computed" where a
    side is missing."""
    out = table.set_index("comparison")
    out["interval"] = [
        "" if pd.isna(lo) else f"[{lo:+.2f}, {hi:+.2f}]"
        for lo, hi in zip(out["ci_low"], out["ci_high"])
    ]
    out["difference"] = [NOT_COMPUTED if pd.isna(d) else f"{d:.2f}" for d in out["difference"]]
    out["p"] = out["p"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}")
    text = ["published", "verdict", "source"]
    out[text] = out[text].fillna("")
    return out[["a", "b", "difference", "interval", "n", "p", *text]]


def choices_markdown(experiments: dict) -> str:
    """Every experiment's settings as the run used them (our choices are marked in the
    paper's config file)."""
    parts = []
    for name, exp in experiments.items():
        shown = {
            k: exp[k]
            for k in (
                "classes",
                "preprocessing_settings",
                "protocols",
                "models",
                "training",
                "seeds",
            )
            if k in exp
        }
        # YAML with short lists on one line; folded: a reader opens the experiment they need
        text = yaml.safe_dump(shown, sort_keys=False, default_flow_style=None, width=96)
        parts.append(
            f"<details><summary><code>{name}</code></summary>\n\n```yaml\n{text}```\n\n</details>"
        )
    return "\n\n".join(parts) if parts else NOT_COMPUTED


def job_predictions(predictions: list[str], **ids: str) -> list[str]:
    """The prediction files of the jobs whose ids (experiment, protocol, model, fold, seed)
    are those given."""
    from emgrepro import layout

    out = []
    for path in predictions:
        found = layout.match(layout.PREDICTIONS, path)
        if found and all(found[k] == str(v) for k, v in ids.items()):
            out.append(path)
    return sorted(out)


def pooled_predictions(predictions: list[str], experiment: str, protocol: str, model: str):
    """(y_true, y_pred, classes) of every test subject of one model, or None."""
    files = job_predictions(predictions, experiment=experiment, protocol=protocol, model=model)
    if not files:
        return None
    parts = [np.load(f) for f in files]
    return (
        np.concatenate([p["y_true"] for p in parts]),
        np.concatenate([p["y_pred"] for p in parts]),
        parts[0]["classes"],
    )


def confusion_heatmap(ax, y_true, y_pred, names: list[str], title: str, cbar: bool = True):
    """Row-normalised confusion matrix in % (recall on the diagonal) on the fixed 0-100
    colour scale, so panels compare; annotated up to 20 classes."""
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    cm = 100 * confusion_matrix(y_true, y_pred, labels=range(len(names)), normalize="true")
    sns.heatmap(cm, annot=len(names) <= 20, fmt=".0f", cmap="Blues", vmin=0, vmax=100,
                cbar=cbar, cbar_kws={"label": "% of the true class"}, ax=ax,
                xticklabels=names, yticklabels=names)  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
