"""The Slurm profile: its plan (dry run) and a real run on a one-node Slurm cluster.

The cluster (tests/slurm_cluster.py) is Debian's Slurm 22.05 started on localhost. Where it
cannot be started the run test is skipped with the reason, except under CI=true, where it
fails: CI installs Slurm first (.ci/run) and must run it for real.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO, run_snakemake, write_yaml
from slurm_cluster import SlurmCluster, SlurmUnavailable, node_hardware

pytestmark = pytest.mark.slow

DEMO = str(REPO / "config" / "demo.yaml")
PROFILE = str(REPO / "profiles" / "slurm")
# The baseline paper on 3 of the demo's 4 subjects: 14 training jobs.
SMALL = {"papers": ["baseline"], "subjects": {"khushaba_2ch": [1, 2, 4]}}
# The real run: 2 of the demo's subjects; the 6-class baseline's 3 scikit-learn jobs
# (within-subject and multi-subject; LOSO needs a third subject) must not request a GPU,
# and 2 jobs of one PyTorch model (Hristov's CNN ablation, within-subject) must.
HRISTOV_UNUSED = ["multi_subject", "multi_subject_window_split", "loso", "few_shot"]
WITH_DEEP = {
    "papers": ["baseline", "hristov2026"],
    "subjects": {"khushaba_2ch": [1, 2]},
    "experiments": {
        "baseline_6class": {"protocols": {"loso": None}},
        "baseline_10class": None,  # its LOSO needs a third subject
        "hristov2026_10class": None,
        "hristov2026_6class": {
            "protocols": {
                p: None for p in [*HRISTOV_UNUSED, "few_shot_curve", "few_shot_window_split"]
            },
            "models": {"csae": None, "td_lda": None},
        },
    },
}
N_DEEP = 2
N_CLASSICAL = 3  # 2 within-subject, 1 multi-subject


def _plan(out: str) -> tuple[dict, dict]:
    """Group jobs and ungrouped jobs of a dry run's output: {name: count} each."""
    groups: dict = {}
    single: dict = {}
    for line in out.splitlines():
        m = re.match(r"^\[.*\] Group job (\S+)", line)
        if m:
            groups[m.group(1)] = groups.get(m.group(1), 0) + 1
            continue
        m = re.match(r"^rule (\S+):", line)  # grouped jobs are indented
        if m:
            single[m.group(1)] = single.get(m.group(1), 0) + 1
    return groups, single


def test_slurm_profile_dry_run_groups_short_jobs(tmp_path):
    # the subjects as a structured --config value (typed as a config file would type them)
    write_yaml(tmp_path / "small.yaml", {"papers": SMALL["papers"]})
    subjects = "subjects={khushaba_2ch: [1, 2, 4]}"
    proc = run_snakemake(
        tmp_path, "--workflow-profile", PROFILE, "-n", "--configfile", DEMO, "small.yaml",
        "--config", subjects,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert "profiles/slurm" in out
    groups, single = _plan(out)
    # one submission for synthesize + 3 fetch_subject + 3 preprocess, one for the tail
    assert groups == {"subjects": 1, "collect": 1}, groups
    grouped = {"synthesize", "fetch_subject", "preprocess", "gather_scores", "provenance"}
    assert not (grouped | {"paper_report", "audit"}) & set(single), single
    assert single.get("train_classical") == 14 and "train" not in single
    # account and partition are left to the plugin's own detection
    assert "slurm_account" not in out and "slurm_partition" not in out


def _planned_gpus(out: str) -> dict[str, set[str]]:
    """{rule: the gpu= values its jobs show} in a dry run's job blocks."""
    found: dict[str, set[str]] = {}
    for rule, block in re.findall(r"^rule (\S+):\n(.*?)(?=^\S|\Z)", out, flags=re.S | re.M):
        m = re.search(r"resources: .*\bgpu=(\d+)", block)
        if m:
            found.setdefault(rule, set()).add(m.group(1))
    return found


def test_slurm_dry_run_shows_the_gpus_the_submissions_carry(tmp_path):
    """A dry run's executor is always local; the plan must still show the cluster's
    request (gpu=1 per PyTorch job), not this login node's (no GPU here: 0)."""
    write_yaml(tmp_path / "deep.yaml", WITH_DEEP)
    proc = run_snakemake(
        tmp_path, "--workflow-profile", PROFILE, "-n", "--configfile", DEMO, "deep.yaml"
    )
    assert _planned_gpus(proc.stdout + proc.stderr) == {"train": {"1"}, "train_classical": {"0"}}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    # One count-only GPU: deep jobs' --gpus=1 requests are scheduled against it, in turn.
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm-cluster"), gpus=1)
    try:
        cluster.start()
    except SlurmUnavailable as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Slurm test, but Slurm did not start: {err}", False)
        pytest.skip(f"no local Slurm cluster: {err}")
    yield cluster
    cluster.stop()


def _run_on_slurm(slurm: SlurmCluster, workdir: Path):
    """What a lab types, plus the values of this test cluster: its account and partition,
    small resources, its CPU count as the group cap; no accounting database, so job states
    come from squeue; a short first status check; Slurm logs kept to look at."""
    # fmt: off
    args = [
        "results/scores.csv",
        "--workflow-profile", PROFILE,
        "--configfile", DEMO, "small.yaml",
        "--default-resources", "slurm_account=emgrepro", "slurm_partition=debug",
        "runtime=10", "mem_mb=1000",
        # README's GPU cluster settings for the PyTorch jobs: their partition, CPUs per GPU
        "--set-resources", "train:mem_mb=1000", "train:runtime=10",
        "train:slurm_partition=debug", "train:cpus_per_gpu=1",
        "--cores", node_hardware()["CPUs"],
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-keep-successful-logs",
    ]
    # fmt: on
    with pytest.MonkeyPatch.context() as mp:
        for key, value in slurm.env.items():
            mp.setenv(key, value)
        return run_snakemake(workdir, *args, timeout=1200)


def _tres_per_job(info: str) -> str:
    """The TresPerJob field of `scontrol show job` (e.g. gres:gpu:1), empty when absent."""
    m = re.search(r"\bTresPerJob=(\S+)", info)
    return m.group(1) if m else ""


def test_demo_scores_on_slurm_equal_local_run(slurm, tmp_path):
    on_slurm, local = tmp_path / "slurm", tmp_path / "local"
    for d in (on_slurm, local):
        d.mkdir()
        write_yaml(d / "small.yaml", WITH_DEEP)
    # The same target on this machine without Slurm runs meanwhile: the Slurm run mostly
    # waits (for status checks), so this saves the test a minute or two.
    with ThreadPoolExecutor(max_workers=1) as pool:
        local_run = pool.submit(
            run_snakemake, local, "results/scores.csv", "--cores", "1",
            "--configfile", DEMO, "small.yaml", timeout=1200,
        )  # fmt: skip
        proc = _run_on_slurm(slurm, on_slurm)
        local_run.result()

    out = proc.stdout + proc.stderr
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", out)
    assert submitted, out[-5000:]
    ids = [jobid for jobid, _ in submitted]
    logs = [Path(log) for _, log in submitted]
    kinds = [log.relative_to(on_slurm / ".snakemake" / "slurm_logs").parts[0] for log in logs]
    n_scores = len(list((on_slurm / "results" / "scores").rglob("*.csv")))
    assert n_scores == N_CLASSICAL + N_DEEP
    # every training job went as its own Slurm job, the short jobs as two group jobs
    # (whose logs are in group_<group>_<its rules>/)
    assert kinds.count("rule_train_classical") == N_CLASSICAL, kinds
    assert kinds.count("rule_train") == N_DEEP, kinds
    groups = sorted(k.split("_")[1] for k in kinds if k.startswith("group_"))
    assert groups == ["collect", "subjects"], kinds
    assert len(kinds) == n_scores + 2, kinds

    # The GPU request comes from the config, not from this GPU-less submitting host: the
    # PyTorch jobs asked Slurm for one GPU each, the scikit-learn jobs for none.
    for jobid, kind in zip(ids, kinds):
        if kind in ("rule_train", "rule_train_classical"):
            tres = _tres_per_job(slurm.run("scontrol", "show", "job", jobid))
            assert ("gpu:1" in tres) == (kind == "rule_train"), (kind, jobid, tres)

    # Slurm knows every one of them: finished, in our working directory, partition, account
    states = dict(
        line.split("|")[:2]
        for line in slurm.run("squeue", "--states=all", "-h", "-o", "%i|%T").splitlines()
    )
    assert all(states.get(jobid) == "COMPLETED" for jobid in ids), (ids, states)
    for jobid in (ids[0], ids[-1]):
        info = slurm.run("scontrol", "show", "job", jobid)
        assert "JobState=COMPLETED" in info
        assert f"WorkDir={on_slurm}" in info and "Partition=debug" in info
        assert "Account=emgrepro" in info
    for log in logs:  # each job's Slurm log, named by its Slurm job id
        assert log.is_file() and log.stem in ids, log
    snakemake_log = max((on_slurm / ".snakemake" / "log").glob("*.snakemake.log"))
    assert all(f"SLURM jobid {jobid}" in snakemake_log.read_text() for jobid in ids)

    slurm_scores = (on_slurm / "results" / "scores.csv").read_bytes()
    assert slurm_scores == (local / "results" / "scores.csv").read_bytes()
    assert slurm_scores.count(b"\n") > n_scores
