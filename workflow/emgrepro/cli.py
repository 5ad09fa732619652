"""Command line: every rule's work, callable by hand outside Snakemake.

Snakemake calls these subcommands with explicit arguments (see each job's log and
``snakemake -p``); ``emgrepro job`` reruns one training job straight from config files.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from pathlib import Path

from emgrepro.errors import EmgreproError
from emgrepro.paths import CONFIG_DIR

log = logging.getLogger("emgrepro")


TRACEBACK_ENV = "EMGREPRO_TRACEBACK"  # set to 1: an unexpected error shows its traceback


class _Parser(argparse.ArgumentParser):
    """Bad arguments get one line (what, and where to look), not the usage block."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def _json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not valid JSON: {e}") from None


def _json_object(text: str) -> dict:
    value = _json(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object ({{...}}), got a {type(value).__name__}; copy the whole "
            "argument from the job's log or `snakemake -p`"
        )
    return value


def _subject_list(text: str) -> list[int]:
    try:
        subjects = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of subject numbers such as 1,2,4"
        ) from None
    return subjects


def _file(text: str) -> str:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return text


def _file_or_folder(text: str) -> str:
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    return text


def _folder(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(
            f"{text}: no such folder (make it first: `snakemake <its files>`)"
        )
    return text


def cmd_synthesize(a: argparse.Namespace) -> None:
    from emgrepro.datasets.synthetic import write_twin

    write_twin(
        a.dataset, Path(a.out), subjects=a.subjects, seed=a.seed, scale=a.scale, sums_out=a.sums
    )
    log.info("wrote the synthetic twin of %s (subjects %s) to %s", a.dataset, a.subjects, a.out)


def cmd_download(a: argparse.Namespace) -> None:
    from emgrepro.fetch.download import download
    from emgrepro.fetch.sources import MANUAL, manual_download_error

    if a.url.startswith(MANUAL):
        raise manual_download_error(a.dataset)
    download(a.url, Path(a.out))


def cmd_fetch(a: argparse.Namespace) -> None:
    from emgrepro.fetch.sources import SourcePlan, fetch_subject

    plan = SourcePlan.from_dict(a.plan)
    files = fetch_subject(plan, Path(a.out), Path(a.lock))
    log.info("%s subject %s: %d raw files verified", plan.dataset, plan.subject, len(files))


def cmd_preprocess(a: argparse.Namespace) -> None:
    from emgrepro.checks import check_preprocessing
    from emgrepro.preprocess.subject import preprocess_subject

    check_preprocessing(a.prep, "--prep")
    n = preprocess_subject(
        a.prep["dataset"], a.subject, Path(a.raw), a.prep, Path(a.signal), Path(a.windows)
    )
    log.info("subject %s: %d windows", a.subject, n)


def _named_files(items: list[str] | None, option: str, missing_hint: str) -> dict[str, Path]:
    """``NAME=PATH`` arguments, each an existing file."""
    named = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise EmgreproError(f"{option} expects NAME=PATH, got '{item}'")
        if not Path(path).is_file():
            raise EmgreproError(f"{option} {item}: no such file; {missing_hint}")
        named[name] = Path(path)
    return named


def cmd_train(a: argparse.Namespace) -> None:
    from emgrepro.evaluation.run import run_job
    from emgrepro.job_plan import JobFiles, JobSpec

    init = _named_files(a.init, "--init", "train that part first")
    files = JobFiles(
        windows=tuple(a.windows),
        signals=tuple(a.signals),
        parent=a.parent_model,
        init={k: str(v) for k, v in init.items()},
        scores=a.scores,
        predictions=a.predictions,
        info=a.info,
        model=a.model_out,
    )
    info = run_job(JobSpec.from_dict(a.spec, "--spec").to_dict(), files, threads=a.threads)
    log.info("job done: %s", json.dumps({k: info[k] for k in ("n_train", "n_val", "n_test")}))


def _check_job_inputs(files, configfiles: list[str]) -> None:
    """The windows (and parent models) a job reads must exist: say which rule makes them."""
    inputs = [*files.windows, *files.signals, *([files.parent] if files.parent else [])]
    inputs += files.init.values()
    missing = [p for p in inputs if not Path(p).is_file()]
    if missing:
        extra = ["--configfile", *configfiles] if configfiles else []
        command = shlex.join(["snakemake", "--cores", "all", *extra, *missing])
        raise EmgreproError(
            f"this job reads {len(missing)} file(s) not made yet, e.g. {missing[0]}; make "
            f"them first, from the repository root: {command}"
        )


def cmd_job(a: argparse.Namespace) -> None:
    """Rerun one training job by hand from the same config files Snakemake used, with the
    files its rule declares (outputs under ``--out-dir``)."""
    from emgrepro.config import load
    from emgrepro.evaluation.run import run_job
    from emgrepro.job_plan import find_job, job_files

    config = load([CONFIG_DIR / "config.yaml", *a.configfile])
    job = find_job(config, a.experiment, a.protocol, a.model, a.fold, a.seed)
    files = job_files(job).under(a.out_dir)
    _check_job_inputs(files, a.configfile)
    info = run_job(job.to_dict(), files, threads=a.threads)
    print(Path(files.scores).read_text())
    log.info("fit took %.2f s", info["fit_seconds"])


def cmd_gather(a: argparse.Namespace) -> None:
    from emgrepro.evaluation.metrics import gather, gather_timings, job_infos
    from emgrepro.evaluation.settings import jobs_table
    from emgrepro.io import write_csv

    if not a.scores:
        raise EmgreproError(
            "no score files given: an empty table would look like a run that computed "
            "nothing; pass the jobs' results/scores/**/*.csv files"
        )
    if (a.timings or a.jobs) and len(a.records) != len(a.scores):
        raise EmgreproError(
            f"--timings and --jobs read each job's record: {len(a.scores)} score files but "
            f"{len(a.records)} --records; pass the results/scores/**/*.json of the same jobs"
        )
    write_csv(gather(a.scores), a.out)
    infos = job_infos(a.records)
    if a.timings:
        write_csv(gather_timings(infos), a.timings)
    if a.jobs:
        write_csv(jobs_table(infos), a.jobs)


def cmd_audit(a: argparse.Namespace) -> None:
    from emgrepro.evaluation.audit import run_audit

    table = run_audit(
        scores_csv=Path(a.scores),
        timings_csv=Path(a.timings) if a.timings else None,
        jobs_csv=Path(a.jobs) if a.jobs else None,
        provenance_json=Path(a.provenance),
        published=[Path(p) for p in a.published],
        out=Path(a.out),
    )
    counts = table["verdict"].value_counts().to_dict()
    log.info("audit: %d published numbers: %s", len(table), counts)


def cmd_analyse(a: argparse.Namespace) -> None:
    """One paper's analysis beyond the scores (emgrepro/analyses/<paper>.py)."""
    from emgrepro import analyses

    module = analyses.get(a.paper)
    if module is None:
        raise EmgreproError(
            f"--paper {a.paper}: no analysis (emgrepro/analyses/ has {analyses.names()})"
        )
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    module.analyse(a.params, _named_files(a.input, "--input", "run its job first"), out)
    log.info("%s analysis: %s", a.paper, ", ".join(sorted(p.name for p in out.iterdir())))


def cmd_claims(a: argparse.Namespace) -> None:
    from emgrepro.evaluation.claims import run_claims

    table = run_claims(
        scores_csv=Path(a.scores),
        provenance_json=Path(a.provenance),
        claims=[Path(p) for p in a.claims],
        out=Path(a.out),
        grid_out=Path(a.grid_out) if a.grid_out else None,
    )
    counts = table["verdict"].value_counts().to_dict()
    log.info("claims: %d claim x dataset rows: %s", len(table), counts)


def cmd_cost_per_result(a: argparse.Namespace) -> None:
    """Per published number: compute seconds spent (job records) and the plan's prediction."""
    import pandas as pd

    from emgrepro.evaluation.metrics import job_infos
    from emgrepro.io import write_csv
    from emgrepro.planning import calibration
    from emgrepro.planning.per_result import cost_per_result, planned_predictor
    from emgrepro.planning.plan import scale_to_here

    predict = None
    try:
        figures = calibration.load(a.calibration or calibration.CALIBRATION_YAML)
    except EmgreproError as e:  # the spent seconds stand without a prediction
        log.warning("no prediction beside the spent seconds: %s", e)
    else:
        scale, where = scale_to_here(figures)
        log.info("prediction: %s", where)
        config = json.loads(Path(a.provenance).read_text())["config"]
        predict = planned_predictor(config, figures, scale)
    table = cost_per_result(pd.read_csv(a.audit), job_infos(a.records), predict)
    write_csv(table, a.out)


def cmd_provenance(a: argparse.Namespace) -> None:
    from emgrepro.provenance import write

    write(a.config, [Path(p) for p in a.inputs], Path(a.out))


def cmd_report(a: argparse.Namespace) -> None:
    from emgrepro.notebook import run_notebook

    run_notebook(Path(a.notebook), a.parameters, Path(a.out_notebook), Path(a.html))


def cmd_papers(a: argparse.Namespace) -> None:
    """Where each paper lives (README table), and anything registered in one place only."""
    from emgrepro.registrations import paper_table, problems

    print(paper_table())
    found = problems()
    if found:
        raise EmgreproError("registration problems:\n  " + "\n  ".join(found))


def cmd_plan(a: argparse.Namespace) -> None:
    """Jobs per paper; with --cost, what the run costs (see emgrepro.planning)."""
    from collections import Counter

    from emgrepro.config import load
    from emgrepro.job_plan import jobs

    config = load([CONFIG_DIR / "config.yaml", *a.configfile])
    source = " ".join(dict.fromkeys(["config/config.yaml", *a.configfile]))
    if not a.cost:
        for paper, n in sorted(Counter(j.paper for j in jobs(config)).items()):
            print(f"{paper}: {n} training jobs")
        return
    from emgrepro.planning import calibration
    from emgrepro.planning.plan import Machine, plan, scale_to_here
    from emgrepro.planning.table import render

    if a.slurm_jobs and (a.cores or a.gpus):
        raise EmgreproError("plan: give --cores/--gpus (a workstation) or --slurm-jobs, not both")
    machine = Machine(cores=a.cores or 1, gpus=a.gpus or 0, slurm_jobs=a.slurm_jobs or 0)
    figures = calibration.load(a.calibration or calibration.CALIBRATION_YAML)
    scale, where = scale_to_here(figures)
    cold = bool(machine.slurm_jobs) or not config.get("warm_start", True)
    p = plan(config, figures, scale, cold=cold)
    p.notes += [
        where,
        "windows per job: the dataset registry's documented recording sizes (config/"
        "datasets.yaml `size`; a synthetic twin's own scale), split by each job's protocol",
        "per job: measured seconds per training and inference window of its model variant, "
        "scaled by its windows and samples per window; memory: the variant's measured "
        "process peak plus the recordings it reads (float32) and, for a network, the "
        "memory its batch holds at the job's batch size (measured per window)",
        "around training: fetch and preprocessing per subject, one report per paper, "
        "Snakemake's measured start and per-job overhead"
        + ("; each job a fresh process (measured start-up)" if cold else ""),
    ]
    if machine.slurm_jobs:
        p.notes.append("Slurm: time in the queue is not included")
    here_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    too_big = Counter(c.paper for c in p.costs if c.memory_mb > here_mb)
    if too_big:
        papers = ", ".join(f"{k} ({n})" for k, n in sorted(too_big.items()))
        p.notes.append(
            f"MEMORY: {sum(too_big.values())} job(s) need more than this machine's "
            f"{here_mb / 1024:,.0f} GiB: {papers}; they cannot run here as configured "
            "(a smaller batch_size lowers a network's peak)"
        )
    other = sum(c.calibrated != "exact" for c in p.costs)
    if other:
        p.notes.append(
            f"{other} job(s) costed from their model's calibration at other hyper-parameters"
        )
    print(render(p, machine, figures, config["device"], source))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="emgrepro", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synthesize", help="write a dataset's synthetic twin")
    s.add_argument("--dataset", required=True)
    s.add_argument("--subjects", type=_subject_list, required=True, help="e.g. 1,2,4")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--scale", type=_json, default={})
    s.add_argument("--out", required=True, help="the twin archive to write (.zip)")
    s.add_argument("--sums", required=True, help="its members' sha256 to write (SHA256SUMS)")
    s.set_defaults(func=cmd_synthesize)

    s = sub.add_parser("download", help="download one archive and check what arrived")
    s.add_argument("--dataset", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_download)

    s = sub.add_parser("fetch", help="extract and verify one subject's raw files")
    s.add_argument("--plan", type=_json_object, required=True, help="source plan (JSON)")
    s.add_argument("--lock", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_fetch)

    s = sub.add_parser("preprocess", help="filter one subject and index its windows")
    s.add_argument("--prep", type=_json_object, required=True, help="preprocessing (JSON)")
    s.add_argument("--subject", type=int, required=True)
    s.add_argument("--raw", type=_folder, required=True, help="the subject's raw files")
    s.add_argument("--signal", required=True, help="filtered signal to write (.npy)")
    s.add_argument("--windows", required=True, help="window index to write (.npz, same folder)")
    s.set_defaults(func=cmd_preprocess)

    s = sub.add_parser("train", help="run one job from its spec")
    s.add_argument("--spec", type=_json_object, required=True, help="job spec (JSON)")
    s.add_argument(
        "--windows", nargs="+", type=_file, required=True,
        help="windows.npz of each subject the job's split reads",
    )  # fmt: skip
    s.add_argument(
        "--signals", nargs="+", type=_file, required=True,
        help="signal.npy of each of those subjects, in the same order",
    )  # fmt: skip
    s.add_argument("--scores", required=True)
    s.add_argument("--predictions", required=True)
    s.add_argument("--info", required=True, help="the job's record (JSON)")
    s.add_argument("--model-out", required=True, help="where to save the trained model")
    s.add_argument(
        "--parent-model", type=_file, help="model this job starts from (few-shot, incremental)"
    )
    s.add_argument(
        "--init", action="append", metavar="PART=PATH", help="pre-trained part to load first"
    )
    s.add_argument("--threads", type=int, default=1, help="CPU threads (torch and BLAS)")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("job", help="rerun one training job from config files")
    s.add_argument("--configfile", nargs="*", default=[], help="config files after config.yaml")
    s.add_argument("--experiment", required=True)
    s.add_argument("--protocol", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--fold", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out-dir", default="results/rerun")
    s.add_argument("--threads", type=int, default=1, help="CPU threads (torch and BLAS)")
    s.set_defaults(func=cmd_job)

    s = sub.add_parser("gather", help="concatenate per-job scores into one tidy table")
    s.add_argument("--out", required=True)
    s.add_argument("--timings", help="also write the jobs' training times here (CSV)")
    s.add_argument("--jobs", help="also write one row per job with its settings here (CSV)")
    s.add_argument(
        "--records", nargs="+", type=_file, default=[], help="the jobs' records (JSON), for both"
    )
    s.add_argument("scores", nargs="*", type=_file, help="the jobs' score files (CSV)")
    s.set_defaults(func=cmd_gather)

    s = sub.add_parser("audit", help="judge every published number against the scores")
    s.add_argument("--scores", type=_file, required=True)
    s.add_argument("--timings", type=_file, help="training times (results/timings.csv)")
    s.add_argument("--jobs", help="jobs and their settings (results/jobs.csv)")
    s.add_argument(
        "--provenance", type=_file, required=True, help="the run's provenance.json (its config)"
    )
    s.add_argument("--out", required=True)
    s.add_argument(
        "published", nargs="+", type=_file, help="config/papers/<paper>.published.csv files"
    )
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("analyse", help="one paper's analysis beyond the scores, for its report")
    s.add_argument("--paper", required=True)
    s.add_argument("--params", type=_json_object, required=True, help="its parameters (JSON)")
    s.add_argument("--input", action="append", metavar="NAME=PATH", help="a file it reads")
    s.add_argument("--out-dir", required=True)
    s.set_defaults(func=cmd_analyse)

    s = sub.add_parser("claims", help="judge every paper's comparative claims on the scores")
    s.add_argument("--scores", type=_file, required=True)
    s.add_argument(
        "--provenance", type=_file, required=True, help="the run's provenance.json (its config)"
    )
    s.add_argument("--out", required=True)
    s.add_argument("--grid-out", help="the claim experiments' models over datasets (CSV)")
    s.add_argument("claims", nargs="*", type=_file, help="config/papers/<paper>.claims.csv files")
    s.set_defaults(func=cmd_claims)

    s = sub.add_parser("cost-per-result", help="compute seconds per published number")
    s.add_argument("--audit", type=_file, required=True, help="results/audit.csv")
    s.add_argument(
        "--provenance", type=_file, required=True, help="the run's provenance.json (its config)"
    )
    s.add_argument(
        "--calibration", type=_file, default=None, help="calibration file (default: config/)"
    )
    s.add_argument("--out", required=True)
    s.add_argument("records", nargs="*", type=_file, help="the jobs' records (JSON)")
    s.set_defaults(func=cmd_cost_per_result)

    s = sub.add_parser("provenance", help="record config, input hashes, versions, commit")
    s.add_argument("--config", type=_json, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("inputs", nargs="*", type=_file_or_folder, help="raw files or folders")
    s.set_defaults(func=cmd_provenance)

    s = sub.add_parser("plan", help="jobs per paper; with --cost, hours, memory, wall time")
    s.add_argument("--configfile", nargs="*", default=[], help="config files after config.yaml")
    s.add_argument("--cost", action="store_true", help="cost the run (config/cost_calibration)")
    s.add_argument("--cores", type=int, help="workstation: cores (snakemake --cores)")
    s.add_argument("--gpus", type=int, help="workstation: GPUs")
    s.add_argument("--slurm-jobs", type=int, help="cluster: jobs running at a time")
    s.add_argument("--calibration", default=None, help="calibration file (default: config/)")
    s.set_defaults(func=cmd_plan)

    s = sub.add_parser("papers", help="where each paper lives; registration problems")
    s.set_defaults(func=cmd_papers)

    s = sub.add_parser("report", help="execute a report notebook and export HTML")
    s.add_argument("--notebook", type=_file, required=True)
    s.add_argument("--parameters", type=_json_object, default={})
    s.add_argument("--out-notebook", required=True)
    s.add_argument("--html", required=True)
    s.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    args = build_parser().parse_args(argv)
    log.info("emgrepro %s", shlex.join(sys.argv[1:] if argv is None else argv))
    try:
        args.func(args)
    except EmgreproError as e:
        print(f"emgrepro {args.command}: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - a safety net: no input should reach it
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(
            f"emgrepro {args.command}: error: {type(e).__name__}: {e} (unexpected: check the "
            f"arguments; rerun with {TRACEBACK_ENV}=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return 3
    return 0
