"""The reports a reader opens: the verdict first, whole tables, no "± nan", one line per
audit row, a caption for every figure, and Snakemake's own report holding all of it."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_snakemake
from emgrepro.captions import CAPTIONS, figure_captions
from emgrepro.report import (
    NOT_COMPUTED,
    mean_sd,
    show_whole_tables,
    verdict_html,
    verdict_notes,
)

DEMO = str(REPO / "config" / "demo.yaml")
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
TRUNCATED = re.compile(r"\d+ rows × \d+ columns|<t[dh][^>]*>\s*(\.\.\.|…)\s*</t[dh]>")
PLUS_MINUS_NAN = re.compile(r"±\s*nan", re.IGNORECASE)
NAN_CELL = re.compile(r"<td[^>]*>\s*nan\s*</td>", re.IGNORECASE)


def reader_problems(html: str) -> list[str]:
    """What a reader of a rendered report would stumble on: pandas' truncation marks
    ("90 rows × 2 columns", "..." cells), "± nan" and cells that read "nan"."""
    found = [m.group(0) for m in TRUNCATED.finditer(html)]
    found += [m.group(0) for m in NAN_CELL.finditer(html)]
    return found + [m.group(0) for m in PLUS_MINUS_NAN.finditer(html)]


def saved_figures(notebook: Path) -> set[str]:
    """The names (without .png) of the figures a report notebook saves."""
    return set(re.findall(r'/ "(\w+)\.png"', notebook.read_text()))


def audit_rows(n: int = 3) -> pd.DataFrame:
    """Audit rows as the audit rule writes them, the last one with nothing computed."""
    rows = pd.DataFrame(
        {
            "paper": "p",
            "table": "table1",
            "row": [f"row {i}" for i in range(n)],
            "metric": "accuracy",
            "bound": "",
            "published_mean": 80.0,
            "published_sd": [5.0] * (n - 1) + [np.nan],
            "reproduced_mean": [78.0] * (n - 1) + [np.nan],
            "reproduced_sd": [np.nan] + [4.0] * (n - 2) + [np.nan],
            "n": [1] + [10] * (n - 2) + [0],
            "difference": [-2.0] * (n - 1) + [np.nan],
            "ci_low": [-5.0] * (n - 1) + [np.nan],
            "ci_high": [1.0] * (n - 1) + [np.nan],
            "p_value": [0.2] * (n - 1) + [np.nan],
            "verdict": ["synthetic"] * (n - 1) + ["not-run"],
            "settings": ["window step 100 ms instead of 10 ms; " * 8] + [""] * (n - 1),
            "note": [""] * (n - 1) + ["nothing computed: the paper's experiment is left out"],
            "consistent_with": "",
            "baselines": "",
        }
    )
    return rows


def test_mean_sd_never_shows_nan():
    assert mean_sd(pd.Series([0.5])) == "50.0 (n=1)"
    assert mean_sd(pd.Series([0.5, 0.7])) == "60.0 ± 14.1 (n=2)"
    assert mean_sd(pd.Series([np.nan, np.nan])) == NOT_COMPUTED
    assert mean_sd([]) == NOT_COMPUTED


def test_verdict_table_keeps_one_line_a_row_and_folds_the_notes():
    rows = audit_rows()
    html = verdict_html(rows)
    table, details = html.split("<details>")
    assert "white-space: nowrap" in table
    assert "window step" not in table and "nothing computed" not in table, "notes fold away"
    assert "window step 100 ms" in details and "nothing computed" in details
    assert "[1]" in table and "[2]" in table, "each row with a note points to it"
    assert NOT_COMPUTED in table, "the row without a value says so"
    assert reader_problems(html) == []
    notes = verdict_notes(rows)
    assert list(notes.index) == ["[1]", "[2]"]
    assert notes["row"].tolist() == ["row 0", "row 2"]


def test_verdict_table_of_a_paper_without_published_numbers():
    html = verdict_html(audit_rows().iloc[0:0])
    assert "No published number" in html and "<table" not in html


def test_whole_tables_are_printed_and_the_scan_finds_truncation():
    df = pd.DataFrame({"a": range(90), "b": ["x" * 80] * 90})
    with pd.option_context("display.max_rows", 10, "display.max_colwidth", 50):
        truncated = df._repr_html_()
    assert reader_problems(truncated), "the scan sees pandas' truncation"
    nan_cell = pd.DataFrame({"a": [1.0], "b": [np.nan]}).to_html()
    assert reader_problems(nan_cell) == ["<td>NaN</td>"], "the scan sees a cell that reads nan"
    assert reader_problems("<td>61.2 ± nan (n=1)</td>") == ["± nan"]
    kept = ("display.max_rows", 10, "display.max_columns", 20, "display.max_colwidth", 50)
    with pd.option_context(*kept, "display.width", 80):  # restored after the test
        show_whole_tables()
        whole = df._repr_html_()
    assert reader_problems(whole) == [] and "x" * 80 in whole


def test_every_figure_a_notebook_saves_has_a_caption():
    for notebook in NOTEBOOKS:
        names = saved_figures(notebook)
        assert names, f"{notebook.name} saves figures"
        captions = figure_captions(notebook.stem)
        assert names <= set(captions), f"{notebook.name}: no caption for {names - set(captions)}"
    for paper, captions in CAPTIONS.items():
        assert (REPO / "notebooks" / f"{paper}.py").is_file(), paper
        for name, text in captions.items():
            assert "regenerates" in text.lower() or "no published counterpart" in text.lower(), (
                f"{paper}/{name}: say which published table or figure it regenerates"
            )


def test_every_paper_report_opens_with_its_verdicts():
    # the audit and claims reports open with their own verdict tables, not a paper's
    for notebook in (n for n in NOTEBOOKS if n.stem not in ("audit", "claims")):
        text = notebook.read_text()
        verdicts = text.index("verdict_html(")
        for later in ("## Our choices", "## Settings of this run", "## Table", "savefig("):
            if later in text:
                assert verdicts < text.index(later), f"{notebook.name}: verdicts before {later}"


def rendered_reports(run: Path) -> list[Path]:
    return sorted((run / "results" / "reports").glob("*.html"))


@pytest.mark.slow
def test_no_rendered_report_truncates_a_table_or_shows_nan(demo_run):
    reports = rendered_reports(demo_run)
    assert len(reports) == len(NOTEBOOKS)
    for report in reports:
        assert reader_problems(report.read_text()) == [], report.name


def report_results(report_html: str) -> dict[str, dict]:
    """The files Snakemake's report holds, by path: name, caption (HTML), labels, data."""
    found = re.search(r"var results = (\{.*?\});\s*</script>", report_html, re.DOTALL)
    assert found, "the report lists its results"
    return json.loads(found.group(1))


def embedded_text(result: dict) -> str:
    """A result's file, decoded from its base64 data URI."""
    return base64.b64decode(result["data_uri"].split("base64,", 1)[1]).decode()


@pytest.mark.slow
def test_snakemake_report_holds_the_verdicts_scores_reports_and_captions(demo_run, tmp_path):
    out = tmp_path / "snakemake-report.html"
    run_snakemake(demo_run, "--report", str(out), "--configfile", DEMO)
    html = out.read_text()
    assert "emgrepro: do published sEMG" in html, "the workflow description"
    results = report_results(html)
    audit = results["results/audit.csv"]
    assert "reproduced_mean" in embedded_text(audit) and "verdict" in audit["caption"]
    assert "score of every training job" in results["results/scores.csv"]["caption"]
    for report in rendered_reports(demo_run):
        held = results[f"results/reports/{report.name}"]
        assert "Verdicts" in embedded_text(held), report.name
    for paper, captions in CAPTIONS.items():
        for figure in (demo_run / "results" / "figures" / paper).glob("*.png"):
            caption = results[f"results/figures/{paper}/{figure.name}"]["caption"]
            opening = " ".join(captions[figure.stem].split()[:4])
            assert opening in caption, (paper, figure.name, caption)
