# One independent job per (experiment, protocol, model, fold, seed).


rule train:
    input:
        unpack(get_job_inputs),
    output:
        scores="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.csv",
        predictions="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.npz",
        info="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.json",
        model="results/models/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.pt",
    log:
        "logs/train/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.log",
    conda:
        "../../envs/train.yaml"
    params:
        spec=lambda wc: quoted_json(get_job(wc).to_dict()),
        windows_root=lambda wc: f"results/windows/{get_job(wc).preprocessing}",
        parent=lambda wc, input: f"--parent-model {input.parent}" if "parent" in input.keys() else "",
        init=get_init_args,
    threads: config["threads_per_job"]
    resources:
        gpu=get_job_gpus,
    shell:
        "python -m emgrepro train --spec {params.spec} --windows-root {params.windows_root}"
        " --scores {output.scores} --predictions {output.predictions} --model-out {output.model}"
        " {params.parent} {params.init} > {log} 2>&1"
