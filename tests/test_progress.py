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


def test_every_rule_prints_one_line():
    """The console's one line per job: every rule that runs a job has a JOB_LINE message
    (without one, Snakemake prints the rule's whole block of inputs and outputs)."""
    import re

    from emgrepro.paths import ROOT

    blocks = {}
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        parts = re.split(r"^rule (\w+):\n", smk.read_text(), flags=re.M)
        blocks.update(dict(zip(parts[1::2], parts[2::2])))
    assert {"train", "claims", "paper_report"} <= set(blocks)
    quiet = {n for n, b in blocks.items() if "message:" in b and "{JOB_LINE:" in b}
    assert set(blocks) - quiet == set(), "rules without a one-line message"
