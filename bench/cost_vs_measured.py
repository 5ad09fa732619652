"""The cost model against reality: three real workloads run here, each predicted by
``emgrepro plan --cost`` (the calibration in config/cost_calibration.yaml) before it runs,
then run with Snakemake and measured.

Workloads, as the tests run them (their settings are imported from the tests):

- ``demo``: every paper on the synthetic twins (config/demo.yaml);
- ``atzori_db1``: Atzori 2016 on the real DB1 exercise 1 files of 4 subjects in
  ../shared/data (tests/test_atzori2016.py ``REAL``);
- ``khushaba``: baseline and Hristov 2026 on the real Khushaba subset of 4 subjects
  (tests/conftest.py ``KHUSHABA_REAL_SETTINGS``);
- ``shared_claims``: every paper's claims on both real datasets through the cross-paper
  grid (config/shared_data.yaml, the README's real-data command).

Printed per workload: jobs, predicted and measured wall time, and the largest peak memory
of one training job, predicted and measured (the jobs' own records). About 50 minutes on
2 cores in all (``shared_claims`` about 35 of them).

    .venv/bin/python bench/cost_vs_measured.py [--cores 2] [--only demo] [--plan-only]
    .venv/bin/python bench/cost_vs_measured.py --measured WORKDIR/measured.json  # no run

The runs are measured first and kept (``--workdir``, with ``measured.json``); the
prediction is made from the calibration when the table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import (  # noqa: E402
    KHUSHABA_DEV_ZIP,
    KHUSHABA_REAL_SETTINGS,
    KHUSHABA_REAL_SUBJECTS,
    SHARED_DATA,
    run_snakemake,
    write_yaml,
)
from emgrepro.config import load  # noqa: E402
from emgrepro.planning import calibration  # noqa: E402
from emgrepro.planning.plan import Machine, plan, scale_to_here, wall_seconds  # noqa: E402
from test_atzori2016 import REAL as ATZORI_REAL  # noqa: E402

DB1_SUBJECTS = [1, 2, 3, 4]


def demo(workdir: Path) -> list[Path]:
    return [REPO / "config" / "demo.yaml"]


def atzori_db1(workdir: Path) -> list[Path]:
    mirror = workdir / "db1"
    mirror.mkdir()
    for s in DB1_SUBJECTS:
        (mirror / f"S{s}_A1_E1.mat").symlink_to(SHARED_DATA / f"ninapro-db1-S{s}_A1_E1.mat")
    settings = {
        **ATZORI_REAL,
        "sources": {"ninapro_db1": str(mirror)},
        "subjects": {"ninapro_db1": DB1_SUBJECTS},
        "checksum_lock": str(workdir / "checksums.lock"),
    }
    return [write_yaml(workdir / "real.yaml", settings)]


def khushaba(workdir: Path) -> list[Path]:
    settings = {
        **KHUSHABA_REAL_SETTINGS,
        "sources": {"khushaba_2ch": str(KHUSHABA_DEV_ZIP)},
        "subjects": {"khushaba_2ch": KHUSHABA_REAL_SUBJECTS},
        "checksum_lock": str(workdir / "checksums.lock"),
    }
    return [write_yaml(workdir / "real.yaml", settings)]


def shared_claims(workdir: Path) -> list[Path]:
    """config/shared_data.yaml (every paper's claims on the real data through the
    cross-paper grid), its paths made absolute for a run outside the project root."""
    import yaml

    mirror = workdir / "db1"
    mirror.mkdir()
    for s in DB1_SUBJECTS:
        (mirror / f"S{s}_A1_E1.mat").symlink_to(SHARED_DATA / f"ninapro-db1-S{s}_A1_E1.mat")
    settings = yaml.safe_load((REPO / "config" / "shared_data.yaml").read_text())
    settings["sources"] = {"khushaba_2ch": str(KHUSHABA_DEV_ZIP), "ninapro_db1": str(mirror)}
    settings["checksum_lock"] = str(workdir / "checksums.lock")
    return [write_yaml(workdir / "real.yaml", settings)]


WORKLOADS = {
    "demo": demo,
    "atzori_db1": atzori_db1,
    "khushaba": khushaba,
    "shared_claims": shared_claims,
}


def predict(files: list[Path], figures: dict, scale: float, cores: int) -> dict:
    config = load([REPO / "config" / "config.yaml", *files])
    p = plan(config, figures, scale, cold=not config.get("warm_start", True))
    return {
        "jobs": len(p.costs),
        "wall_s": wall_seconds(p, Machine(cores=cores), figures),
        "job_s": sum(c.seconds for c in p.costs),
        "memory_mb": max(c.memory_mb for c in p.costs),
    }


def measure(workdir: Path, files: list[Path], cores: int) -> dict:
    """Run the workload; its wall time, the training jobs' compute seconds (fit and
    predict, from their records), the largest peak memory a training job recorded, and the
    machine's load while it ran."""
    args = ["--cores", str(cores), "--keep-going", "--configfile", *[str(f) for f in files]]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = run_snakemake(workdir, *args, check=False, timeout=3600)
    wall = time.perf_counter() - t0
    records = [json.loads(p.read_text()) for p in (workdir / "results" / "scores").rglob("*.json")]
    return {
        "returncode": proc.returncode,
        "wall_s": wall,
        "job_s": sum(r["fit_seconds"] + r["predict_seconds"] for r in records),
        "memory_mb": max(r["peak_memory_mb"]["rss"] for r in records),
        "load": [load_before, os.getloadavg()[0]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--plan-only", action="store_true", help="predict, do not run")
    ap.add_argument("--workdir", type=Path, help="keep the runs here (default: a temp folder)")
    ap.add_argument("--measured", type=Path, help="measured.json of an earlier run: no run")
    a = ap.parse_args()
    base = a.workdir or Path(tempfile.mkdtemp(prefix="emgrepro-cost-"))
    measured = json.loads(a.measured.read_text()) if a.measured else {}
    files = {}
    for name in a.only:
        workdir = (a.measured.parent if a.measured else base) / name
        workdir.mkdir(parents=True, exist_ok=True)
        real = workdir / "real.yaml"
        files[name] = [real] if real.exists() else WORKLOADS[name](workdir)
        if not a.plan_only and not a.measured:
            measured[name] = measure(workdir, files[name], a.cores)
            (base / "measured.json").write_text(json.dumps(measured, indent=1))
            print(name, json.dumps(measured[name]), flush=True)
    figures = calibration.load()
    scale, where = scale_to_here(figures)
    print(where)
    print()
    head = "| workload | training jobs | wall time predicted | measured | predicted / measured "
    head += "| compute job-seconds predicted | measured (fit + predict) "
    head += "| largest job memory predicted | measured | load average (start, end) |"
    print(head)
    print("|---" * 10 + "|")
    for name in a.only:
        pred = predict(files[name], figures, scale, a.cores)
        got = measured.get(name)
        cells = [name, f"{pred['jobs']}", f"{pred['wall_s']:,.0f} s"]
        if got:
            cells += [f"{got['wall_s']:,.0f} s", f"{pred['wall_s'] / got['wall_s']:.2f}"]
        else:
            cells += ["not run", "-"]
        cells.append(f"{pred['job_s']:,.0f}")
        cells.append(f"{got['job_s']:,.0f}" if got else "not run")
        cells.append(f"{pred['memory_mb']:,.0f} MiB")
        cells.append(f"{got['memory_mb']:,.0f} MiB" if got else "not run")
        cells.append(", ".join(f"{x:.1f}" for x in got["load"]) if got else "-")
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
