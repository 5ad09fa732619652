# Imports, config validation and the helpers every rule file uses.
import json
import shlex
import shutil
from pathlib import Path

from snakemake.utils import min_version

import emgrepro.config as emgconfig
from emgrepro.datasets.registry import get_dataset
from emgrepro.fetch.sources import check_sources, download_url, plan_source
from emgrepro.protocols import PROTOCOLS

min_version("9.0")

REPO = Path(workflow.basedir)
emgconfig.validate(config)
check_sources(config)
JOBS = {
    (j.experiment, j.protocol, j.model, j.fold, str(j.seed)): j for j in emgconfig.jobs(config)
}
PAPERS = sorted({j.paper for j in JOBS.values()})


wildcard_constraints:
    dataset="[a-z0-9_]+",
    subject=r"\d+",
    seed=r"\d+",
    prep="[A-Za-z0-9_]+",
    experiment="[A-Za-z0-9_]+",
    protocol="[a-z_]+",
    model="[a-z0-9_]+",
    fold="[A-Za-z0-9-]+",
    paper="[a-z0-9_]+",


def quoted_json(obj):
    """A JSON document quoted for the shell: how specs reach the command line."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


def get_source_plan(wildcards):
    return plan_source(config, wildcards.dataset, int(wildcards.subject))


def get_subject_archives(wildcards):
    return get_source_plan(wildcards).inputs


def get_prep_raw(wildcards):
    dataset = config["preprocessing"][wildcards.prep]["dataset"]
    return f"resources/raw/{dataset}/sub-{wildcards.subject}"


def get_job(wildcards):
    key = (wildcards.experiment, wildcards.protocol, wildcards.model, wildcards.fold, wildcards.seed)
    return JOBS[key]


def get_job_windows(wildcards):
    job = get_job(wildcards)
    needed = PROTOCOLS.get(job.protocol).subjects_needed(
        job.fold, job.subjects, job.protocol_params
    )
    return [f"results/windows/{job.preprocessing}/sub-{s}/windows.npz" for s in needed]


def get_job_inputs(wildcards):
    """The windows a job reads and, for adapted models, the model it starts from."""
    inputs = {"windows": get_job_windows(wildcards)}
    parent = emgconfig.parent_model_path(get_job(wildcards))
    if parent:
        inputs["parent"] = parent
    for part, path in emgconfig.init_model_paths(get_job(wildcards)).items():
        inputs[f"init_{part}"] = path
    return inputs


def get_init_args(wildcards):
    """``--init PART=PATH`` for each pre-trained part the job loads."""
    parts = emgconfig.init_model_paths(get_job(wildcards))
    return " ".join(f"--init {part}={shlex.quote(path)}" for part, path in sorted(parts.items()))


def has_gpu():
    """Whether training jobs get a GPU: ``device: cuda``, or ``auto`` on a host with one."""
    if config["device"] == "auto":
        return shutil.which("nvidia-smi") is not None
    return config["device"] == "cuda"


def get_job_gpus(wildcards):
    from emgrepro.models import MODELS

    return int(has_gpu() and getattr(MODELS.get(wildcards.model), "uses_gpu", False))


def get_score_files():
    return [
        f"results/scores/{e}/{p}/{m}/fold-{f}_seed-{s}.csv" for (e, p, m, f, s) in sorted(JOBS)
    ]


def get_audit_settings():
    """Tolerance rule, subject groups and which datasets were synthetic, for the reports."""
    return {
        "abs_tolerance_percent": config["audit"]["abs_tolerance_percent"],
        "sd_multiplier": config["audit"]["sd_multiplier"],
        "groups": config["audit"]["groups"],
        "synthetic_datasets": [
            d for d in emgconfig.used_datasets(config) if emgconfig.is_synthetic(config, d)
        ],
    }


def get_final_output():
    out = ["results/scores.csv", "results/audit.csv", "results/reports/audit.html"]
    out += [f"results/reports/{paper}.html" for paper in PAPERS]
    return out
