# One independent job per (experiment, protocol, model, fold, seed): PyTorch models save a
# .pt checkpoint, scikit-learn ones a .skops file (rule train_classical); both load without
# running code (emgrepro/checkpoint.py).


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
        spec=lambda wc: as_json(get_job(wc).to_dict()),
        # --windows, --parent-model, --init: the inputs above, each argument quoted
        inputs=lambda wc: shlex.join(get_job_files(wc).input_arguments()),
        # not on the command line: a change in the code of this job's model or protocol
        # changes it, and Snakemake reruns the jobs whose parameters changed
        code=lambda wc: train_code(wc.model, wc.protocol),
    wildcard_constraints:
        model=models_using_gpu(True),
    threads: config["threads_per_job"]
    resources:
        gpu=get_deep_job_gpus,
    shell:
        "python -m emgrepro --benchmark {output.benchmark:q} train --spec {params.spec:q}"
        " {params.inputs} --scores {output.scores:q} --predictions {output.predictions:q}"
        " --info {output.info:q} --model-out {output.model:q} --threads {threads:q}"
        " > {log:q} 2>&1"


use rule train as train_classical with:
    output:
        scores=layout.SCORES,
        predictions=layout.PREDICTIONS,
        info=layout.JOB_INFO,
        model=layout.CLASSICAL_MODEL,
        benchmark=layout.TRAIN_BENCHMARK,
    wildcard_constraints:
        model=models_using_gpu(False),
    resources:
        gpu=0,
