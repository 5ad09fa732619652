"""Every command of README.md, as written, from a fresh shell on a fresh copy of the checkout.

"Fresh shell": no activated virtualenv, a minimal PATH. "Fresh copy": the tracked and
untracked-but-not-ignored files of this checkout (what a clone of it holds), with the
project's ``.venv`` linked in. Commands that need the internet or a cluster are planned
(``-n``); the rest run for real, the full-run command on the demo data of one paper (the
README's own ``my-site.yaml`` mechanism), which is what a new user would try first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SHARED

pytestmark = pytest.mark.slow

FRESH_PATH = "/usr/local/bin:/usr/bin:/bin"


def readme_commands() -> list[str]:
    """The commands of README's ```bash blocks, continuation lines joined, comments dropped."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


# How each README command is checked: "run" (for real), "plan" (-n: it needs the official
# downloads or a cluster), "plan-shared" (-n: the real data in ../shared, about 45 minutes
# for real; bench/cost_vs_measured.py runs it), "make-plan" (make -n: the targets build the
# venv and run the whole suite, which this suite is part of). Every README command must be
# listed here.
CHECKS = {
    "make demo": "make-plan",
    "make test": "make-plan",
    "make test-fast": "make-plan",
    "make install TORCH=cpu": "make-plan",
    "make install TORCH=cuda": "make-plan",
    ".venv/bin/snakemake --cores all --configfile config/config.yaml my-site.yaml": "run",
    ".venv/bin/snakemake --unlock": "run",
    ".venv/bin/python -m emgrepro job --configfile config/demo.yaml --experiment "
    "baseline_6class --protocol within_subject --model td_lda --fold 1 --seed 0": "run",
    ".venv/bin/python -m emgrepro claims --scores results/scores.csv --provenance "
    "results/provenance.json --out results/claims.csv --grid-out results/grid.csv "
    "config/papers/*.claims.csv": "run",
    "mkdir -p resources/mirror/ninapro_db1": "run",
    'for s in 1 2 3 4; do ln -sf "$PWD/../shared/data/ninapro-db1-S${s}_A1_E1.mat" '
    '"resources/mirror/ninapro_db1/S${s}_A1_E1.mat"; done': "run",
    ".venv/bin/snakemake --cores 2 --configfile config/config.yaml config/shared_data.yaml": (
        "plan-shared"
    ),
    ".venv/bin/snakemake --cores all": "plan",
    ".venv/bin/snakemake --report results/reports/snakemake-report.html --configfile "
    "config/config.yaml my-site.yaml": "run",
    ".venv/bin/snakemake --workflow-profile profiles/slurm --configfile config/config.yaml "
    "my-site.yaml": "plan",
    ".venv/bin/snakemake --workflow-profile profiles/slurm --default-resources "
    "slurm_account=mylab slurm_partition=short runtime=30 mem_mb=2000": "plan",
    ".venv/bin/snakemake --workflow-profile profiles/slurm --configfile config/config.yaml "
    "my-site.yaml --set-resources train:slurm_partition=gpu train:cpus_per_gpu=4 "
    "train:mem_mb=8000 train:runtime=360 train_classical:mem_mb=4000 "
    "train_classical:runtime=120": "plan",
    ".venv/bin/python -m emgrepro plan --cost --cores 2 --configfile config/config.yaml": "run",
    ".venv/bin/python -m emgrepro plan --cost --cores 16 --gpus 1 --configfile "
    "config/config.yaml": "run",
    ".venv/bin/python -m emgrepro plan --cost --slurm-jobs 100 --configfile "
    "config/config.yaml": "run",
}


def test_every_readme_command_is_checked():
    unchecked = [c for c in readme_commands() if c not in CHECKS]
    assert not unchecked, f"README commands this test does not check: {unchecked}"


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    dest = tmp_path_factory.mktemp("clone") / "emgrepro"
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(REPO / ".venv")
    if SHARED.is_dir():  # a clone with ../shared beside it, as CI has
        (dest.parent / "shared").symlink_to(SHARED)
    # The README's my-site.yaml, pointed at what this machine has: the demo's synthetic
    # Khushaba twin, one paper.
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    site = {**demo, "papers": ["baseline"], "subjects": {"khushaba_2ch": [1, 2, 4]}}
    (dest / "my-site.yaml").write_text(yaml.safe_dump(site))
    return dest


def _shell(workdir: Path, command: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {"PATH": FRESH_PATH, "HOME": str(Path.home()), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def _check(proc: subprocess.CompletedProcess, command: str) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{command}\n{out[-6000:]}"
    return out


RUNS = [c for c, how in CHECKS.items() if how == "run"]


@pytest.fixture(scope="module")
def site_run(fresh_copy) -> Path:
    """The README's run with a site file, for real: every job must find the project's
    interpreter without an activated venv (the jobs' `python` is Snakemake's own)."""
    out = _check(_shell(fresh_copy, RUNS[0]), RUNS[0])
    assert "No module named" not in out
    assert (fresh_copy / "results" / "audit.csv").is_file()
    # scikit-learn models are saved with skops under their own extension, never as .pt
    assert list((fresh_copy / "results" / "models").rglob("*.skops"))
    assert not list((fresh_copy / "results" / "models").rglob("baseline*/**/*.pt"))
    return fresh_copy


def _planned_jobs(workdir: Path) -> dict[str, int]:
    out = _check(_shell(workdir, RUNS[0] + " -n"), RUNS[0] + " -n")
    rows = [line.split() for line in out.splitlines()]
    return {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit() and r[0] != "total"}


def test_a_code_change_reruns_exactly_the_jobs_that_use_it(site_run):
    loso = site_run / "workflow" / "emgrepro" / "protocols" / "loso.py"
    original = loso.read_text()
    n_loso = len(list((site_run / "results" / "scores").glob("*/loso/*/*.csv")))
    assert n_loso > 0
    try:
        loso.write_text(original + "\n# a change\n")
        planned = _planned_jobs(site_run)
        # the leave-one-subject-out jobs and what gathers their scores; no other training
        # job, no preprocessing
        assert planned.get("train_classical") == n_loso, planned
        assert "preprocess" not in planned and "train" not in planned, planned
    finally:
        loso.write_text(original)
    # contents decide, not modification times: the restored file changes nothing
    loso.touch()
    assert _planned_jobs(site_run) == {}


def test_readme_commands_work_as_written(site_run):
    fresh_copy = site_run
    for command in RUNS[1:]:
        _check(_shell(fresh_copy, command), command)
    assert (fresh_copy / "results" / "rerun").is_dir()  # emgrepro job's output
    assert (fresh_copy / "results" / "reports" / "snakemake-report.html").is_file()

    for command, how in CHECKS.items():
        if how == "plan-shared" and not SHARED.is_dir():
            continue  # skipped below, after every other command passed
        if how in ("plan", "plan-shared"):
            out = _check(_shell(fresh_copy, command + " -n"), command)
            planned = "This was a dry-run" in out or "Nothing to be done" in out
            assert planned, out[-3000:]
        elif how == "make-plan":
            _check(_shell(fresh_copy, command.replace("make ", "make -n ", 1)), command)
    if not SHARED.is_dir():
        pytest.skip(f"the real-data command plans from {SHARED}, which is absent here")
