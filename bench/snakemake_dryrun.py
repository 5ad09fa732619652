#!/usr/bin/env python
"""Time a Snakemake dry run of the full configuration (DAG construction cost).

    .venv/bin/python bench/snakemake_dryrun.py [--repeats 3] [-- EXTRA SNAKEMAKE ARGS]

Runs ``.venv/bin/snakemake -n --cores all -q`` from the repository root ``--repeats``
times and prints the best wall time (target <= 15 s), then runs ``snakemake -n --cores
all`` once more without ``-q`` to read the job count from its "Job stats" table (the jobs
still to run, which depends on what results/ already holds) and once with ``-F`` for the
size of the full DAG. Extra arguments after ``--`` (e.g. ``--configfile my.yaml``) are
passed to every call. A dry run writes nothing but Snakemake's own .snakemake/ metadata.
Timings are machine-dependent: this is a script, never a test.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def snakemake_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "snakemake"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    res = subprocess.run(
        [*snakemake_cmd(), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(
            f"snakemake {' '.join(args)} failed (rc {res.returncode}):\n"
            f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return elapsed, res


def job_stats(text: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: {rule: count, ..., 'total': n}."""
    stats: dict[str, int] = {}
    if "Job stats:" not in text:
        return stats
    for line in text.split("Job stats:", 1)[1].splitlines():
        m = re.fullmatch(r"\s*([\w.-]+)\s+(\d+)\s*", line)
        if m:
            stats[m.group(1)] = int(m.group(2))
            if m.group(1) == "total":
                break
    return stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed dry runs (best is kept)")
    p.add_argument("extra", nargs=argparse.REMAINDER, help="after --: extra snakemake args")
    a = p.parse_args()
    extra = [x for x in a.extra if x != "--"]

    base = ["-n", "--cores", "all", *extra]
    load0 = os.getloadavg()[0]
    times = [run([*base, "-q"])[0] for _ in range(a.repeats)]
    load1 = os.getloadavg()[0]
    best = min(times)
    _, res = run(base)
    now = job_stats(res.stdout + res.stderr)
    _, res_all = run([*base, "-F"])
    full = job_stats(res_all.stdout + res_all.stderr)

    cmd = " ".join(["snakemake", *base, "-q"])
    ok = best <= TARGET_S
    print(f"== snakemake_dryrun: `{cmd}` in {ROOT} ==")
    print(f"load average {load0:.2f} before, {load1:.2f} after the timed runs")
    print(
        f"dry run best of {a.repeats}: {best:.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); "
        f"target <= {TARGET_S:g} s: {'met' if ok else 'MISSED'}"
    )
    print(f"jobs to run now (snakemake -n): {now.get('total', '?')}  " + _fmt(now))
    print(f"jobs in the full DAG (snakemake -n -F): {full.get('total', '?')}  " + _fmt(full))
    print("\n| benchmark | best of 3 (s) | target | jobs (-n) | jobs (full DAG) |")
    print("|---|---|---|---|---|")
    print(
        f"| `{cmd}` | {best:.2f} | <= {TARGET_S:g} s {'ok' if ok else 'MISSED'} | "
        f"{now.get('total', '?')} | {full.get('total', '?')} |"
    )


def _fmt(stats: dict[str, int]) -> str:
    return "(" + ", ".join(f"{k} {v}" for k, v in stats.items() if k != "total") + ")"


if __name__ == "__main__":
    main()
