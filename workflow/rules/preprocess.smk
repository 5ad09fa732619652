# Filter each subject's signal once and index its windows (views, never copies).


rule preprocess:
    message:
        "{JOB_LINE:preprocess {wildcards.prep} subject {wildcards.subject}}"
    input:
        raw=get_prep_raw,
    output:
        signal=layout.SIGNAL,
        windows=layout.WINDOWS,
        benchmark=layout.PREPROCESS_BENCHMARK,  # the job's own figures (emgrepro/benchmark.py)
    log:
        layout.PREPROCESS_LOG,
    conda:
        "../../envs/preprocess.yaml"
    params:
        prep=lambda wc: as_json(config["preprocessing"][wc.prep]),
        code=lambda wc: preprocess_code(config["preprocessing"][wc.prep]["dataset"]),
    group:
        "preprocess"
    shell:
        "python -m emgrepro --benchmark {output.benchmark:q} preprocess --prep {params.prep:q}"
        " --subject {wildcards.subject:q} --raw {input.raw:q}"
        " --signal {output.signal:q} --windows {output.windows:q}"
        " > {log:q} 2>&1"
