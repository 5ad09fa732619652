"""How long the demo takes, and each paper's share of it (README, "Benchmarks").

Runs what ``make demo`` runs (warm starts on, as a workstation run has them) in a
temporary folder and reads every job's Snakemake benchmark file: the wall seconds of its
training, preprocessing and report jobs, per paper. Preprocessing shared by several papers
is listed as shared; the synthetic twins (one per dataset) and the final tables are listed
apart.

    python bench/demo_share.py                # all papers, 2 cores
    python bench/demo_share.py --cores 4
    python bench/demo_share.py --from DIR     # a finished demo's folder
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from emgrepro import config as cfg  # noqa: E402
from emgrepro import layout  # noqa: E402
from emgrepro.selection import selected_experiments  # noqa: E402


def run_demo(workdir: Path, cores: int) -> float:
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--cores", str(cores), "--quiet", "all",
        "--configfile", str(REPO / "config" / "demo.yaml"),
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def prep_papers() -> dict[str, set[str]]:
    """Preprocessing name -> the papers whose demo experiments read it."""
    config = cfg.load([REPO / "config" / "config.yaml", REPO / "config" / "demo.yaml"])
    out: dict[str, set[str]] = {}
    for exp in selected_experiments(config).values():
        out.setdefault(exp["preprocessing"], set()).add(exp["paper"])
    return out


def job_seconds(workdir: Path) -> pd.DataFrame:
    """One row per benchmarked job: its stage, paper and wall seconds."""
    import json

    papers_of = prep_papers()
    rows = []
    root = workdir / "benchmarks"
    for tsv in sorted(root.rglob("*.tsv")):
        parts = tsv.relative_to(root).parts
        seconds = float(pd.read_csv(tsv, sep="\t").iloc[-1]["s"])
        if parts[0] == "train":
            ids = layout.match(layout.TRAIN_BENCHMARK, str(tsv.relative_to(workdir)))
            info = workdir / layout.path(layout.JOB_INFO, **ids)
            paper = json.loads(info.read_text())["job"]["paper"]
        elif parts[0] == "preprocess":
            owners = papers_of.get(parts[1], {"?"})
            paper = next(iter(owners)) if len(owners) == 1 else "shared"
        else:  # report/<paper>.tsv
            paper = Path(parts[1]).stem
        rows.append({"stage": parts[0], "paper": paper, "s": seconds})
    return pd.DataFrame(rows)


def share_table(jobs: pd.DataFrame) -> pd.DataFrame:
    table = jobs.pivot_table(index="paper", columns="stage", values="s", aggfunc="sum")
    table = table.fillna(0.0)
    table["jobs"] = jobs.groupby("paper").size()
    table["job-seconds"] = table.drop(columns="jobs").sum(axis=1)
    table["share %"] = 100 * table["job-seconds"] / table["job-seconds"].sum()
    return table.sort_values("job-seconds", ascending=False).reset_index()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--from", dest="source", type=Path, help="a finished demo's folder")
    a = p.parse_args()
    if a.source:
        workdir = a.source
    else:
        workdir = Path(tempfile.mkdtemp(prefix="emgrepro-demo-"))
        wall = run_demo(workdir, a.cores)
        print(f"demo on {a.cores} cores in {workdir}: {wall:.0f} s wall ({wall / 60:.1f} min)")
    jobs = job_seconds(workdir)
    print(f"{len(jobs)} benchmarked jobs, {jobs['s'].sum():.0f} job-seconds in all")
    print()
    print(share_table(jobs).to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
