# Raw data: synthetic twins, downloads, and per-subject extraction with checksums.


# Downloads run where Snakemake runs: cluster compute nodes often have no internet.
localrules:
    download,


# Write a dataset's synthetic twin in its real archive layout (the demo's data).
rule synthesize:
    message:
        "{JOB_LINE:synthesize the {wildcards.dataset} twin}"
    output:
        archive=layout.TWIN_ARCHIVE,
        sums=layout.TWIN_SUMS,
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/synthesize/{dataset}.log",
    conda:
        "../../envs/data.yaml"
    params:
        subjects=lambda wc: ",".join(map(str, dataset_subjects(config, wc.dataset))),
        seed=config["synthetic"]["seed"],
        scale=lambda wc: as_json(twin_scale(config, wc.dataset)),
    shell:
        "python -m emgrepro synthesize --dataset {wildcards.dataset:q}"
        " --subjects {params.subjects:q} --seed {params.seed:q} --scale {params.scale:q}"
        " --out {output.archive:q} --sums {output.sums:q} > {log:q} 2>&1"


# Download one archive from its official URL or a mirror URL (retries inside: a failed
# download is not retried blindly); its files are verified when the subject is fetched.
rule download:
    message:
        "{JOB_LINE:download {wildcards.dataset} {wildcards.archive}}"
    output:
        layout.DOWNLOAD,
    log:
        "logs/download/{dataset}/{archive}.log",
    conda:
        "../../envs/data.yaml"
    params:
        url=lambda wc: download_url(config, wc.dataset, wc.archive),
    shell:
        "python -m emgrepro download --dataset {wildcards.dataset:q} --url {params.url:q}"
        " --out {output:q} > {log:q} 2>&1"


# Take only the subject's raw files out of its source (copied, never linked), check every
# file's sha256 and that its reader accepts it; only then may the lock learn a hash.
rule fetch_subject:
    message:
        "{JOB_LINE:fetch {wildcards.dataset} subject {wildcards.subject}}"
    input:
        get_subject_inputs,
    output:
        directory(layout.RAW),
    retries: 0  # a failure here would repeat: never resubmitted
    log:
        "logs/fetch/{dataset}/sub-{subject}.log",
    conda:
        "../../envs/data.yaml"
    params:
        plan=lambda wc: as_json(get_source_plan(wc).to_dict()),
        # read and updated in place under a file lock (emgrepro/fetch/checksums.py), shared by
        # every fetch job: state, not an input or output of one job
        lock=config["checksum_lock"],
    shell:
        "python -m emgrepro fetch --plan {params.plan:q} --lock {params.lock:q} --out {output:q}"
        " > {log:q} 2>&1"
