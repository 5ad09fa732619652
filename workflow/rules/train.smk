# One independent job per (experiment, protocol, model, fold, seed): PyTorch models save a
# .pt checkpoint, scikit-learn ones a .joblib file (rule train_classical).


rule train:
    message:
        "{JOB_LINE:train {wildcards.experiment} {wildcards.protocol} {wildcards.model}"
        " fold {wildcards.fold} seed {wildcards.seed}}"
    input:
        unpack(get_job_inputs),
    output:
        scores=layout.SCORES,
        predictions=layout.PREDICTIONS,
        info=layout.JOB_INFO,
        model=layout.MODEL,
        # the job's own figures (emgrepro/benchmark.py): a benchmark: directive would
        # measure the warm-start client, not the job
        benchmark=layout.TRAIN_BENCHMARK,
    log:
        layout.TRAIN_LOG,
    conda:
        "../../envs/train.yaml"
    params:
        spec=lambda wc: quoted_json(get_job(wc).to_dict()),
        windows_root=lambda wc: layout.path(layout.WINDOWS_ROOT, prep=get_job(wc).preprocessing),
        parent=lambda wc, input: f"--parent-model {input.parent}" if "parent" in input.keys() else "",
        init=get_init_args,
        # not on the command line: a change in the code of this job's model or protocol
        # changes it, and Snakemake reruns the jobs whose parameters changed
        code=lambda wc: train_code(wc.model, wc.protocol),
    wildcard_constraints:
        model=models_saved_as(".pt"),
    threads: config["threads_per_job"]
    resources:
        gpu=get_deep_job_gpus,
    shell:
        "python -m emgrepro --benchmark {output.benchmark} train --spec {params.spec}"
        " --windows-root {params.windows_root} --scores {output.scores}"
        " --predictions {output.predictions} --model-out {output.model}"
        " --threads {threads} {params.parent} {params.init} > {log} 2>&1"


use rule train as train_classical with:
    output:
        scores=layout.SCORES,
        predictions=layout.PREDICTIONS,
        info=layout.JOB_INFO,
        model=layout.CLASSICAL_MODEL,
        benchmark=layout.TRAIN_BENCHMARK,
    wildcard_constraints:
        model=models_saved_as(".joblib"),
    resources:
        gpu=0,
