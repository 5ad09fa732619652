"""Plan-time checks of a resolved configuration: every name exists, every parameter is
declared, and what would otherwise fail only when a job runs fails now, naming its key."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import jsonschema

from emgrepro.datasets.registry import DatasetInfo, dataset_subjects, get_dataset
from emgrepro.errors import ConfigError, did_you_mean
from emgrepro.fetch.sources import check_subject_urls
from emgrepro.params import parse
from emgrepro.schema import read_schema, with_defaults
from emgrepro.selection import experiment_dataset, selected_experiments, used_datasets


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
                f"{did_you_mean(exp['preprocessing'], list(config['preprocessing']))}; "
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


def check_preprocessing(prep: dict, where: str) -> None:
    """One preprocessing entry (as the preprocess rule passes it) against the schema; the
    first problem in one line."""
    schema = read_schema()
    entry = {
        **schema["properties"]["preprocessing"]["additionalProperties"],
        "$defs": schema["$defs"],
    }
    validator = with_defaults(jsonschema.Draft202012Validator)(entry)
    errors = sorted(validator.iter_errors(prep), key=lambda e: list(e.absolute_path))
    if errors:
        at = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            f"{where}: at '{at}': {errors[0].message}{more}; expected one entry of the "
            "config's `preprocessing` (config/schema.yaml): copy it from the job's log"
        )
