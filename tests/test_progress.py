"""The remaining-time estimate each job's console line ends with."""

from __future__ import annotations

from types import SimpleNamespace

from emgrepro.progress import JobLine, remaining


def test_no_estimate_until_the_pace_says_something():
    assert remaining(30.0, 5, 100) == ""  # under a minute in
    assert remaining(600.0, 0, 100) == ""  # nothing done yet
    assert remaining(600.0, 100, 100) == ""  # nothing left


def test_the_estimate_extrapolates_the_pace_so_far():
    assert remaining(60.0, 10, 20) == " (about 60 s left)"
    assert remaining(600.0, 10, 40) == " (about 30 min left)"
    assert remaining(3600.0, 10, 40) == " (about 3.0 h left)"
    assert remaining(61.0, 60, 61) == " (about 1 s left)"


def test_the_line_is_the_text_and_the_remaining_time_and_nothing_in_a_dry_run():
    """Formatted as Snakemake formats a rule's message when the job starts."""
    from snakemake.utils import format

    workflow = SimpleNamespace(scheduler=None, dryrun=False, dag=[None] * 40)
    line = JobLine(workflow)
    message = "{JOB_LINE:train {wildcards.model} fold {wildcards.fold}}"
    wildcards = SimpleNamespace(model="csae", fold="3-k2")
    # no scheduler (while the DAG is built, --report): nothing, so Snakemake shows its block
    assert format(message, JOB_LINE=line, wildcards=wildcards) == ""
    workflow.scheduler = SimpleNamespace(finished_jobs=10)
    assert format(message, JOB_LINE=line, wildcards=wildcards) == "train csae fold 3-k2"
    line.started -= 600  # ten minutes for the first 10 of 40 jobs
    assert format(message, JOB_LINE=line, wildcards=wildcards) == (
        "train csae fold 3-k2 (about 30 min left)"
    )
    workflow.dryrun = True  # the plan: Snakemake's full block, resources included
    assert format(message, JOB_LINE=line, wildcards=wildcards) == ""
