"""Where the repository's fixed files live."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
PAPERS_DIR = CONFIG_DIR / "papers"
NOTEBOOKS_DIR = ROOT / "notebooks"
DATASETS_YAML = CONFIG_DIR / "datasets.yaml"
SCHEMA_YAML = CONFIG_DIR / "schema.yaml"


def paper_yaml(paper: str, papers_dir: Path = PAPERS_DIR) -> Path:
    """A paper's settings: its experiments, preprocessing, audit groups, demo."""
    return Path(papers_dir) / f"{paper}.yaml"


def published_csv(paper: str, papers_dir: Path = PAPERS_DIR) -> Path:
    """A paper's published numbers."""
    return Path(papers_dir) / f"{paper}.published.csv"


def claims_csv(paper: str, papers_dir: Path = PAPERS_DIR) -> Path:
    """A paper's comparative claims (two arms, a direction, the published size)."""
    return Path(papers_dir) / f"{paper}.claims.csv"


def notebook(paper: str) -> Path:
    """A paper's report notebook (jupytext, py:percent)."""
    return NOTEBOOKS_DIR / f"{paper}.py"


def use_package_beside(repo: str | Path) -> None:
    """Jobs import the package of the checkout whose Snakefile runs them (PYTHONPATH), not
    whichever checkout the interpreter's editable install points at."""
    import os

    root = str(Path(repo) / "workflow")
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    os.environ["PYTHONPATH"] = os.pathsep.join([root, *rest])
