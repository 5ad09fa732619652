"""Measured memory and run time of the preprocess and training jobs: the figures behind the
profiles' ``mem_mb`` and ``runtime`` (README, "Resources").

Every preprocess and train job writes a benchmark file in Snakemake's columns (wall
seconds, peak resident memory ``max_rss``), measured by the job itself (emgrepro/benchmark.py),
since warm starts run a job's Python in a fork of a server outside the process tree a
``benchmark:`` directive measures. The report rule has a plain ``benchmark:`` file, so this
script runs the workflow with ``warm_start=false``: each job is then its own process.

    python bench/job_resources.py                          # the demo, every paper
    python bench/job_resources.py --papers baseline hristov2026
    python bench/job_resources.py --from WORKDIR           # a finished run (its benchmarks/)

It prints, per rule and paper, the jobs measured, the largest peak memory and wall time, and
the largest ``peak_memory_mb`` the training jobs recorded themselves (their JSON files).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from emgrepro import layout  # noqa: E402


def run_demo(workdir: Path, papers: list[str], cores: int) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cold.yaml").write_text(json.dumps({"warm_start": False, "papers": papers}))
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
        "results/scores.csv", "--directory", str(workdir), "--cores", str(cores),
        "--quiet", "all", "--configfile", str(REPO / "config" / "demo.yaml"),
        str(workdir / "cold.yaml"),
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def read_benchmarks(workdir: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted((workdir / "benchmarks").rglob("*.tsv")):
        parts = tsv.relative_to(workdir / "benchmarks").parts
        bench = pd.read_csv(tsv, sep="\t").iloc[-1]
        row = {"rule": parts[0], "group": parts[1], "s": float(bench["s"])}
        row["max_rss_mb"] = pd.to_numeric(bench["max_rss"], errors="coerce")
        if parts[0] == "train":
            ids = layout.match(layout.TRAIN_BENCHMARK, str(tsv.relative_to(workdir)))
            info = workdir / layout.path(layout.JOB_INFO, **ids)
            record = json.loads(info.read_text()) if info.is_file() else {}
            row["job_rss_mb"] = record.get("peak_memory_mb", {}).get("rss")
            row["group"] = record.get("job", {}).get("paper", parts[1])
            row["experiment"], row["protocol"], row["model"] = parts[1:4]
        rows.append(row)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    agg = {"jobs": ("s", "size"), "max_s": ("s", "max"), "max_rss_mb": ("max_rss_mb", "max")}
    if "job_rss_mb" in table:
        agg["job_rss_mb"] = ("job_rss_mb", "max")
    return table.groupby(["rule", "group"]).agg(**agg).reset_index()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--papers", nargs="*", default=[], help="papers of the demo (default all)")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--from", dest="source", type=Path, help="summarise a finished run's folder")
    a = p.parse_args()
    if a.source:
        workdir = a.source
    else:
        workdir = Path(tempfile.mkdtemp(prefix="emgrepro-resources-"))
        wall = run_demo(workdir, a.papers, a.cores)
        print(f"demo (warm_start=false, {a.cores} cores) in {workdir}: {wall:.0f} s wall")
    table = summary(read_benchmarks(workdir))
    print()
    print(table.to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
