"""Configuration: each paper's own file, the run's settings on top, validated against the
schema with its defaults and checked (emgrepro/checks.py) before any job is planned
(emgrepro/job_plan.py).

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
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from emgrepro.checks import check_names, check_parameters, check_plan
from emgrepro.errors import ConfigError, did_you_mean
from emgrepro.paths import PAPERS_DIR, SCHEMA_YAML, published_csv
from emgrepro.schema import fill_additional, read_schema, validate_against


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
def paper_files(papers_dir: str = str(PAPERS_DIR)) -> dict[str, dict]:
    """Every paper's file, validated against the paper schema, by paper id."""
    schema = read_schema()
    paper_schema = {**schema["$defs"]["paper"], "$defs": schema["$defs"]}
    out = {}
    for path in sorted(Path(papers_dir).glob("*.yaml")):
        data = _plain(read_yaml(path) or {})
        validate_against(data, paper_schema, str(path))
        out[path.stem] = data
    return out


def _merge(into: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v)


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
                            + did_you_mean(name, sorted(base[key]))
                        )
                    _merge(base[key][name], override)
    return base


def _grid_names(papers: dict[str, dict]) -> dict[str, str]:
    """Every grid experiment the paper files declare, by name: its paper experiment."""
    return {
        grid_name(name, dataset): name
        for data in papers.values()
        for dataset, entry in (data.get("grid") or {}).items()
        for name in entry.get("experiments") or {}
    }


GRID_SUFFIX = "_on_"  # a grid experiment's name: <experiment>_on_<dataset>


def grid_name(experiment: str, dataset: str) -> str:
    return f"{experiment}{GRID_SUFFIX}{dataset}"


def _grid_experiments(base: dict, pid: str, grid: dict, papers_layer: dict) -> None:
    """Add a paper's grid experiments to ``base``: each of its experiments named for a
    dataset, over the experiment's own keys as the run has them (demo settings and the
    user's keys included), as <name>_on_<dataset>. An experiment the run leaves out (null)
    keeps its grid copies, from the paper's own keys (``papers_layer``): a run on other
    datasets drops the originals, and a copy is dropped by its own name."""
    from emgrepro.datasets.registry import all_datasets

    known = all_datasets()
    where = f"config/papers/{pid}.yaml grid"
    for dataset, entry in grid.items():
        if dataset not in known:
            raise ConfigError(
                f"{where}: unknown dataset '{dataset}'{did_you_mean(dataset, list(known))}"
            )
        if "not_applicable" in entry:
            continue
        for name, prep in (entry.get("preprocessing") or {}).items():
            if name in papers_layer["preprocessing"]:
                raise ConfigError(
                    f"{where}/{dataset}/preprocessing: '{name}' is already defined; give the "
                    "grid's preprocessing its own name"
                )
            if prep.get("dataset") != dataset:
                raise ConfigError(
                    f"{where}/{dataset}/preprocessing/{name}: its dataset must be '{dataset}'"
                )
            new = copy.deepcopy(prep)
            _merge(new, base["preprocessing"].get(name) or {})  # the user's keys of it
            base["preprocessing"][name] = new
        for name, override in entry["experiments"].items():
            own = base["experiments"].get(name) or papers_layer["experiments"].get(name)
            if own is None or own["paper"] != pid:
                mine = [n for n, e in base["experiments"].items() if e["paper"] == pid]
                raise ConfigError(
                    f"{where}/{dataset}/experiments: '{name}' is not an experiment of {pid}"
                    + did_you_mean(name, mine)
                )
            if base["preprocessing"][own["preprocessing"]]["dataset"] == dataset:
                raise ConfigError(
                    f"{where}/{dataset}/experiments/{name}: the experiment already runs on "
                    f"'{dataset}'; the grid repeats an experiment on other datasets only"
                )
            new = copy.deepcopy(own)
            _merge(new, override or {})
            prep = base["preprocessing"].get(new["preprocessing"], {})
            if prep.get("dataset") != dataset:
                raise ConfigError(
                    f"{where}/{dataset}/experiments/{name}: give it a preprocessing of "
                    f"'{dataset}' (it reads '{new['preprocessing']}', of "
                    f"'{prep.get('dataset')}')"
                )
            new["grid_of"] = name
            base["experiments"][grid_name(name, dataset)] = new


def _check_user_experiments(user: dict, known: dict) -> None:
    """An override of an experiment that no paper defines is a typo unless it is a whole
    new experiment (one that names its paper)."""
    for name, exp in (user.get("experiments") or {}).items():
        if name not in known and not (isinstance(exp, dict) and "paper" in exp):
            raise ConfigError(
                f"experiments/{name}: no paper defines this experiment"
                f"{did_you_mean(name, list(known))}; a new experiment must name its `paper`"
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
    grid = _grid_names(papers) if user.get("grid") else {}
    _check_user_experiments(user, {**base["experiments"], **grid})
    config = copy.deepcopy(base)
    _merge(config, {k: v for k, v in user.items() if k != "paper_info"})
    if grid:  # after the user's keys: the grid repeats each experiment as the run has it
        own = {n: config["experiments"].pop(n) for n in grid if n in config["experiments"]}
        for pid, data in papers.items():
            _grid_experiments(config, pid, data.get("grid") or {}, base)
        for name, override in own.items():  # the user's keys of a grid experiment itself
            if override is None or name not in config["experiments"]:
                config["experiments"][name] = override
            else:
                _merge(config["experiments"][name], override)
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
            "grid": copy.deepcopy(data.get("grid") or {}),
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


def validate(config: dict, schema_path: Path = SCHEMA_YAML) -> dict:
    """Validate a resolved ``config`` in place: schema (filling defaults), names, and every
    model's and protocol's declared parameters."""
    _drop_nulls(config)
    schema = {k: v for k, v in read_schema(str(schema_path)).items() if k != "$defs"}
    validate_against(config, schema, "the configuration")
    fill_additional(schema, config)
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
