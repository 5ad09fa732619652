"""Every file the workflow writes, relative to the folder it runs in: one place for the
rules, the command line and the package.

Patterns hold Snakemake wildcards (``{dataset}``, ``{subject}``, ...); ``path(PATTERN,
**values)`` fills them in.
"""

from __future__ import annotations

import re

# raw data
TWIN_ARCHIVE = "resources/synthetic/{dataset}.zip"
TWIN_SUMS = "resources/synthetic/{dataset}.SHA256SUMS"
DOWNLOAD = "resources/downloads/{dataset}/{archive}"
RAW = "resources/raw/{dataset}/sub-{subject}"

# preprocessed windows
WINDOWS_ROOT = "results/windows/{prep}"
SIGNAL = WINDOWS_ROOT + "/sub-{subject}/signal.npy"
WINDOWS = WINDOWS_ROOT + "/sub-{subject}/windows.npz"

# one training job
JOB = "{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}"
JOB_KEYS = ("experiment", "protocol", "model", "fold", "seed")
SCORES = "results/scores/" + JOB + ".csv"
PREDICTIONS = "results/scores/" + JOB + ".npz"
JOB_INFO = "results/scores/" + JOB + ".json"
MODEL = "results/models/" + JOB + ".pt"  # PyTorch models
CLASSICAL_MODEL = "results/models/" + JOB + ".skops"  # scikit-learn models

# analyses beyond the scores, for a paper's report (emgrepro/analyses/)
ANALYSIS = "results/analysis/{paper}"

# tables, reports
SCORES_TABLE = "results/scores.csv"
TIMINGS_TABLE = "results/timings.csv"
JOBS_TABLE = "results/jobs.csv"
PROVENANCE = "results/provenance.json"
AUDIT_TABLE = "results/audit.csv"
CLAIMS_TABLE = "results/claims.csv"
GRID_TABLE = "results/grid.csv"  # the claim experiments' models over datasets
COST_PER_RESULT = "results/cost_per_result.csv"
REPORT_NOTEBOOK = "results/reports/{paper}.ipynb"
REPORT_HTML = "results/reports/{paper}.html"
FIGURES = "results/figures/{paper}"
AUDIT_REPORT = "audit"  # the {paper} of the audit's own report
CLAIMS_REPORT = "claims"  # the {paper} of the claims' report

# logs, and Snakemake's measurement of each job (wall time, peak memory: bench/job_resources.py)
TRAIN_LOG = "logs/train/" + JOB + ".log"
PREPROCESS_LOG = "logs/preprocess/{prep}/sub-{subject}.log"
TRAIN_BENCHMARK = "benchmarks/train/" + JOB + ".tsv"
PREPROCESS_BENCHMARK = "benchmarks/preprocess/{prep}/sub-{subject}.tsv"
REPORT_BENCHMARK = "benchmarks/report/{paper}.tsv"


def path(pattern: str, **values: object) -> str:
    """``pattern`` with its wildcards filled in."""
    return pattern.format(**values)


def match(pattern: str, path: str) -> dict[str, str] | None:
    """The wildcard values of ``path`` if it has the form of ``pattern``, else None."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
    found = re.fullmatch(regex, str(path))
    return found.groupdict() if found else None
