"""The command line on bad input: one line that names the cause and the fix, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO


def _emgrepro(cwd, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    return subprocess.run(
        [sys.executable, "-m", "emgrepro", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _error_line(proc: subprocess.CompletedProcess, command: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"emgrepro {command}: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_job_before_preprocessing_says_what_to_make_first(tmp_path):
    proc = _emgrepro(
        tmp_path, "job", "--configfile", str(REPO / "config" / "demo.yaml"),
        "--experiment", "baseline_6class", "--protocol", "within_subject",
        "--model", "td_lda", "--fold", "1",
    )  # fmt: skip
    line = _error_line(proc, "job")
    assert "results/windows/khushaba_250ms/sub-1/windows.npz" in line
    assert "snakemake --cores all --configfile" in line and "demo.yaml" in line
    assert not (tmp_path / "results").exists()


def test_job_with_broken_yaml_names_the_file_and_line(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("papers: [baseline\nsubjects: {}\n")
    proc = _emgrepro(
        tmp_path, "job", "--configfile", str(bad), "--experiment", "baseline_6class",
        "--protocol", "within_subject", "--model", "td_lda", "--fold", "1",
    )  # fmt: skip
    assert f"{bad}:2:" in _error_line(proc, "job")


def test_incomplete_fetch_plan_names_the_missing_keys(tmp_path):
    plan = json.dumps({"dataset": "khushaba_2ch", "subject": 1})
    proc = _emgrepro(tmp_path, "fetch", "--plan", plan, "--lock", "x.lock", "--out", "raw")
    line = _error_line(proc, "fetch")
    assert "missing kind, inputs, required, hashes" in line
    assert not (tmp_path / "raw").exists() and not (tmp_path / "x.lock").exists()
