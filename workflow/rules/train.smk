# One independent job per (experiment, protocol, model, fold, seed).


rule train:
    input:
        windows=get_job_windows,
    output:
        scores="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.csv",
        predictions="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.npz",
        info="results/scores/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.json",
    log:
        "logs/train/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.log",
    conda:
        "../../envs/train.yaml"
    params:
        spec=lambda wc: quoted_json(get_job(wc).to_dict()),
        windows_root=lambda wc: f"results/windows/{get_job(wc).preprocessing}",
    threads: config["threads_per_job"]
    resources:
        gpu=get_job_gpus,
    shell:
        "python -m emgrepro train --spec {params.spec} --windows-root {params.windows_root}"
        " --scores {output.scores} --predictions {output.predictions} > {log} 2>&1"
