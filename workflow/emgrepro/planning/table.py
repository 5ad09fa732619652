"""The plan's printed table and what its figures rest on."""

from __future__ import annotations

from emgrepro.planning.plan import Machine, Plan, wall_seconds


def duration(seconds: float) -> str:
    """Seconds in the unit a reader plans with."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def on_gpu(machine: Machine, device: str) -> bool:
    """Whether the run's PyTorch jobs go to GPUs: a workstation's when it has any, a
    cluster's unless the config says ``device: cpu``."""
    if device == "cpu":
        return False
    return bool(machine.slurm_jobs) or machine.gpus > 0


def rows(p: Plan, machine: Machine, calibration: dict, device: str) -> list[dict]:
    gpu = on_gpu(machine, device)
    gpu_figures = bool(calibration.get("gpu_models"))
    out = []
    for paper in sorted({c.paper for c in p.costs}) + ["total"]:
        mine = [c for c in p.costs if paper in ("total", c.paper)]
        other = [s for k, v in p.other.items() if paper in ("total", k) for s in v]
        sub = Plan(mine, {paper: other}, p.scale)
        on_gpus = [c for c in mine if c.gpu and gpu]
        cpu_s = sum(c.seconds for c in mine if c not in on_gpus) + sum(other)
        out.append(
            {
                "paper": paper,
                "jobs": len(mine),
                "other": len(other),
                "cpu_h": cpu_s / 3600,
                "gpu_jobs": len(on_gpus),
                "gpu_h": sum(c.seconds for c in on_gpus) / 3600 if gpu_figures else None,
                "memory_mb": max((c.memory_mb for c in mine), default=0.0),
                "wall_s": wall_seconds(sub, machine, calibration),
                "low_h": sum(c.low for c in mine) / 3600,
                "high_h": sum(c.high for c in mine) / 3600,
            }
        )
    return out


def render(p: Plan, machine: Machine, calibration: dict, device: str, source: str) -> str:
    """The table per paper and in total, then what it rests on."""
    where = (
        f"{machine.slurm_jobs} concurrent Slurm jobs"
        if machine.slurm_jobs
        else f"{machine.cores} core(s), {machine.gpus} GPU(s)"
    )
    lines = [
        f"cost of {source} on {where}",
        "",
        "| paper | training jobs | other jobs | CPU-hours | GPU-hours | largest memory "
        "per job | expected wall time |",
        "|---|---|---|---|---|---|---|",
    ]
    table = rows(p, machine, calibration, device)
    for r in table:
        gpu = "0" if not r["gpu_jobs"] else f"not computed ({r['gpu_jobs']} jobs)"
        if r["gpu_jobs"] and r["gpu_h"] is not None:
            gpu = f"{r['gpu_h']:,.1f}"
        name = f"**{r['paper']}**" if r["paper"] == "total" else r["paper"]
        lines.append(
            f"| {name} | {r['jobs']:,} | {r['other']:,} | {r['cpu_h']:,.2f} | {gpu} | "
            f"{r['memory_mb'] / 1024:,.2f} GiB | {duration(r['wall_s'])} |"
        )
    total = table[-1]
    lines += ["", "rests on:"] + [f"- {n}" for n in p.notes]
    if p.uncosted:
        missing = ", ".join(f"{m} ({n} jobs)" for m, n in sorted(p.uncosted.items()))
        lines.append(
            f"- NOT COSTED (not computed, left out of every figure above): {missing}: no "
            "calibration of these models; measure them with `bench/calibrate_cost.py "
            "--missing`"
        )
    lines.append(
        f"- training job-hours {total['low_h']:,.2f}-{total['high_h']:,.2f} between early "
        "stopping at its earliest and every epoch run; the table takes the middle"
    )
    if any(r["gpu_jobs"] for r in table) and total["gpu_h"] is None:
        lines.append(
            "- GPU: no GPU figures in the calibration (none was measured): GPU-hours are not "
            "computed, and the wall time costs the PyTorch jobs at the CPU's speed (an upper "
            "bound) on the GPUs' slots"
        )
    return "\n".join(lines)
