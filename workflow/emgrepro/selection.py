"""What a run selects from its configuration: papers, experiments and the datasets they
read."""

from __future__ import annotations

from emgrepro.datasets.registry import get_dataset
from emgrepro.datasets.synthetic import twin_module
from emgrepro.fetch.sources import needed_exercises


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
