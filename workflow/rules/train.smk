# One independent job per (experiment, protocol, model, fold, seed).


rule train:
    input:
        unpack(get_job_inputs),
    output:
        scores=layout.SCORES,
        predictions=layout.PREDICTIONS,
        info=layout.JOB_INFO,
        model=layout.MODEL,
    log:
        layout.TRAIN_LOG,
    conda:
        "../../envs/train.yaml"
    params:
        spec=lambda wc: quoted_json(get_job(wc).to_dict()),
        windows_root=lambda wc: layout.path(layout.WINDOWS_ROOT, prep=get_job(wc).preprocessing),
        parent=lambda wc, input: f"--parent-model {input.parent}" if "parent" in input.keys() else "",
        init=get_init_args,
    threads: config["threads_per_job"]
    resources:
        gpu=get_job_gpus,
    shell:
        "python -m emgrepro train --spec {params.spec} --windows-root {params.windows_root}"
        " --scores {output.scores} --predictions {output.predictions} --model-out {output.model}"
        " --threads {threads} {params.parent} {params.init} > {log} 2>&1"
