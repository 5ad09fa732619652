"""Configuration: schema validation with defaults, name checks, and the job list.

The Snakefile and the command line share these functions, so a job rerun by hand sees
exactly the parameters Snakemake gave it.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from emgrepro.datasets.registry import DatasetInfo, get_dataset
from emgrepro.errors import ConfigError
from emgrepro.paths import SCHEMA_YAML

SYNTHETIC = "synthetic"


def _with_defaults(validator_class):
    validate_props = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _fill_additional(schema: dict, instance: Any) -> None:
    """Apply defaults inside ``additionalProperties`` objects (named entries)."""
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if name in instance:
            _fill_additional(sub, instance[name])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        known = set(schema.get("properties", {}))
        for key, value in instance.items():
            if key not in known:
                if isinstance(value, dict):
                    _with_defaults(jsonschema.Draft202012Validator)(extra).validate(value)
                _fill_additional(extra, value)


def _drop_nulls(config: dict) -> None:
    """A protocol or model set to null is left out of the run: an override file cannot
    delete keys of the config it extends, but it can null them."""
    experiments = config.get("experiments")
    if not isinstance(experiments, dict):
        return
    for exp in experiments.values():
        for key in ("protocols", "models"):
            entries = exp.get(key) if isinstance(exp, dict) else None
            if isinstance(entries, dict):
                for name in [n for n, v in entries.items() if v is None]:
                    del entries[name]


def validate(config: dict, schema_path: Path = SCHEMA_YAML) -> dict:
    """Validate ``config`` in place against the schema, filling defaults."""
    _drop_nulls(config)
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:10]:
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"  at '{where}': {err.message}")
        raise ConfigError(
            "the configuration breaks the schema ("
            + str(schema_path)
            + "):\n"
            + "\n".join(lines)
            + "\nFix these keys; every key is described in config/schema.yaml."
        )
    _fill_additional(schema, config)
    check_names(config)
    return config


def load(paths: list[str | Path]) -> dict:
    """Merge config files left to right (later keys win, as Snakemake does) and validate."""
    merged: dict = {}
    for p in paths:
        data = yaml.safe_load(Path(p).read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: a config file must hold a mapping of keys")
        _merge(merged, data)
    return validate(merged)


def _merge(into: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v)


def check_names(config: dict) -> None:
    """Every dataset, model, protocol, paper and subject named must exist."""
    from emgrepro.models import MODELS
    from emgrepro.protocols import PROTOCOLS

    for key in ("sources", "subjects"):
        for ds in config[key]:
            get_dataset(ds)  # raises ConfigError for unknown ids
    for ds, subs in config["subjects"].items():
        get_dataset(ds).check_subjects(subs, where=f"subjects/{ds}")
    for name, prep in config["preprocessing"].items():
        try:
            get_dataset(prep["dataset"])
        except ConfigError as e:
            raise ConfigError(f"preprocessing/{name}/dataset: {e}") from None
    papers = {e["paper"] for e in config["experiments"].values()}
    unknown = sorted(set(config["papers"]) - papers)
    if unknown:
        raise ConfigError(
            f"papers: unknown paper id(s) {unknown}; the experiments define {sorted(papers)}"
        )
    for name, exp in config["experiments"].items():
        where = f"experiments/{name}"
        if exp["preprocessing"] not in config["preprocessing"]:
            raise ConfigError(
                f"{where}/preprocessing: unknown preprocessing '{exp['preprocessing']}'; "
                f"defined: {sorted(config['preprocessing'])}"
            )
        for p in exp["protocols"]:
            PROTOCOLS.get(p, where=f"{where}/protocols")
        for m in exp["models"]:
            MODELS.get(m, where=f"{where}/models")
        info = get_dataset(config["preprocessing"][exp["preprocessing"]]["dataset"])
        bad = sorted(set(exp["classes"]) - set(info.classes or _all_labels(info)))
        if bad:
            raise ConfigError(f"{where}/classes: movement id(s) {bad} do not exist in {info.id}")


def _all_labels(info: DatasetInfo) -> list[int]:
    return list(range(0, sum(info.exercises.values()) + 1))


def selected_experiments(config: dict) -> dict[str, dict]:
    papers = set(config["papers"])
    return {
        name: exp
        for name, exp in config["experiments"].items()
        if not papers or exp["paper"] in papers
    }


def experiment_dataset(config: dict, experiment: str) -> str:
    exp = config["experiments"][experiment]
    return config["preprocessing"][exp["preprocessing"]]["dataset"]


def dataset_subjects(config: dict, dataset: str) -> list[int]:
    """Subjects of ``dataset`` in this run: the config's choice, the twin's, or all."""
    if dataset in config["subjects"]:
        return sorted(config["subjects"][dataset])
    info = get_dataset(dataset)
    if is_synthetic(config, dataset):
        n = config["synthetic"]["subjects"].get(dataset, len(info.subjects))
        return list(info.subjects[:n])
    return list(info.subjects)


def is_synthetic(config: dict, dataset: str) -> bool:
    return config["sources"].get(dataset) == SYNTHETIC


def used_datasets(config: dict) -> list[str]:
    return sorted({experiment_dataset(config, e) for e in selected_experiments(config)})


@dataclass
class JobSpec:
    """Everything one training/evaluation job needs, serialisable to JSON."""

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
    threads: int = 1
    data: str = "real"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def jobs(config: dict) -> list[JobSpec]:
    """Every (experiment, protocol, model, fold, seed) job of the selected papers."""
    from emgrepro.protocols import PROTOCOLS

    out = []
    for name, exp in selected_experiments(config).items():
        dataset = experiment_dataset(config, name)
        subjects = dataset_subjects(config, dataset)
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
                                device=config["device"],
                                threads=config["threads_per_job"],
                                data="synthetic" if is_synthetic(config, dataset) else "real",
                                extra=copy.deepcopy(extra),
                            )
                        )
    return out


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
    schema = yaml.safe_load(SCHEMA_YAML.read_text())
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


def init_model_paths(job: JobSpec) -> dict[str, str]:
    """Checkpoints of the pre-trained parts a job loads, by part name."""
    return {
        part: model_path(r["experiment"], r["protocol"], r["model"], r["fold"], job.seed)
        for part, r in job.extra.get("init", {}).items()
    }


def parent_model_path(job: JobSpec) -> str | None:
    parent = job.extra.get("parent")
    if not parent:
        return None
    return model_path(parent["experiment"], parent["protocol"], job.model, parent["fold"], job.seed)


def model_path(experiment: str, protocol: str, model: str, fold: str, seed: int) -> str:
    return f"results/models/{experiment}/{protocol}/{model}/fold-{fold}_seed-{seed}.pt"


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
