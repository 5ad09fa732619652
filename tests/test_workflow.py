"""The workflow as a user runs it: lint, dry run of the full config, the demo, real data."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from conftest import REPO, run_snakemake, write_yaml
from emgrepro import config as cfg
from emgrepro.config import paper_files
from emgrepro.evaluation.audit import AUDIT_COLUMNS, read_published
from emgrepro.job_plan import jobs
from emgrepro.models import MODELS
from emgrepro.paths import published_csv
from emgrepro.tidy import SCORE_COLUMNS

DEMO = str(REPO / "config" / "demo.yaml")
PAPERS = [p for p, d in paper_files().items() if d["status"] == "active" and d["published"]]
PUBLISHED = [published_csv(p) for p, d in paper_files().items() if d["published"]]


def output_text(notebook) -> str:
    """What an executed notebook shows a reader: its outputs, not its code."""
    parts = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for mime in ("text/markdown", "text/html", "text/plain"):
                parts.append(out.get("data", {}).get(mime, ""))
    return "\n".join(parts)


def test_lint_is_clean(tmp_path):
    proc = run_snakemake(tmp_path, "--lint", "--configfile", DEMO)
    assert "Congratulations" in proc.stdout + proc.stderr


def test_dry_run_of_full_config(tmp_path):
    proc = run_snakemake(tmp_path, "-n", "--cores", "all")
    out = proc.stdout + proc.stderr
    assert "download" in out and "fetch_subject" in out and "train" in out
    rows = [line.split()[:2] for line in out.splitlines()]
    counts = {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit()}
    config = cfg.load([REPO / "config" / "config.yaml"])
    expected = jobs(config)
    # PyTorch models train in `train` (.pt), scikit-learn ones in `train_classical` (.skops)
    assert counts.get("train", 0) + counts.get("train_classical", 0) == len(expected)
    deep = [j for j in expected if MODELS.get(j.model).uses_gpu]
    assert counts.get("train", 0) == len(deep) > 0
    # every subject of every dataset used is fetched once
    subjects = {(j.dataset, s) for j in expected for s in j.subjects}
    n_fetch = str(len(subjects))
    assert any(line.split()[:2] == ["fetch_subject", n_fetch] for line in out.splitlines())


def test_schema_error_stops_snakemake(tmp_path):
    write_yaml(tmp_path / "bad.yaml", {"device": "tpu"})
    proc = run_snakemake(tmp_path, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "at 'device'" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_demo_produces_scores_reports_and_audit(demo_run):
    scores = pd.read_csv(demo_run / "results" / "scores.csv")
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["protocol"]) >= {"within_subject", "multi_subject", "loso"}
    assert set(scores["data"]) == {"synthetic"}
    assert {6, 10, 17} <= set(scores["n_classes"])
    f1 = scores[(scores["metric"] == "f1_macro") & (scores["paper"] != "wu2024")]
    assert f1["value"].between(0, 1).all()
    within = f1[(f1.protocol == "within_subject") & (f1.n_classes == 6)]["value"].mean()
    loso = f1[(f1.protocol == "loso") & (f1.n_classes == 6)]["value"].mean()
    assert within > loso, "the twin's subjects differ: unseen subjects score lower"
    for name in ("baseline", "audit", "claims", *PAPERS):
        html = (demo_run / "results" / "reports" / f"{name}.html").read_text()
        assert "Synthetic data" in html or "synthetic data" in html, name
        assert "<img" in html, f"{name}: figures are shown in the report"
        assert "hl-ipython3" not in html, f"{name}: code cells are hidden"
    assert list((demo_run / "results" / "figures" / "baseline").glob("*.png"))
    audit = pd.read_csv(demo_run / "results" / "audit.csv", keep_default_na=False)
    assert list(audit.columns) == AUDIT_COLUMNS
    published = read_published(PUBLISHED)
    assert len(audit) == len(published)
    # every published number of every active paper is computed, on synthetic data
    active = audit[audit.paper.isin(PAPERS)]
    assert set(active["verdict"]) <= {"synthetic"}, active[active.verdict != "synthetic"]
    assert set(audit["verdict"]) <= {"not-run", "synthetic"}
    # the audit report opens with the verdict summary
    html = (demo_run / "results" / "reports" / "audit.html").read_text()
    assert html.index("Verdicts per paper") < html.index("Every published number")
    # the claims report's first table is the claims' verdicts
    html = (demo_run / "results" / "reports" / "claims.html").read_text()
    first = html.index("<table")
    assert html.index("Verdicts: one row per claim") < first < html.index("The cross-paper grid")
    from emgrepro.evaluation.claims import CLAIM_VERDICTS

    table = html[first : html.index("</table>", first)]
    assert "claim" in table and any(v in table for v in CLAIM_VERDICTS if v != "not-run")
    prov = (demo_run / "results" / "provenance.json").read_text()
    assert '"inputs_sha256"' in prov and "EMG-S1/HC-1.csv" in prov
    assert ".snakemake_timestamp" not in prov and '"threadpoolctl"' in prov


@pytest.mark.slow
def test_demo_judges_every_papers_claims_on_the_twins(demo_run):
    from emgrepro.evaluation.claims import CLAIM_VERDICTS, RESULT_COLUMNS

    claims = pd.read_csv(demo_run / "results" / "claims.csv", keep_default_na=False)
    assert list(claims.columns) == RESULT_COLUMNS
    assert set(claims["verdict"]) <= set(CLAIM_VERDICTS)
    seeded = [p for p, d in paper_files().items() if d.get("source_document")]
    judged = claims[claims["verdict"] != "not-run"]
    assert set(judged["paper"]) == set(seeded), "every seeded paper has a claim judged"
    assert set(judged["data"]) == {"synthetic"}, "the demo's claims are on twins, and say so"
    assert judged["difference"].notna().all() and (judged["n"] > 0).all()


@pytest.mark.slow
def test_every_demo_checkpoint_loads_without_running_code(demo_run):
    """Every model the demo saved reads back through the loaders that admit no code:
    PyTorch checkpoints with weights_only=True, scikit-learn ones through skops' trust."""
    from emgrepro.checkpoint import load_sklearn, load_torch

    models = sorted(p for p in (demo_run / "results" / "models").rglob("*.*") if p.is_file())
    suffixes = {p.suffix for p in models}
    assert suffixes == {".pt", ".skops"}, suffixes
    for path in models:
        state = load_torch(path) if path.suffix == ".pt" else load_sklearn(path)
        assert state, path


@pytest.mark.slow
def test_demo_renders_every_wu2024_table_and_figure(demo_run):
    shown = output_text(demo_run / "results" / "reports" / "wu2024.ipynb")
    for title in ("Table 1", "Table 2", "Table 3", "data efficiency", "forward in time"):
        assert title in shown, title
    tables = shown.split("Table 1: feature imitation")[1].split("## Our choices")[0]
    assert "not computed" not in tables, "every table and figure has values"
    figures = {p.name for p in (demo_run / "results" / "figures" / "wu2024").glob("*.png")}
    assert {"data_efficiency.png", "forward_in_time.png", "feature_imitation.png"} <= figures
    audit = pd.read_csv(demo_run / "results" / "audit.csv")
    wu = audit[audit.paper == "wu2024"]
    assert len(wu) == len(read_published([published_csv("wu2024")])) == 56
    assert set(wu["verdict"]) == {"synthetic"}, "every published number of 001 is computed"
    timings = pd.read_csv(demo_run / "results" / "timings.csv")
    fin = timings[timings.model == "lstm_fin"]
    assert len(fin) == 1 and fin["seconds_per_epoch"].iloc[0] > 0
    assert timings["hardware"].str.startswith(("CPU", "GPU")).all()
