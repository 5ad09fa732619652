"""Benchmark files measure the job itself, also when it runs in the warm-start server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from emgrepro import warm
from emgrepro.benchmark import HEADER, run_measured


def _read(path) -> pd.Series:
    table = pd.read_csv(path, sep="\t")
    assert tuple(table.columns) == HEADER  # Snakemake's columns, for its readers
    return table.iloc[0]


def test_a_job_records_its_own_memory_and_time(tmp_path):
    def job(argv):
        assert argv == ["train", "--x"]
        block = np.ones(100 * 2**20 // 8)  # 100 MiB touched
        time.sleep(0.2)
        return int(block[0]) - 1

    out = tmp_path / "b" / "job.tsv"
    assert run_measured(job, ["--benchmark", str(out), "train", "--x"]) == 0
    row = _read(out)
    assert row["max_rss"] >= 100 and row["s"] >= 0.2 and row["cpu_time"] > 0


def test_a_failed_job_writes_no_record(tmp_path):
    out = tmp_path / "job.tsv"
    assert run_measured(lambda argv: 2, ["--benchmark", str(out), "train"]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_a_warm_started_job_records_the_job_not_the_client(tmp_path):
    """The client that Snakemake's own benchmark would see stays small; the job runs in a
    fork of the server, which has imported torch: its record shows that memory. (about 10 s:
    the server imports torch, scikit-learn and MNE first)"""
    if not shutil.which("time", path="/usr/bin"):
        pytest.skip("/usr/bin/time measures the client; it is absent")
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    pid, path = warm.start()
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(path):
            assert time.monotonic() < deadline, "the warm server did not start"
            time.sleep(0.2)
        out = tmp_path / "job.tsv"
        cmd = [sys.executable, "-m", "emgrepro", "--benchmark", str(out), "papers"]
        client = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *cmd], env={**env, warm.ENV: path},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        client_mb = int(client.stderr.strip().splitlines()[-1]) / 1024
        row = _read(out)
        assert client_mb < 100 < row["max_rss"], (client_mb, row["max_rss"])
    finally:
        warm.stop(pid, path)
