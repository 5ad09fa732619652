"""Checks on every paper's published numbers (config/papers/<paper>.published.csv), and
that every number the source documents publish is registered or explained."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from conftest import REPO, SHARED
from emgrepro.config import paper_files
from emgrepro.evaluation.audit import DIFFERENCES, read_published
from emgrepro.paths import PAPERS_DIR, published_csv

COLUMNS = [
    "paper",
    "table",
    "row",
    "column",
    "metric",
    "unit",
    "bound",
    "mean",
    "sd",
    "n",
    "sd_over",
    "source",
    "experiment",
    "protocol",
    "model",
    "group",
    "n_classes",
    "condition",
    "versus",
    "note",
    "statistic",
    "margin",
    "leaky_twin",
]
FEATURES = ("ent", "rms", "var", "ssi")
UNIT_OF = {
    "f1_macro": {"percent"},
    "accuracy": {"percent"},
    **{m: {"percent"} for m in DIFFERENCES},
    **{f"map_{f}": {"percent"} for f in FEATURES},
    **{f"r2_{f}": {"ratio"} for f in FEATURES},
    "epochs": {"count"},
    "n_parameters": {"count"},
    "n_train_windows": {"ratio"},
    "epoch_seconds": {"seconds"},
    "train_seconds": {"seconds"},
    "recalibration_seconds": {"seconds"},
    "test_seconds": {"seconds"},
}
KEY = ["paper", "table", "row", "column", "metric", "group"]
PUBLISHING = [p for p, d in paper_files().items() if d["published"]]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return read_published([published_csv(p) for p in PUBLISHING])


@pytest.mark.parametrize("paper", PUBLISHING)
def test_each_paper_file_has_the_columns_and_only_its_own_rows(paper):
    table = pd.read_csv(published_csv(paper))
    assert list(table.columns) == COLUMNS
    assert set(table["paper"]) == {paper}, "a paper's file holds that paper's rows only"


def test_metric_unit_and_kind(df):
    assert set(df["metric"]) <= set(UNIT_OF), set(df["metric"]) - set(UNIT_OF)
    for _, r in df.iterrows():
        assert r["unit"] in UNIT_OF[r["metric"]], (r["row"], r["metric"], r["unit"])
    assert set(df["bound"].dropna()) <= {">", ">=", "<", "<="}
    assert set(df["sd_over"].dropna()) <= {"subjects", "seeds", "folds", "unknown"}
    assert set(df["statistic"].dropna()) <= {"ratio", "excess", "best"}


def test_numbers(df):
    mean = pd.to_numeric(df["mean"], errors="coerce")
    assert not mean.isna().any(), df.loc[mean.isna(), KEY]
    sd = pd.to_numeric(df["sd"].dropna(), errors="coerce")
    assert not sd.isna().any() and (sd >= 0).all()
    with_sd = df[df["sd"].notna() & df["bound"].isna()]
    assert with_sd["n"].notna().all(), "a mean ± sd needs the paper's n to judge it"
    maps = [f"map_{f}" for f in FEATURES]
    pct = df[(df["unit"] == "percent") & df["metric"].isin(["accuracy", "f1_macro", *maps])]
    assert (pd.to_numeric(pct["mean"]) > 1).all(), "percent, not fractions"
    r2 = df[df["metric"].str.startswith("r2_")]
    assert ((r2["mean"] > 0) & (r2["mean"] <= 1)).all()


def test_differences_name_the_other_side(df):
    """A gain or drop is a difference between two results: ``versus`` names the other."""
    diffs = df[df["metric"].isin(DIFFERENCES) | df["statistic"].isin(["ratio", "excess"])]
    assert len(diffs) and diffs["versus"].notna().all(), diffs.loc[diffs["versus"].isna(), KEY]
    for spec in diffs["versus"]:
        for item in spec.split(";"):
            key, sep, value = item.partition("=")
            assert sep and value and key in {
                "experiment", "protocol", "model", "group", "condition"
            }, spec  # fmt: skip


def test_no_duplicate_keys_and_no_commas(df):
    dup = df.duplicated(subset=KEY, keep=False)
    assert not dup.any(), df.loc[dup, KEY]
    for col in ["paper", "table", "row", "column", "source", "note"]:
        assert not df[col].dropna().astype(str).str.contains(",").any(), col


# ----------------------------------------------------------------------------- seeds

SEEDS = SHARED / "seeds"
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


def _clean(text: str) -> str:
    text = re.sub(r"!\[\]\([^)]*\)", " ", text)  # dead image links
    text = re.sub(r"\(<?https?://[^)]*\)", " ", text)  # link targets
    return re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text)  # citation markers


def seed_sections() -> dict[str, str]:
    """Each paper's text in the source documents (references and links left out)."""
    doc0 = (SEEDS / "000_8c4e7391d74f280d.txt").read_text().split("More information")[0]
    doc1 = (SEEDS / "001_5f5f7a1bfc28e0d7.txt").read_text().split("\nReferences\n")[0]
    parts = re.split(r"\n#### (?=\d\.)", (SEEDS / "002_cfdce759fd5af7c6.txt").read_text())
    assert len(parts) == 4, "document 002 holds three papers"
    return {
        "hristov2026": doc0,
        "wu2024": doc1,
        "atzori2016": parts[1],
        "zhai2017": parts[2],
        "ding2018": parts[3],
    }


def _registered_values(table: pd.DataFrame) -> set[float]:
    out = set()
    for _, r in table.iterrows():
        for col in ("mean", "sd", "n"):
            if pd.notna(r[col]):
                out.add(float(r[col]))
                if str(r["metric"]).startswith("r2_"):  # "99% R2"
                    out.add(round(100 * float(r[col]), 6))
    return out


@pytest.mark.shared
@pytest.mark.parametrize("paper", [p for p in PUBLISHING if paper_files()[p]["source_document"]])
def test_every_number_of_the_source_documents_is_registered_or_explained(paper):
    if not SEEDS.exists():
        pytest.skip(f"{SEEDS} is absent: the source documents live in ../shared/seeds")
    text = _clean(seed_sections()[paper])
    values = _registered_values(pd.read_csv(published_csv(paper)))
    explained = paper_files()[paper]["unregistered_numbers"]
    missing = []
    for token in sorted({m.group(0).replace(",", "") for m in NUMBER.finditer(text)}, key=float):
        if token in explained:
            continue
        if not any(math.isclose(float(token), v, abs_tol=1e-9) for v in values):
            missing.append(token)
    assert not missing, (
        f"{paper}: numbers of its source document neither in {published_csv(paper).name} nor "
        f"in `unregistered_numbers` of config/papers/{paper}.yaml: {missing}"
    )


def test_explanations_are_not_stale():
    """An explained number must still occur in its document."""
    if not SEEDS.exists():
        pytest.skip(f"{SEEDS} is absent")
    sections = seed_sections()
    for paper, data in paper_files().items():
        if paper not in sections:
            assert not data["unregistered_numbers"], paper
            continue
        found = {m.group(0).replace(",", "") for m in NUMBER.finditer(_clean(sections[paper]))}
        stale = sorted(set(data["unregistered_numbers"]) - found)
        assert not stale, f"{paper}: explained numbers not in its document: {stale}"


def test_published_files_live_beside_the_paper_files():
    assert {
        p.name.removesuffix(".published.csv") for p in PAPERS_DIR.glob("*.published.csv")
    } == set(PUBLISHING)
    assert not (REPO / "config" / "published.csv").exists()


# ----------------------------------------------------------------------------- planned


def _close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)


def _one(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for col, val in match.items():
        sel = sel[sel[col] == val]
    assert len(sel) == 1, f"expected one row for {match}, found {len(sel)}"
    return sel.iloc[0]


def test_zhai_and_ding_numbers(df):
    zhai = df[df["paper"] == "zhai2017"]
    abstract = zhai[zhai["source"] == "002 Zhai 2017 Abstract"]
    assert sorted(abstract["mean"]) == [2.99, 10.18] and abstract["versus"].notna().all()
    gains = zhai[zhai["metric"] == "accuracy_gain"]
    assert gains["versus"].notna().all()  # the rest is checked in tests/test_zhai2017.py
    d = _one(df, paper="ding2018")
    assert d["model"] == "c_b1pb2" and _close(d["mean"], 78.86)
    assert "secondary source" in d["note"]


# ----------------------------------------------------------------------------- places


def _close_to_any(value: float, found: list[float]) -> bool:
    return any(math.isclose(value, v, abs_tol=1e-9) for v in found)


def _rows_with_a_place(paper: str) -> list[dict]:
    table = pd.read_csv(published_csv(paper), keep_default_na=False, na_values=[""])
    return [r for r in table.to_dict("records") if not r["source"].startswith("secondary")]


@pytest.mark.shared
@pytest.mark.parametrize("paper", [p for p in PUBLISHING if _rows_with_a_place(p)])
def test_each_number_sits_where_its_source_says(paper):
    """A table number is the cell at its row and column (mean, then sd); a text number is
    in the section its source names (with its sd right after it, "94.3% ±0.3%"); a
    difference stated as its two sides ("77.90% vs. 64.64%") is their difference."""
    if not SEEDS.exists():
        pytest.skip(f"{SEEDS} is absent: the source documents live in ../shared/seeds")
    from seed_sources import Sources

    sources = Sources(SHARED)
    rows = _rows_with_a_place(paper)
    assert rows, f"{paper}: no published row names a place in its source"
    for r in rows:
        where = f"{paper} {r['table']} / {r['row']} / {r['column']} ({r['source']})"
        found = sources.locate(r)
        mean = float(r["mean"])
        if found.derived:
            a, b = found.derived[0]
            assert math.isclose(abs(a - b), abs(mean), abs_tol=0.006), where
            assert _close_to_any(a, found.values) and _close_to_any(b, found.values), where
            continue
        if not found.loose:  # a cell: its numbers are exactly the mean (and the sd)
            want = [mean] + ([float(r["sd"])] if pd.notna(r["sd"]) else [])
            assert found.values == pytest.approx(want), (where, found.values)
            continue
        as_written = [mean, 100 * mean] if r["unit"] == "ratio" else [mean]  # "99% R2"
        assert any(_close_to_any(v, found.values) for v in as_written), (where, "not there")
        if pd.notna(r["sd"]) and found.text:
            pairs = re.findall(
                r"(\d+(?:\.\d+)?)\s*%?\s*(?:±|\$\\pm\$)\s*(\d+(?:\.\d+)?)", found.text
            )
            assert (mean, float(r["sd"])) in {(float(a), float(b)) for a, b in pairs}, (
                where,
                "its sd is not beside its mean",
            )


def test_a_misplaced_number_is_caught():
    """The place check itself: a Table 2 number moved to another model's row fails."""
    if not SEEDS.exists():
        pytest.skip(f"{SEEDS} is absent")
    from seed_sources import Sources

    sources = Sources(SHARED)
    row = _rows_with_a_place("wu2024")
    cnn_ii = next(r for r in row if r["table"] == "table2" and r["row"] == "CNN-II"
                  and r["group"] == "within")  # fmt: skip
    assert sources.locate(cnn_ii).values == [64.64, 7.70]
    moved = {**cnn_ii, "row": "SVM"}
    assert sources.locate(moved).values != [64.64, 7.70]
    zhai = {"paper": "zhai2017", "source": "REFERENCE.md Zhai 2017 Table 2 (x)",
            "row": "Intact 10 movements", "column": "SVM session IV"}  # fmt: skip
    assert sources.locate(zhai).values == [3.58]
