"""The dataset registry (config/datasets.yaml) and the reader behind each dataset id."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from emgrepro.errors import ConfigError
from emgrepro.paths import DATASETS_YAML


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of one registered dataset."""

    id: str
    title: str
    citation: str
    reader: str
    fs: float
    n_channels: int
    subjects: tuple[int, ...]
    download: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    classes: dict[int, str] = field(default_factory=dict)
    exercises: dict[int, int] = field(default_factory=dict)
    repetitions: tuple[int, ...] = ()
    file_pattern: str = ""
    doi: str = ""
    homepage: str = ""
    twin: dict[str, Any] = field(default_factory=dict)  # the demo's synthetic twin
    fewer_channels: dict[int, int] = field(default_factory=dict)  # subject -> its channels
    size: dict[str, Any] = field(default_factory=dict)  # documented recording size (costing)

    def check_subjects(self, subjects: list[int], where: str = "subjects") -> None:
        unknown = sorted(set(subjects) - set(self.subjects))
        if unknown:
            raise ConfigError(
                f"{where}: subject(s) {unknown} do not exist in dataset '{self.id}'; "
                f"it has subjects {list(self.subjects)}"
            )


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, DatasetInfo]:
    raw = yaml.safe_load(Path(path).read_text())
    out = {}
    for ds_id, d in raw.items():
        out[ds_id] = DatasetInfo(
            id=ds_id,
            title=d["title"],
            citation=" ".join(d["citation"].split()),
            reader=d["reader"],
            fs=float(d["fs"]),
            n_channels=int(d["n_channels"]),
            subjects=tuple(int(s) for s in d["subjects"]),
            download=d["download"],
            files=dict(d.get("files") or {}),
            classes={int(k): str(v) for k, v in (d.get("classes") or {}).items()},
            exercises={int(k): int(v) for k, v in (d.get("exercises") or {}).items()},
            repetitions=tuple(int(r) for r in d.get("repetitions", ())),
            file_pattern=d.get("file_pattern", ""),
            doi=d.get("doi", ""),
            homepage=d.get("homepage", ""),
            twin=dict(d.get("twin") or {}),
            fewer_channels={int(k): int(v) for k, v in (d.get("fewer_channels") or {}).items()},
            size=dict(d.get("size") or {}),
        )
    return out


def all_datasets(path: Path = DATASETS_YAML) -> dict[str, DatasetInfo]:
    return _load(str(path))


def get_dataset(ds_id: str, path: Path = DATASETS_YAML) -> DatasetInfo:
    datasets = all_datasets(path)
    if ds_id not in datasets:
        raise ConfigError(
            f"unknown dataset '{ds_id}'; registered datasets are {sorted(datasets)} (see {path})"
        )
    return datasets[ds_id]


SYNTHETIC = "synthetic"


def source_of(config: dict, dataset: str) -> str | None:
    """Where the run takes ``dataset`` from: its ``sources`` entry, the synthetic twin in
    the demo (``demo: true``), else None (the official download)."""
    default = SYNTHETIC if config.get("demo") else None
    return config.get("sources", {}).get(dataset, default)


def is_synthetic(config: dict, dataset: str) -> bool:
    return source_of(config, dataset) == SYNTHETIC


def dataset_subjects(config: dict, dataset: str) -> list[int]:
    """Subjects of ``dataset`` in this run: the config's choice, else the twin's (when
    synthetic), else every registered subject."""
    if dataset in config.get("subjects", {}):
        return sorted(config["subjects"][dataset])
    info = get_dataset(dataset)
    if is_synthetic(config, dataset):
        n = config.get("synthetic", {}).get("subjects", {}).get(dataset)
        if n is not None:
            return list(info.subjects[:n])
        return sorted(info.twin.get("subjects", info.subjects))
    return list(info.subjects)


def reader_module(info: DatasetInfo):
    """The module ``emgrepro.datasets.<reader>`` that reads this dataset's raw files.

    Each reader module provides ``required_files(info, subject, exercises)`` (the
    canonical relative paths of a subject's raw files), ``archive_urls(info, subject)``
    (official download URLs) and ``read_subject(info, root, subject, exercises)``.
    """
    return importlib.import_module(f"emgrepro.datasets.{info.reader}")
