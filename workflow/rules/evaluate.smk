# Gather every job's scores into one tidy table, and record provenance beside it.


rule gather_scores:
    input:
        scores=get_score_files(),
        info=[p.replace(".csv", ".json") for p in get_score_files()],
    output:
        scores="results/scores.csv",
        timings="results/timings.csv",
    log:
        "logs/gather_scores.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "python -m emgrepro gather --out {output.scores} --timings {output.timings}"
        " {input.scores} > {log} 2>&1"


rule provenance:
    input:
        scores="results/scores.csv",
        raw=lambda wc: sorted(
            {
                f"resources/raw/{j.dataset}/sub-{s}"
                for j in JOBS.values()
                for s in j.subjects
            }
        ),
    output:
        "results/provenance.json",
    log:
        "logs/provenance.log",
    conda:
        "../../envs/data.yaml"
    params:
        config=lambda wc: quoted_json(config),
    shell:
        "python -m emgrepro provenance --config {params.config} --out {output} {input.raw}"
        " > {log} 2>&1"
