"""A run killed half-way (power cut, kill -9) leaves no partial output and resumes.

Snakemake runs the classical baseline slice (TD features + LDA on the synthetic Khushaba
twin, 3 subjects, 6 classes: 7 training jobs) in its own process group; once a few
training jobs have finished and another is running, the whole group (Snakemake and its
jobs) gets SIGKILL. Then:

* every output on disk is complete: outputs are written to ``.<name>.<random>.tmp`` and
  renamed (emgrepro.io.atomic_path), so a killed job leaves at most such hidden temp files,
  never a truncated output;
* the next run refuses to start: SIGKILL left Snakemake's lock in ``.snakemake/locks``
  ("Directory cannot be locked"). That is Snakemake's documented behaviour after a kill;
  the way out is ``snakemake --unlock`` (same arguments), and this test asserts exactly that;
* after ``--unlock`` the same command completes: the workstation profile
  (profiles/default, rerun-incomplete) reruns the jobs that were killed, and only those;
  jobs that had finished are not redone (output mtimes unchanged) and the gathered table is
  byte-identical to that of an uninterrupted run;
* the rerun of a killed job sweeps the temp files it left, the warm server's folder of the
  killed run is swept by the next one, and every output is readable as the umask says.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_snakemake, snakemake_env, write_yaml
from emgrepro import warm
from emgrepro.checkpoint import load_sklearn
from emgrepro.tidy import SCORE_COLUMNS

pytestmark = pytest.mark.slow

DEMO = str(REPO / "config" / "demo.yaml")
# 3 subjects (LOSO needs a test, a validation and a training subject), the 6-class
# experiment only: the 10-class one would double the run time for the same code path.
SMALL = {
    "papers": ["baseline"],
    "synthetic": {"subjects": {"khushaba_2ch": 3}},
    "experiments": {"baseline_10class": None},
}
N_TRAIN_JOBS = 7  # 3 within-subject + 1 multi-subject + 3 LOSO
TARGET_ARGS = ("results/scores.csv", "--cores", "2", "--configfile", DEMO, "small.yaml")
TRAIN_OUTPUTS = {  # the four outputs of a training job, from its scores path
    "results/scores/{}.csv",
    "results/scores/{}.npz",
    "results/scores/{}.json",
    "results/models/{}.skops",  # TD+LDA: a scikit-learn model
}
# atomic_path's temp name: "." + the output's name + "." + mkstemp's random part + ".tmp"
TMP_DEBRIS = re.compile(r"^\.(?P<dest>.+)\.[A-Za-z0-9_]+\.tmp$")


def _workdir(path: Path) -> Path:
    path.mkdir()
    write_yaml(path / "small.yaml", SMALL)
    return path


def _incomplete(workdir: Path) -> set[str]:
    """Outputs Snakemake marked as started but not finished (.snakemake/incomplete)."""
    root = workdir / ".snakemake" / "incomplete"
    found = set()
    for marker in root.rglob("*") if root.exists() else ():
        if marker.is_dir():
            continue
        parts = [p.lstrip("@") for p in marker.relative_to(root).parts]
        found.add(base64.urlsafe_b64decode("".join(parts)).decode())
    return found


def _score_csvs(workdir: Path) -> list[Path]:
    return sorted((workdir / "results" / "scores").rglob("*.csv"))


def _is_debris(path: Path) -> bool:
    return TMP_DEBRIS.match(path.name) is not None


def _debris(workdir: Path) -> list[Path]:
    """Temp files of interrupted writes under results/ and resources/ (relative)."""
    return sorted(
        p.relative_to(workdir)
        for top in ("results", "resources")
        for p in (workdir / top).rglob("*")
        if p.is_file() and _is_debris(p)
    )


def _outputs(workdir: Path) -> list[Path]:
    """Every file under results/ and resources/ (relative), temp debris excluded."""
    files = []
    for top in ("results", "resources"):
        for p in (workdir / top).rglob("*"):
            if p.is_file() and not _is_debris(p):
                files.append(p.relative_to(workdir))
    return sorted(files)


def _unfinished(rel: Path, incomplete: set[str]) -> bool:
    """Whether ``rel`` is (or lies inside) an output of a job that had not finished."""
    return any(str(p) in incomplete for p in [rel, *rel.parents])


def _group_alive(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that still run (zombies, already dead, excluded)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(stat.parent.name))
    return alive


def _running_in(workdir: Path) -> list[int]:
    """Live processes whose working directory is ``workdir`` (a job that escaped the kill)."""
    pids = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if Path(os.readlink(cwd)) == workdir and _state(cwd.parent) != "Z":
                pids.append(int(cwd.parent.name))
        except OSError:
            continue
    return pids


def _state(proc_dir: Path) -> str:
    try:
        return (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _check_complete(workdir: Path, rel: Path) -> None:
    """``rel`` parses as what it is; a truncated file raises."""
    path = workdir / rel
    if path.suffix == ".csv" and rel.parts[:2] == ("results", "scores"):
        df = pd.read_csv(path)
        assert list(df.columns) == SCORE_COLUMNS, rel
        assert len(df) > 0 and df["value"].notna().all(), rel
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            assert z.files, rel
            for key in z.files:
                z[key]  # decompresses and checks the member's CRC
    elif path.suffix == ".npy":
        np.load(path, allow_pickle=False)
    elif path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix == ".skops":  # td_lda's checkpoint
        assert "pipeline" in load_sklearn(path), rel
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None, rel
    elif path.suffix == ".csv":  # raw recordings extracted from the twin
        assert len(pd.read_csv(path, header=None)) > 0, rel


def _train_count(output: str) -> int:
    """Training jobs in Snakemake's job-stats table (`train` and `train_classical` rows)."""
    rows = [ln.split() for ln in output.splitlines()]
    kinds = ("train", "train_classical")
    return sum(int(r[1]) for r in rows if len(r) == 2 and r[0] in kinds and r[1].isdigit())


def _kill_mid_run(workdir: Path, min_scores: int = 4, deadline_s: float = 240.0) -> str:
    """Start the slice, SIGKILL its process group once ``min_scores`` training jobs wrote
    their scores and another training job is running; return what Snakemake printed.

    With 2 cores at most 2 jobs run at once, so 4 score tables mean at least 2 finished jobs.
    """
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *TARGET_ARGS,
    ]
    log = workdir / "killed-run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            env=snakemake_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pgid = proc.pid  # start_new_session: Snakemake leads its own group
    try:
        end = time.monotonic() + deadline_s
        while True:
            assert proc.poll() is None, (
                "the run finished (or failed) before it could be killed half-way; make the "
                f"slice bigger\n{log.read_text()[-4000:]}"
            )
            assert time.monotonic() < end, f"no training outputs in time\n{log.read_text()}"
            running = {f for f in _incomplete(workdir) if f.startswith("results/scores/")}
            if len(_score_csvs(workdir)) >= min_scores and running:
                break
            time.sleep(0.1)
        assert not (workdir / "results" / "scores.csv").exists()
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None or _group_alive(pgid):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
    for _ in range(100):  # SIGKILL is asynchronous: give the kernel a moment
        if not _group_alive(pgid) and not _running_in(workdir):
            break
        time.sleep(0.1)
    assert not _group_alive(pgid), "a process of the killed group survived"
    assert not _running_in(workdir), "a job outside Snakemake's process group survived"
    return log.read_text()


def test_killed_run_leaves_complete_outputs_and_resumes(tmp_path):
    old_umask = os.umask(0o022)
    try:
        _killed_run_leaves_complete_outputs_and_resumes(tmp_path)
    finally:
        os.umask(old_umask)


def _killed_run_leaves_complete_outputs_and_resumes(tmp_path):
    t0 = time.monotonic()
    ref = _workdir(tmp_path / "reference")
    run_snakemake(ref, *TARGET_ARGS)
    t_ref = time.monotonic() - t0

    work = _workdir(tmp_path / "killed")
    _kill_mid_run(work)
    t_kill = time.monotonic() - t0 - t_ref

    # -- what the kill left on disk ------------------------------------------------------
    incomplete = _incomplete(work)
    assert incomplete, "jobs were running when the group was killed"
    outputs = _outputs(work)
    for rel in outputs:  # complete, even the outputs of killed jobs
        _check_complete(work, rel)
    assert not any(p.suffix == ".tmp" for p in outputs)
    debris = _debris(work)
    for rel in debris:  # temp files only of jobs that were running
        m = TMP_DEBRIS.match(rel.name)
        dest = rel.parent / m["dest"]
        assert _unfinished(dest, incomplete), f"{rel}: temp file of a finished job"
    print(f"\nkilled with {len(incomplete)} outputs marked incomplete; temp debris: {debris}")

    scores = {p.relative_to(work) for p in _score_csvs(work)}
    finished_jobs = sorted(
        str(rel)[len("results/scores/") : -len(".csv")]
        for rel in scores
        if not _unfinished(rel, incomplete)
    )
    assert len(finished_jobs) >= 2, f"only {finished_jobs} finished before the kill"
    for job in finished_jobs:  # a finished training job has all four outputs
        assert all((work / t.format(job)).is_file() for t in TRAIN_OUTPUTS), job
    # everything a finished job wrote, upstream data included
    done = {
        rel: (work / rel).stat().st_mtime_ns for rel in outputs if not _unfinished(rel, incomplete)
    }

    # -- the next run: the kill left Snakemake's lock behind -----------------------------
    locked = run_snakemake(work, *TARGET_ARGS, check=False)
    said = locked.stdout + locked.stderr
    assert locked.returncode != 0, said[-3000:]
    assert "Directory cannot be locked" in said and "--unlock" in said, said[-3000:]
    assert {rel: (work / rel).stat().st_mtime_ns for rel in done} == done
    assert not (work / "results" / "scores.csv").exists()

    unlocked = run_snakemake(work, "--unlock", *TARGET_ARGS)
    assert "Unlock" in unlocked.stdout + unlocked.stderr

    # -- resume: only the unfinished jobs run --------------------------------------------
    resumed = run_snakemake(work, *TARGET_ARGS)
    t_resume = time.monotonic() - t0 - t_ref - t_kill
    assert _train_count(resumed.stdout + resumed.stderr) == N_TRAIN_JOBS - len(finished_jobs)
    assert not _incomplete(work)
    changed = [str(rel) for rel, mtime in done.items() if (work / rel).stat().st_mtime_ns != mtime]
    assert not changed, f"finished before the kill, yet redone: {changed}"

    # The rerun of a killed job sweeps what it left: no temp file survives the resume.
    left = _debris(work)
    assert not left, f"temp files left after the resume: {left}"
    stale = [p for p in Path(tempfile.gettempdir()).glob(f"{warm.PREFIX}*") if _dead_owner(p)]
    assert not stale, f"warm-server folders of processes that are gone: {stale}"
    # outputs are readable by the group and others, as the umask (022) says
    private = [str(rel) for rel in _outputs(work) if (work / rel).stat().st_mode & 0o044 != 0o044]
    assert not private, f"outputs others cannot read: {private[:5]}"
    raw = work / "resources" / "raw" / "khushaba_2ch" / "sub-1"
    assert raw.stat().st_mode & 0o055 == 0o055, "the raw folder is readable too"

    assert (work / "results" / "scores.csv").read_bytes() == (
        ref / "results" / "scores.csv"
    ).read_bytes()
    for rel in (ref / "results" / "scores").rglob("*.csv"):
        rel = rel.relative_to(ref)
        assert (work / rel).read_bytes() == (ref / rel).read_bytes(), rel
    print(
        f"reference run {t_ref:.0f} s, killed run {t_kill:.0f} s ({len(finished_jobs)} of "
        f"{N_TRAIN_JOBS} training jobs finished), unlock + resume {t_resume:.0f} s; "
        f"temp debris before the resume: {debris}"
    )


def _dead_owner(folder: Path) -> bool:
    owner = folder.name[len(warm.PREFIX) :].split("-", 1)[0]
    return owner.isdigit() and not Path(f"/proc/{owner}").exists()
