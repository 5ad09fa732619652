"""A run's cost before it runs: per paper and in total, jobs, CPU- and GPU-hours, the
largest memory of one job, and the expected wall time on a workstation (cores, GPUs) or
with a number of concurrent Slurm jobs."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from emgrepro.datasets.registry import is_synthetic
from emgrepro.errors import ConfigError
from emgrepro.job_plan import JobSpec, jobs
from emgrepro.planning import calibration as calib
from emgrepro.planning.cost import JobCost, job_cost
from emgrepro.planning.sizes import job_windows, recording
from emgrepro.selection import twin_scale


@dataclass
class Machine:
    """Where the run goes: ``cores`` and ``gpus`` of a workstation, or ``slurm_jobs``
    concurrent jobs on a cluster (each job then a fresh process)."""

    cores: int = 1
    gpus: int = 0
    slurm_jobs: int = 0

    @property
    def slots(self) -> int:
        return self.slurm_jobs or self.cores


@dataclass
class Plan:
    costs: list[JobCost]
    other: dict[str, list[float]]  # per paper: seconds of its jobs around training
    scale: float  # this machine's seconds per calibration-machine second
    notes: list[str] = field(default_factory=list)
    uncosted: dict[str, int] = field(default_factory=dict)  # model: jobs not in the calibration


def job_scale(config: dict, job: JobSpec) -> dict | None:
    return twin_scale(config, job.dataset) if is_synthetic(config, job.dataset) else None


def plan(config: dict, calibration: dict, scale: float = 1.0, cold: bool = False) -> Plan:
    """Every training job's cost, and the per-subject and report jobs around them.

    ``cold``: every job a fresh process (Slurm, or ``warm_start: false``), which adds the
    calibrated start-up to each job."""
    start = calibration["startup_s"]
    rules = calibration["rules"]
    costs, other, seen, uncosted = [], {}, set(), {}
    for job in jobs(config):
        scale_cfg = job_scale(config, job)
        try:
            c = job_cost(job, job_windows(job, scale_cfg), calibration, scale)
        except ConfigError:  # a model the calibration lacks: not computed, and said so
            uncosted[job.model] = uncosted.get(job.model, 0) + 1
            continue
        if cold:
            fixed = scale * start["torch" if c.gpu else "classical"]
            c = JobCost(**{**c.__dict__, "seconds": c.seconds + fixed})
        costs.append(c)
        for subject in job.subjects:  # fetch and preprocess, once per preprocessing
            if (job.preprocessing, subject) in seen:
                continue
            seen.add((job.preprocessing, subject))
            rec = recording(job, scale_cfg)
            work = rules["preprocess_s_per_msample"] * rec.samples * rec.n_chans / 1e6
            other.setdefault(job.paper, []).append(scale * (2 * start["classical"] + work))
    for paper in {c.paper for c in costs}:
        other.setdefault(paper, []).append(scale * rules["report_s"])
    return Plan(costs, other, scale, uncosted=uncosted)


def wall_seconds(p: Plan, machine: Machine, calibration: dict) -> float:
    """Expected wall time: Snakemake's start, the preprocessing, the training jobs placed
    longest first on the free slot that finishes earliest (PyTorch jobs on GPUs where
    there are any), then the gathering and report jobs; each job also costs Snakemake's
    own overhead per job."""
    snake = calibration["rules"]["snakemake"]
    per_job = snake["per_job_s"] * p.scale
    pre = [s for secs in p.other.values() for s in secs]
    train_cpu = [c.seconds + per_job for c in p.costs if not (c.gpu and machine.gpus)]
    train_gpu = [c.seconds + per_job for c in p.costs if c.gpu and machine.gpus]
    slots = machine.slots
    total = snake["start_s"] * p.scale
    total += _makespan([s + per_job for s in pre], slots)
    total += max(_makespan(train_cpu, slots), _makespan(train_gpu, machine.gpus))
    total += 3 * calibration["startup_s"]["classical"] * p.scale  # gather, provenance, audit
    return total


def _makespan(seconds: list[float], slots: int) -> float:
    """Longest-first list scheduling on ``slots`` parallel slots."""
    if not seconds or slots <= 0:
        return 0.0
    ends = [0.0] * min(slots, len(seconds))
    for s in sorted(seconds, reverse=True):
        heapq.heappush(ends, heapq.heappop(ends) + s)
    return max(ends)


def scale_to_here(calibration: dict) -> tuple[float, str]:
    """This machine's seconds per calibration-machine second, and what it rests on."""
    here, there = calib.machine(), calibration["machine"]
    where = f"{there['cpu']} ({there['cores']} cores, torch {there['torch']}, {there['date']})"
    if calib.same_machine(here, there):
        return 1.0, f"calibrated on this machine: {where}"
    mine = calib.self_benchmark()
    factor = mine / calibration["self_benchmark_s"]
    return factor, (
        f"calibrated on {where}; this machine ({here['cpu']}, {here['cores']} cores, torch "
        f"{here['torch']}) differs: figures scaled by {factor:.2f}, the ratio of a "
        f"{mine:.2f} s self-benchmark to its {calibration['self_benchmark_s']:.2f} s there"
    )
