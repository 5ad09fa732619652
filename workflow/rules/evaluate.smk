# Gather every job's scores into tidy tables, record provenance, judge every published number.


# Concatenate the jobs' scores, training times and settings.
rule gather_scores:
    message:
        "{JOB_LINE:gather every job's scores}"
    input:
        scores=get_job_outputs("scores"),
        info=get_job_outputs("info"),
    output:
        scores=report(
            layout.SCORES_TABLE,
            caption="../report/scores.rst",
            category="scores",
            labels={"paper": "all", "file": "scores.csv"},
        ),
        timings=layout.TIMINGS_TABLE,
        jobs=layout.JOBS_TABLE,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/gather_scores.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro gather --out {output.scores:q} --timings {output.timings:q}"
        " --jobs {output.jobs:q} --records {input.info:q} -- {input.scores:q} > {log:q} 2>&1"


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
        config=lambda wc: as_json(config),
    shell:
        "python -m emgrepro provenance --config {params.config:q} --out {output:q} {input.raw:q}"
        " > {log:q} 2>&1"


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
        table=report(
            layout.AUDIT_TABLE,
            caption="../report/audit_table.rst",
            category="audit",
            labels={"paper": "all", "file": "audit.csv"},
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/audit.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro audit --scores {input.scores:q} --timings {input.timings:q}"
        " --jobs {input.jobs:q} --provenance {input.provenance:q} --out {output.table:q}"
        " {input.published:q} > {log:q} 2>&1"


# Every paper's comparative claims, judged on each dataset the run computed both sides on.
rule claims:
    message:
        "{JOB_LINE:judge every paper's claims}"
    input:
        scores=rules.gather_scores.output.scores,
        provenance=rules.provenance.output[0],
        claims=CLAIMS,
    output:
        table=report(
            layout.CLAIMS_TABLE,
            caption="../report/claims_table.rst",
            category="claims",
            labels={"paper": "all", "file": "claims.csv"},
        ),
        grid=report(
            layout.GRID_TABLE,
            caption="../report/grid_table.rst",
            category="claims",
            labels={"paper": "all", "file": "grid.csv"},
        ),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/claims.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro claims --scores {input.scores:q} --provenance {input.provenance:q}"
        " --out {output.table:q} --grid-out {output.grid:q} {input.claims:q} > {log:q} 2>&1"


# Per published number: the compute seconds its jobs spent, and the plan's prediction.
rule cost_per_result:
    message:
        "{JOB_LINE:cost every published number}"
    input:
        audit=rules.audit.output.table,
        provenance=rules.provenance.output[0],
        calibration=COST_CALIBRATION,
        info=get_job_outputs("info"),
    output:
        table=layout.COST_PER_RESULT,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/cost_per_result.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro cost-per-result --audit {input.audit:q}"
        " --provenance {input.provenance:q} --calibration {input.calibration:q}"
        " --out {output.table:q} {input.info:q} > {log:q} 2>&1"


# A paper's analysis beyond the scores (emgrepro/analyses/<paper>.py), for its report.
rule analysis:
    message:
        "{JOB_LINE:analyse {wildcards.paper}}"
    input:
        unpack(lambda wc: get_analysis(wc.paper).inputs),
    output:
        folder=directory(layout.ANALYSIS),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/analysis/{paper}.log",
    conda:
        "../../envs/train.yaml"
    params:
        arguments=lambda wc: get_analysis_arguments(wc.paper),  # quoted by shlex.join
    wildcard_constraints:
        paper="|".join(analyses.names()),
    shell:
        "python -m emgrepro analyse --paper {wildcards.paper:q} {params.arguments}"
        " --out-dir {output.folder:q} > {log:q} 2>&1"

