# Imports, config validation and the helpers every rule file uses.
import functools
import json
import os
import shlex
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod
from snakemake.utils import min_version, update_config

import emgrepro.config as emgconfig
from emgrepro.datasets.registry import dataset_subjects
from emgrepro.job_plan import job_files, jobs, uses_gpu
from emgrepro.selection import selected_experiments, twin_scale
from emgrepro import analyses, layout, warm
from emgrepro.code_hash import preprocess_code, train_code
from emgrepro.fetch.sources import check_sources, download_url, plan_source
from emgrepro.paths import claims_csv, notebook
from emgrepro.progress import JobLine
from emgrepro.resources import gpus_per_deep_job

min_version("9.0")

# Every job runs the interpreter that runs Snakemake (the project's venv), whatever
# `python` is first on PATH: `.venv/bin/snakemake` works without an activated venv. Under
# `--sdm conda` each job runs its rule's environment's own python instead (envs/*.yaml).
# Either way jobs import emgrepro from this workflow folder (PYTHONPATH, see the Snakefile).
# (Snakemake formats the prefix too: doubled braces are literal ones.)
if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
    shell.prefix("set -euo pipefail; ")
else:
    shell.prefix('set -euo pipefail; python() {{ %s "$@"; }}; ' % shlex.quote(sys.executable))

REPO = Path(workflow.basedir)
JOB_LINE = JobLine(workflow)  # each rule's one-line message (emgrepro/progress.py)
# --config values typed as in a config file (Snakemake leaves nested ones strings)
update_config(config, emgconfig.command_line_overrides(workflow.config_settings.config))
emgconfig.prepare(config)  # paper files + demo settings + the run's files, validated
check_sources(config)
JOBS = {
    (j.experiment, j.protocol, j.model, j.fold, str(j.seed)): j for j in jobs(config)
}
PAPERS = sorted({j.paper for j in JOBS.values()})  # papers with a report in this run
PUBLISHED = [
    info["published_csv"] for info in config["paper_info"].values() if info["published"]
]
CLAIMS = [str(claims_csv(p)) for p in PAPERS if claims_csv(p).exists()]  # judged in this run
COST_CALIBRATION = str(REPO / "config" / "cost_calibration.yaml")  # bench/calibrate_cost.py


# Warm starts (emgrepro/warm.py): on a workstation every job's command runs in a fork of one
# process that has imported torch, scikit-learn and MNE once, instead of importing them
# again per job. Cluster jobs run on other machines and start as usual.
WARM = {}


def start_warm_server():
    if config["warm_start"] and workflow.local_exec:
        Path(".snakemake").mkdir(exist_ok=True)
        WARM["pid"], WARM["path"] = warm.start(log=Path(".snakemake/emgrepro-warm.log"))
        os.environ[warm.ENV] = WARM["path"]


def stop_warm_server():
    if WARM:
        warm.stop(WARM["pid"], WARM["path"])
        os.environ.pop(warm.ENV, None)


onstart:
    start_warm_server()


onsuccess:
    stop_warm_server()


onerror:
    stop_warm_server()


wildcard_constraints:
    dataset="[a-z0-9_]+",
    subject=r"\d+",
    seed=r"\d+",
    prep="[A-Za-z0-9_]+",
    experiment="[A-Za-z0-9_]+",
    protocol="[a-z_]+",
    model="[a-z0-9_]+",
    fold="[A-Za-z0-9_-]+",
    paper="[a-z0-9_]+",


def as_json(obj):
    """A JSON document for the command line; the rules quote it (``{params.x:q}``), as they
    quote every path, URL and config value: no shell line is built from a raw string."""
    return json.dumps(obj, sort_keys=True)


def get_source_plan(wildcards):
    return plan_source(config, wildcards.dataset, int(wildcards.subject))


def get_subject_inputs(wildcards):
    return get_source_plan(wildcards).files_read()


def get_prep_raw(wildcards):
    dataset = config["preprocessing"][wildcards.prep]["dataset"]
    return layout.path(layout.RAW, dataset=dataset, subject=wildcards.subject)


def get_job(wildcards):
    key = (wildcards.experiment, wildcards.protocol, wildcards.model, wildcards.fold, wildcards.seed)
    return JOBS[key]


def get_job_files(wildcards):
    """Every file the job reads and writes (emgrepro/job_plan.py): the rule declares them
    and passes them on, as the command line's named arguments."""
    return job_files(get_job(wildcards))


def get_job_inputs(wildcards):
    return get_job_files(wildcards).inputs()


def jobs_run_here():
    """Whether jobs run on this machine rather than a cluster's. A dry run's executor is
    always the local "dryrun" one; Snakemake forces ``use_threads`` when the executor it
    plans for is remote (api.py, execute_workflow), and that setting survives."""
    if workflow.dryrun:
        return not workflow.execution_settings.use_threads
    return workflow.local_exec


def get_deep_job_gpus(wildcards):
    """GPUs per PyTorch training job, from the config (emgrepro/resources.py): on a cluster
    the login node running Snakemake has no say. Evaluated per job, once the executor is
    known (while the Snakefile is read, every run looks local); a dry run shows what the
    submission will carry."""
    return gpus_per_deep_job(config, local=jobs_run_here())


def get_job_outputs(kind, paper=None):
    """One output (scores, info, predictions, model) of every job, or of one paper's."""
    return [
        getattr(job_files(job), kind)
        for _, job in sorted(JOBS.items())
        if paper is None or job.paper == paper
    ]


def models_using_gpu(gpu):
    """A wildcard pattern of the registered models that can (``gpu``) or cannot use a GPU,
    as each declares (``uses_gpu``): the rule, and so the GPU request, follows it."""
    from emgrepro.models import MODELS

    return "|".join(n for n in MODELS.names() if uses_gpu(n) == gpu)


def get_raw_inputs():
    return sorted(
        {
            layout.path(layout.RAW, dataset=j.dataset, subject=s)
            for j in JOBS.values()
            for s in j.subjects
        }
    )


def get_report_parameters(paper, input, output):
    """What a paper's report notebook is told (emgrepro.report.open_report): its files,
    the paper's experiments and the audit's rule."""
    return {
        "paper": paper,
        "inputs": {
            "scores_csv": input.scores,
            "timings_csv": input.timings,
            "audit_csv": input.audit,
            "figures_dir": output.figures,
            "predictions": list(input.predictions),
            "analysis_dir": input.analysis[0] if input.analysis else "",
            "paper_info": config["paper_info"].get(paper, {}),
            "experiments": {
                name: {
                    **exp,
                    "preprocessing_settings": config["preprocessing"][exp["preprocessing"]],
                }
                for name, exp in selected_experiments(config).items()
                if exp["paper"] == paper
            },
            "audit_rule": config["audit"],
        },
    }


@functools.cache
def get_analysis(paper):
    """A paper's analysis beyond the scores (emgrepro/analyses/), if it has one and the
    run has the jobs it reads."""
    own = analyses.get(paper)
    return own.plan(list(JOBS.values()), config) if own else None


def get_analysis_output(paper):
    return [layout.path(layout.ANALYSIS, paper=paper)] if get_analysis(paper) else []


def get_analysis_arguments(paper):
    """``--params`` and one ``--input NAME=PATH`` per file it reads, each quoted."""
    analysis = get_analysis(paper)
    args = ["--params", as_json(analysis.params)]
    for name, path in sorted(analysis.inputs.items()):
        args += ["--input", f"{name}={path}"]
    return shlex.join(args)


def get_final_output():
    out = [layout.SCORES_TABLE, layout.AUDIT_TABLE, layout.CLAIMS_TABLE]
    reports = [*PAPERS, layout.AUDIT_REPORT, layout.CLAIMS_REPORT]
    out += [layout.path(layout.REPORT_HTML, paper=p) for p in reports]
    return out
