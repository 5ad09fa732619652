"""Configuration: each paper's own file, the run's settings on top, schema validation with
defaults, declared-parameter checks, and the job list.

A run's configuration is built in layers, later ones winning:

1. every ``config/papers/<paper>.yaml`` (its preprocessing and experiments: the paper's
   reference settings);
2. with ``demo: true``, each paper's ``demo`` section;
3. the config files of the run (``config/config.yaml``, then any ``--configfile``).

The Snakefile and the command line share these functions, so a job rerun by hand sees
exactly the parameters Snakemake gave it.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from emgrepro import layout
from emgrepro.datasets.registry import (
    DatasetInfo,
    dataset_subjects,
    get_dataset,
    is_synthetic,
)
from emgrepro.datasets.synthetic import twin_module
from emgrepro.errors import ConfigError
from emgrepro.fetch.sources import check_subject_urls, needed_exercises
from emgrepro.params import parse
from emgrepro.paths import PAPERS_DIR, SCHEMA_YAML, published_csv

__all__ = [
    "JobSpec",
    "command_line_overrides",
    "dataset_subjects",
    "find_job",
    "is_synthetic",
    "jobs",
    "load",
    "prepare",
    "read_yaml",
    "validate",
]


# ----------------------------------------------------------------------------- files


def read_yaml(path: Path | str) -> Any:
    """A YAML file's data; a syntax error names the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{where}: not valid YAML ({problem})") from None


def _yaml_scalar(text: str) -> Any:
    """``text`` as a YAML file would read it, if that is a number, boolean or null."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if value is None or isinstance(value, bool | int | float) else text


def command_line_overrides(overrides: Any) -> Any:
    """Snakemake's ``--config`` values typed as the same YAML in a config file would be.

    Snakemake reads a structured ``--config`` value with YAML's BaseLoader, which keeps every
    nested scalar a string (``subjects={khushaba_2ch: [1, 2]}`` gives ``["1", "2"]``).
    """
    if isinstance(overrides, Mapping):
        return {k: command_line_overrides(v) for k, v in overrides.items()}
    if isinstance(overrides, list | tuple):
        return [command_line_overrides(v) for v in overrides]
    return _yaml_scalar(overrides) if isinstance(overrides, str) else overrides


def _plain(data: Any) -> Any:
    """A copy without YAML aliases: an override of one aliased entry must not change the
    others."""
    return json.loads(json.dumps(data))


@functools.cache
def _schema(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text())


@functools.cache
def paper_files(papers_dir: str = str(PAPERS_DIR)) -> dict[str, dict]:
    """Every paper's file, validated against the paper schema, by paper id."""
    schema = _schema(str(SCHEMA_YAML))
    paper_schema = {**schema["$defs"]["paper"], "$defs": schema["$defs"]}
    out = {}
    for path in sorted(Path(papers_dir).glob("*.yaml")):
        data = _plain(read_yaml(path) or {})
        _validate_schema(data, paper_schema, str(path))
        out[path.stem] = data
    return out


def _validate_schema(instance: Any, schema: dict, name: str) -> None:
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:10]:
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"  at '{where}': {err.message}")
        raise ConfigError(
            f"{name} breaks the schema ({SCHEMA_YAML}):\n"
            + "\n".join(lines)
            + "\nFix these keys; every key is described in config/schema.yaml."
        )


# ----------------------------------------------------------------------------- layers


def _merge(into: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _paper_layer(user: dict, papers: dict[str, dict]) -> dict:
    """Preprocessing and experiments of every paper file (with demo sections if asked)."""
    base: dict = {"preprocessing": {}, "experiments": {}}
    origin: dict[str, str] = {}
    for pid, data in papers.items():
        for name, prep in data["preprocessing"].items():
            if name in base["preprocessing"] and base["preprocessing"][name] != prep:
                raise ConfigError(
                    f"preprocessing '{name}' is defined differently in config/papers/"
                    f"{origin[name]}.yaml and config/papers/{pid}.yaml; give one of them "
                    "another name"
                )
            base["preprocessing"][name], origin[name] = copy.deepcopy(prep), pid
        for name, exp in data["experiments"].items():
            if name in base["experiments"]:
                raise ConfigError(
                    f"experiment '{name}' is defined in config/papers/"
                    f"{base['experiments'][name]['paper']}.yaml and config/papers/{pid}.yaml"
                )
            base["experiments"][name] = {**copy.deepcopy(exp), "paper": pid}
    if user.get("demo"):
        for pid, data in papers.items():
            demo = data.get("demo") or {}
            for key in ("preprocessing", "experiments"):
                for name, override in (demo.get(key) or {}).items():
                    if name not in base[key]:
                        raise ConfigError(
                            f"config/papers/{pid}.yaml demo/{key}: unknown {key} entry '{name}'"
                            + _suggest(name, sorted(base[key]))
                        )
                    _merge(base[key][name], override)
    return base


def _check_user_experiments(user: dict, known: dict) -> None:
    """An override of an experiment that no paper defines is a typo unless it is a whole
    new experiment (one that names its paper)."""
    for name, exp in (user.get("experiments") or {}).items():
        if name not in known and not (isinstance(exp, dict) and "paper" in exp):
            raise ConfigError(
                f"experiments/{name}: no paper defines this experiment{_suggest(name, list(known))}"
                "; a new experiment must name its `paper`"
            )


def _drop_nulls(config: dict) -> None:
    """An experiment, protocol or model set to null is left out of the run: an override
    file cannot delete keys of the config it extends, but it can null them."""
    experiments = config.get("experiments")
    if not isinstance(experiments, dict):
        return
    for name in [n for n, e in experiments.items() if e is None]:
        del experiments[name]
    for exp in experiments.values():
        for key in ("protocols", "models"):
            entries = exp.get(key) if isinstance(exp, dict) else None
            if isinstance(entries, dict):
                for name in [n for n, v in entries.items() if v is None]:
                    del entries[name]


def resolve(user: dict, papers_dir: Path | str = PAPERS_DIR) -> dict:
    """The run's configuration: paper files, demo sections, then the user's keys."""
    papers = paper_files(str(papers_dir))
    user = _plain(user)
    base = _paper_layer(user, papers)
    _check_user_experiments(user, base["experiments"])
    config = copy.deepcopy(base)
    _merge(config, {k: v for k, v in user.items() if k != "paper_info"})
    _drop_nulls(config)
    config["paper_info"] = {
        pid: {
            "title": " ".join(data["title"].split()),
            "citation": " ".join(data["citation"].split()),
            "doi": data["doi"],
            "status": data["status"],
            "published": data["published"],
            "source_document": data.get("source_document", ""),
            "audit": data["audit"],
            "published_csv": str(published_csv(pid, Path(papers_dir))),
            "reference": {
                "preprocessing": base_reference(papers, pid, "preprocessing"),
                "experiments": base_reference(papers, pid, "experiments"),
            },
        }
        for pid, data in papers.items()
    }
    return config


def base_reference(papers: dict[str, dict], pid: str, key: str) -> dict:
    """A paper's own settings (no demo, no overrides): what its numbers are judged by."""
    return copy.deepcopy(papers[pid][key])


# ----------------------------------------------------------------------------- schema


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


def validate(config: dict, schema_path: Path = SCHEMA_YAML) -> dict:
    """Validate a resolved ``config`` in place: schema (filling defaults), names, and every
    model's and protocol's declared parameters."""
    _drop_nulls(config)
    schema = {k: v for k, v in _schema(str(schema_path)).items() if k != "$defs"}
    _validate_schema(config, schema, "the configuration")
    _fill_additional(schema, config)
    check_names(config)
    check_parameters(config)
    check_plan(config)
    return config


def load(paths: list[str | Path], papers_dir: Path | str = PAPERS_DIR) -> dict:
    """Merge config files left to right (later keys win, as Snakemake does), lay them over
    the paper files and validate."""
    merged: dict = {}
    for p in paths:
        data = read_yaml(p) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: a config file must hold a mapping of keys")
        _merge(merged, data)
    return validate(resolve(merged, papers_dir))


def prepare(config: dict) -> dict:
    """Snakemake's ``config`` (the run's files, merged by Snakemake) resolved in place."""
    resolved = validate(resolve(config))
    config.clear()
    config.update(resolved)
    return config


# ----------------------------------------------------------------------------- checks


def check_names(config: dict) -> None:
    """Every dataset, model, protocol, paper and subject named must exist."""
    from emgrepro.models import MODELS
    from emgrepro.protocols import PROTOCOLS

    for key in ("preprocessing", "experiments"):
        for name in config[key]:
            _check_name(name, f"{key}/{name}")
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
    papers = set(config["paper_info"])
    unknown = sorted(set(config["papers"]) - papers)
    if unknown:
        raise ConfigError(
            f"papers: unknown paper id(s) {unknown}; the papers are {sorted(papers)} "
            "(config/papers/<paper>.yaml)"
        )
    for name, exp in config["experiments"].items():
        where = f"experiments/{name}"
        if exp["paper"] not in papers:
            raise ConfigError(f"{where}/paper: unknown paper '{exp['paper']}'")
        if exp["preprocessing"] not in config["preprocessing"]:
            raise ConfigError(
                f"{where}/preprocessing: unknown preprocessing '{exp['preprocessing']}'"
                f"{_suggest(exp['preprocessing'], list(config['preprocessing']))}; "
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


def check_parameters(config: dict) -> None:
    """Every protocol's and model's parameters against their declarations, and every
    protocol's requirements against the models' capabilities: at plan time."""
    from emgrepro.models import INITIALISE, MODELS, capabilities, model_parameters
    from emgrepro.protocols import PROTOCOLS

    for name, exp in selected_experiments(config).items():
        where = f"experiments/{name}"
        for proto, values in exp["protocols"].items():
            PROTOCOLS.get(proto).params(values, f"{where}/protocols/{proto}")
        for model, values in exp["models"].items():
            mwhere = f"{where}/models/{model}"
            hyper = {k: v for k, v in values.items() if k not in ("training", "init_from")}
            parse(model_parameters(model), hyper, mwhere)
            MODELS.get(model).check_params(hyper, mwhere)
            caps = capabilities(MODELS.get(model))
            if values.get("init_from") and INITIALISE not in caps:
                raise ConfigError(f"{mwhere}/init_from: model '{model}' cannot load parts")
            for proto in exp["protocols"]:
                missing = sorted(PROTOCOLS.get(proto).requires - caps)
                if missing:
                    raise ConfigError(
                        f"{where}: protocol '{proto}' needs models that can "
                        f"{', '.join(missing)}; '{model}' cannot (drop it from this "
                        "experiment or use another protocol)"
                    )


SAFE_NAME = re.compile(r"[A-Za-z0-9_]+")  # names become folder names and wildcards


def _check_name(name: str, where: str) -> None:
    if not SAFE_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: the name '{name}' may hold only letters, digits and '_' (it becomes "
            "a folder name and a Snakemake wildcard); rename it"
        )


def _check_windows(name: str, prep: dict) -> None:
    fs = get_dataset(prep["dataset"]).fs
    for key in ("length_ms", "step_ms"):
        ms = prep["window"][key]
        if round(ms * fs / 1000.0) < 1:
            raise ConfigError(
                f"preprocessing/{name}/window/{key}: {ms} ms at {fs:g} Hz "
                f"({prep['dataset']}) is less than one sample; use at least {1000 / fs:g} ms"
            )


def _check_repetitions(params: Any, info: DatasetInfo, where: str) -> None:
    """Every ``*_repetitions`` of a protocol must exist in the dataset."""
    if not info.repetitions or not dataclasses.is_dataclass(params):
        return
    for f in dataclasses.fields(params):
        if f.name.endswith("_repetitions"):
            bad = sorted(set(getattr(params, f.name)) - set(info.repetitions))
            if bad:
                raise ConfigError(
                    f"{where}/{f.name}: repetition(s) {bad} do not exist in {info.id}; "
                    f"it has repetitions {list(info.repetitions)}"
                )


def check_plan(config: dict) -> None:
    """What would otherwise fail only when a job runs, or silently change its results:
    windows under one sample, repetitions and subject pools the data lack."""
    from emgrepro.protocols import PROTOCOLS

    for name, prep in config["preprocessing"].items():
        _check_windows(name, prep)
    for name, exp in selected_experiments(config).items():
        dataset = experiment_dataset(config, name)
        info, subjects = get_dataset(dataset), dataset_subjects(config, dataset)
        for proto, values in exp["protocols"].items():
            where = f"experiments/{name}/protocols/{proto}"
            protocol = PROTOCOLS.get(proto)
            params = protocol.params(values, where)
            _check_repetitions(params, info, where)
            protocol.check_subjects(values, subjects, where)
    for dataset in used_datasets(config):
        check_subject_urls(config, dataset)


def _all_labels(info: DatasetInfo) -> list[int]:
    return list(range(0, sum(info.exercises.values()) + 1))


# ----------------------------------------------------------------------------- selection


def selected_experiments(config: dict) -> dict[str, dict]:
    papers = set(config["papers"])
    return {
        name: exp
        for name, exp in config["experiments"].items()
        if not papers or exp["paper"] in papers
    }


def selected_papers(config: dict) -> list[str]:
    """Papers of this run: those asked for (all by default), planned ones included."""
    return sorted(config["papers"] or config["paper_info"])


def experiment_dataset(config: dict, experiment: str) -> str:
    exp = config["experiments"][experiment]
    return config["preprocessing"][exp["preprocessing"]]["dataset"]


def twin_scale(config: dict, dataset: str) -> dict:
    """Size options of a dataset's synthetic twin: the config's, else the registry's. A twin
    written per exercise (Ninapro) holds the exercises the run reads, unless its scale
    names them."""
    info = get_dataset(dataset)
    own = config["synthetic"]["scale"].get(dataset)
    scale = dict(own if own is not None else info.twin.get("scale", {}))
    if "exercises" not in scale and "exercises" in twin_module(info).TWIN_SCALE:
        scale["exercises"] = needed_exercises(config, dataset) or sorted(info.exercises)
    return scale


def used_datasets(config: dict) -> list[str]:
    return sorted({experiment_dataset(config, e) for e in selected_experiments(config)})


# ----------------------------------------------------------------------------- jobs


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
        from emgrepro.records import from_dict

        return from_dict(cls, spec, arg)


def check_preprocessing(prep: dict, where: str) -> None:
    """One preprocessing entry (as the preprocess rule passes it) against the schema; the
    first problem in one line."""
    schema = _schema(str(SCHEMA_YAML))
    entry = {
        **schema["properties"]["preprocessing"]["additionalProperties"],
        "$defs": schema["$defs"],
    }
    validator = _with_defaults(jsonschema.Draft202012Validator)(entry)
    errors = sorted(validator.iter_errors(prep), key=lambda e: list(e.absolute_path))
    if errors:
        at = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            f"{where}: at '{at}': {errors[0].message}{more}; expected one entry of the "
            "config's `preprocessing` (config/schema.yaml): copy it from the job's log"
        )


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
    schema = _schema(str(SCHEMA_YAML))
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


def job_paths(experiment: str, protocol: str, model: str, fold: str, seed) -> dict[str, str]:
    """A job's outputs, its checkpoint named by its model's kind (.pt or .skops)."""
    from emgrepro.models import MODELS

    suffix = MODELS.get(model).checkpoint
    return layout.job_paths(experiment, protocol, model, fold, seed, suffix)


def init_model_paths(job: JobSpec) -> dict[str, str]:
    """Checkpoints of the pre-trained parts a job loads, by part name."""
    return {
        part: job_paths(r["experiment"], r["protocol"], r["model"], r["fold"], job.seed)["model"]
        for part, r in job.extra.get("init", {}).items()
    }


def parent_model_path(job: JobSpec) -> str | None:
    """The checkpoint a few-shot or incremental job starts from."""
    parent = job.extra.get("parent")
    if not parent:
        return None
    ids = (parent["experiment"], parent["protocol"], job.model, parent["fold"], job.seed)
    return job_paths(*ids)["model"]


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
