# Gather every job's scores into tidy tables, record provenance, judge every published number.


# Concatenate the jobs' scores, training times and settings.
rule gather_scores:
    message:
        "{JOB_LINE:gather every job's scores}"
    input:
        scores=get_job_outputs("scores"),
        info=get_job_outputs("info"),
    output:
        scores=layout.SCORES_TABLE,
        timings=layout.TIMINGS_TABLE,
        jobs=layout.JOBS_TABLE,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/gather_scores.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro gather --out {output.scores} --timings {output.timings}"
        " --jobs {output.jobs} {input.scores} > {log} 2>&1"


# The run's resolved config, the sha256 of every raw file, versions, commit, host.
rule provenance:
    message:
        "{JOB_LINE:record the provenance}"
    input:
        scores=rules.gather_scores.output.scores,
        raw=get_raw_inputs(),
    output:
        layout.PROVENANCE,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/provenance.log",
    conda:
        "../../envs/data.yaml"
    params:
        config=lambda wc: quoted_json(config),
    shell:
        "python -m emgrepro provenance --config {params.config} --out {output} {input.raw}"
        " > {log} 2>&1"


# Every published number against what the run computed: the verdict table.
rule audit:
    message:
        "{JOB_LINE:audit every published number}"
    input:
        scores=rules.gather_scores.output.scores,
        timings=rules.gather_scores.output.timings,
        jobs=rules.gather_scores.output.jobs,
        provenance=rules.provenance.output[0],
        published=PUBLISHED,
    output:
        table=layout.AUDIT_TABLE,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/audit.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro audit --scores {input.scores} --timings {input.timings}"
        " --jobs {input.jobs} --provenance {input.provenance} --out {output.table}"
        " {input.published} > {log} 2>&1"
