"""The job plan: every (experiment, protocol, model, fold, seed) job of a configuration,
and the one list of files each job reads and writes, for the rules and the command line
alike."""

from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path

from emgrepro import layout
from emgrepro.datasets.registry import dataset_subjects, is_synthetic
from emgrepro.errors import ConfigError
from emgrepro.schema import read_schema
from emgrepro.selection import experiment_dataset, selected_experiments


@dataclass
class JobSpec:
    """Everything one training/evaluation job needs, serialisable to JSON.

    The job's thread count is not part of it: threads change speed, never results."""

    paper: str
    experiment: str
    dataset: str
    preprocessing: str
    protocol: str
    protocol_params: dict
    model: str
    model_params: dict
    fold: str
    seed: int
    classes: list[int]
    subjects: list[int]
    training: dict
    device: str = "auto"
    data: str = "real"
    window: dict = field(default_factory=dict)  # the preprocessing settings, for the record
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict, arg: str = "--spec") -> JobSpec:
        """A spec from the command line: a missing or unknown key is named."""
        from emgrepro.models import MODELS
        from emgrepro.records import from_dict

        job = from_dict(cls, spec, arg)
        MODELS.get(job.model)  # an unknown model is named, with the known ones
        if job.device != "cpu" and not uses_gpu(job.model):
            raise ConfigError(
                f"{arg}: model '{job.model}' declares no GPU use (it runs on the CPU only), "
                f"so its device must be 'cpu', not '{job.device}'"
            )
        return job


def jobs(config: dict) -> list[JobSpec]:
    """Every (experiment, protocol, model, fold, seed) job of the selected papers."""
    from emgrepro.protocols import PROTOCOLS

    out = []
    for name, exp in selected_experiments(config).items():
        dataset = experiment_dataset(config, name)
        subjects = dataset_subjects(config, dataset)
        prep = config["preprocessing"][exp["preprocessing"]]
        for proto, pparams in exp["protocols"].items():
            protocol = PROTOCOLS.get(proto)
            for fold in protocol.folds(subjects, pparams):
                parent = _parent(config, name, protocol, str(fold), pparams)
                for model, mparams in exp["models"].items():
                    mparams = dict(mparams)
                    init = _init_parts(config, name, proto, str(fold), model, mparams)
                    training = _model_training(config, name, model, mparams)
                    extra = {"parent": parent} if parent else {}
                    if init:
                        extra["init"] = init
                    for seed in exp["seeds"]:
                        out.append(
                            JobSpec(
                                paper=exp["paper"],
                                experiment=name,
                                dataset=dataset,
                                preprocessing=exp["preprocessing"],
                                protocol=proto,
                                protocol_params=pparams,
                                model=model,
                                model_params=mparams,
                                fold=str(fold),
                                seed=int(seed),
                                classes=list(exp["classes"]),
                                subjects=subjects,
                                training=training,
                                # a model that cannot use a GPU runs on the CPU, whatever
                                # the run's device (its declared capability decides)
                                device=config["device"] if uses_gpu(model) else "cpu",
                                data="synthetic" if is_synthetic(config, dataset) else "real",
                                window=copy.deepcopy(prep),
                                extra=copy.deepcopy(extra),
                            )
                        )
    return out


def uses_gpu(model: str) -> bool:
    """Whether a model can train on a GPU (its declaration): decides its device and whether
    its job asks the scheduler for one."""
    from emgrepro.models import MODELS

    return bool(MODELS.get(model).uses_gpu)


def _parent(config: dict, experiment: str, protocol, fold: str, params: dict) -> dict | None:
    """The job a protocol starts from (same model and seed), with its classes."""
    parent = protocol.parent(fold, params)
    if parent is None:
        return None
    base = parent.get("experiment") or experiment
    where = f"experiments/{experiment}/protocols/{protocol.name}"
    if base not in config["experiments"]:
        raise ConfigError(f"{where}: base experiment '{base}' is not defined")
    if parent["protocol"] not in config["experiments"][base]["protocols"]:
        raise ConfigError(
            f"{where}: starts from protocol '{parent['protocol']}' of '{base}', "
            "which that experiment does not run"
        )
    return {**parent, "experiment": base, "classes": list(config["experiments"][base]["classes"])}


@functools.cache
def _training_keys() -> frozenset[str]:
    schema = read_schema()
    exp = schema["properties"]["experiments"]["additionalProperties"]["properties"]
    return frozenset(exp["training"]["properties"])


def _model_training(config: dict, experiment: str, model: str, mparams: dict) -> dict:
    """The experiment's training settings with the model's own ``training`` overrides."""
    own = mparams.pop("training", None) or {}
    allowed = _training_keys()
    unknown = sorted(set(own) - allowed)
    if unknown:
        raise ConfigError(
            f"experiments/{experiment}/models/{model}/training: unknown key(s) {unknown}; "
            f"known: {sorted(allowed)}"
        )
    return {**config["experiments"][experiment]["training"], **own}


def _init_parts(
    config: dict, experiment: str, protocol: str, fold: str, model: str, mparams: dict
) -> dict:
    """Resolve a model's ``init_from`` (part -> job whose trained model it starts from).

    Missing keys default to the job's own experiment, protocol and fold; the referenced
    job must exist in the run. ``init_from`` is removed from the model parameters.
    """
    from emgrepro.protocols import PROTOCOLS

    refs = mparams.pop("init_from", None) or {}
    where = f"experiments/{experiment}/models/{model}/init_from"
    parts = {}
    for part, ref in refs.items():
        ref = {"experiment": experiment, "protocol": protocol, "fold": fold, **ref}
        if "model" not in ref:
            raise ConfigError(f"{where}/{part}: name the `model` whose checkpoint it loads")
        exp = config["experiments"].get(ref["experiment"])
        if exp is None:
            raise ConfigError(f"{where}/{part}: unknown experiment '{ref['experiment']}'")
        if ref["protocol"] not in exp["protocols"] or ref["model"] not in exp["models"]:
            raise ConfigError(
                f"{where}/{part}: experiment '{ref['experiment']}' does not run "
                f"{ref['protocol']}/{ref['model']}"
            )
        subjects = dataset_subjects(config, experiment_dataset(config, ref["experiment"]))
        folds = PROTOCOLS.get(ref["protocol"]).folds(subjects, exp["protocols"][ref["protocol"]])
        if str(ref["fold"]) not in folds:
            raise ConfigError(
                f"{where}/{part}: {ref['experiment']}/{ref['protocol']} has no fold "
                f"'{ref['fold']}' (folds: {folds[:6]}{' ...' if len(folds) > 6 else ''})"
            )
        parts[part] = {k: str(ref[k]) for k in ("experiment", "protocol", "model", "fold")}
    return parts


def checkpoint_path(experiment: str, protocol: str, model: str, fold: str, seed) -> str:
    """A job's model checkpoint, named by its model's kind (``.pt`` or ``.skops``)."""
    from emgrepro.models import MODELS

    ids = dict(experiment=experiment, protocol=protocol, model=model, fold=fold, seed=seed)
    pattern = layout.CLASSICAL_MODEL if MODELS.get(model).checkpoint == ".skops" else layout.MODEL
    return layout.path(pattern, **ids)


@dataclass(frozen=True)
class JobFiles:
    """Every file one job reads and writes: the rule declares them, the command line takes
    them as named arguments, and a job rerun by hand uses the same list."""

    windows: tuple[str, ...]  # one index per subject the job's split reads, in order
    signals: tuple[str, ...]  # the filtered signal each index points into, same order
    parent: str | None  # the model a few-shot or incremental job starts from
    init: dict[str, str]  # pre-trained parts it loads, by part
    scores: str
    predictions: str
    info: str
    model: str

    def inputs(self) -> dict[str, object]:
        """Named inputs for Snakemake's ``unpack``."""
        named: dict[str, object] = {"windows": list(self.windows), "signals": list(self.signals)}
        if self.parent:
            named["parent"] = self.parent
        named.update({f"init_{part}": path for part, path in sorted(self.init.items())})
        return named

    def outputs(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("scores", "predictions", "info", "model")}

    def under(self, folder: str) -> JobFiles:
        """The same inputs, the outputs as ``folder/<job>.<suffix>`` (a job rerun by hand
        beside the run's own results)."""
        moved = {k: f"{folder}/{Path(*Path(v).parts[2:])}" for k, v in self.outputs().items()}
        return dataclasses.replace(self, **moved)

    def input_arguments(self) -> list[str]:
        """The inputs as the ``train`` command's named arguments."""
        args = ["--windows", *self.windows, "--signals", *self.signals]
        if self.parent:
            args += ["--parent-model", self.parent]
        for part, path in sorted(self.init.items()):
            args += ["--init", f"{part}={path}"]
        return args

    def output_arguments(self) -> list[str]:
        out = self.outputs()
        return [
            "--scores", out["scores"], "--predictions", out["predictions"],
            "--info", out["info"], "--model-out", out["model"],
        ]  # fmt: skip


def job_files(job: JobSpec) -> JobFiles:
    """The files of one job: the windows of the subjects its protocol's split reads, the
    checkpoints it starts from, and its outputs."""
    from emgrepro.protocols import PROTOCOLS

    needed = PROTOCOLS.get(job.protocol).subjects_needed(
        job.fold, job.subjects, job.protocol_params
    )
    ids = {k: getattr(job, k) for k in layout.JOB_KEYS}
    parent = job.extra.get("parent")
    init = job.extra.get("init", {})
    return JobFiles(
        windows=tuple(
            layout.path(layout.WINDOWS, prep=job.preprocessing, subject=s) for s in needed
        ),
        signals=tuple(
            layout.path(layout.SIGNAL, prep=job.preprocessing, subject=s) for s in needed
        ),
        parent=checkpoint_path(
            parent["experiment"], parent["protocol"], job.model, parent["fold"], job.seed
        )
        if parent
        else None,
        init={
            part: checkpoint_path(r["experiment"], r["protocol"], r["model"], r["fold"], job.seed)
            for part, r in init.items()
        },
        scores=layout.path(layout.SCORES, **ids),
        predictions=layout.path(layout.PREDICTIONS, **ids),
        info=layout.path(layout.JOB_INFO, **ids),
        model=checkpoint_path(**ids),
    )


def find_job(config: dict, experiment: str, protocol: str, model: str, fold: str, seed: int):
    for job in jobs(config):
        if (job.experiment, job.protocol, job.model, job.fold, job.seed) == (
            experiment,
            protocol,
            model,
            str(fold),
            int(seed),
        ):
            return job
    raise ConfigError(
        f"no job {experiment}/{protocol}/{model}/fold-{fold}/seed-{seed} in this configuration"
    )
