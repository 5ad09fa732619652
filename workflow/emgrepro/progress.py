"""The one line each job prints when it starts, with the run's remaining time.

Snakemake prints a block of lines per job (input, output, wildcards, resources; with
``-p`` the full command) unless the rule has a ``message``, which it prints instead. Every
rule's message is ``{JOB_LINE:<text>}``: ``JOB_LINE`` (a global of the workflow) formats
as the text and, for a long run, the remaining time at the pace so far (Snakemake counts
the jobs done but says nothing of time). In a dry run it formats as nothing, and Snakemake
shows its full block: the plan, with each job's resources (the GPUs it will ask for).
"""

from __future__ import annotations

import time
from typing import Any

# Below this the pace says little (start-up, the first short jobs): no estimate is shown.
MIN_ELAPSED_S = 60.0


def remaining(elapsed_s: float, done: int, total: int) -> str:
    """``" (about 12 min left)"`` at the pace of the jobs done so far, or ``""`` while
    too little has run to say."""
    if done <= 0 or done >= total or elapsed_s < MIN_ELAPSED_S:
        return ""
    left = elapsed_s / done * (total - done)
    if left < 90:
        return f" (about {max(1, round(left / 10) * 10):.0f} s left)"
    if left < 90 * 60:
        return f" (about {round(left / 60):.0f} min left)"
    return f" (about {left / 3600:.1f} h left)"


class JobLine:
    """``format(JobLine(workflow), text)``: the text and the remaining time, or nothing in a
    dry run. The clock starts at the first job's line."""

    def __init__(self, workflow: Any) -> None:
        self.workflow = workflow
        self.started: float | None = None

    def __format__(self, text: str) -> str:
        scheduler = getattr(self.workflow, "scheduler", None)
        if scheduler is None or self.workflow.dryrun:
            return ""
        now = time.monotonic()
        if self.started is None:
            self.started = now
        left = remaining(now - self.started, scheduler.finished_jobs, len(self.workflow.dag))
        return text + left
