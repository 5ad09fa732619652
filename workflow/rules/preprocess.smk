# Filter each subject's signal once and index its windows (views, never copies).


rule preprocess:
    input:
        raw=get_prep_raw,
    output:
        signal=layout.SIGNAL,
        windows=layout.WINDOWS,
    log:
        layout.PREPROCESS_LOG,
    benchmark:
        layout.PREPROCESS_BENCHMARK
    conda:
        "../../envs/preprocess.yaml"
    params:
        prep=lambda wc: as_json(config["preprocessing"][wc.prep]),
        out_dir=lambda wc, output: Path(output.windows).parent,
        code=lambda wc: preprocess_code(config["preprocessing"][wc.prep]["dataset"]),
    group:
        "preprocess"
    shell:
        "python -m emgrepro preprocess --prep {params.prep:q} --subject {wildcards.subject:q}"
        " --raw {input.raw:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"
