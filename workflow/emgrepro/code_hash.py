"""Hashes of the source a job's result depends on, given to Snakemake as a rule parameter: a
change in a model's, protocol's or training module's code then reruns exactly the jobs
that use it (Snakemake reruns a job whose parameters changed), and nothing else.

What counts as a job's code: the modules that define its model and protocol classes and
their base classes, the package modules those import names from, and the job driver. The
hash is of file contents, so a fresh clone or a checkout that only touched mtimes reruns
nothing.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

PACKAGE = "emgrepro"


def _is_ours(module: ModuleType | None) -> bool:
    return module is not None and module.__name__.split(".")[0] == PACKAGE


def _imported_modules(module: ModuleType) -> set[ModuleType]:
    """The package's modules ``module`` takes names from (one level)."""
    found = set()
    for value in vars(module).values():
        source = (
            value
            if inspect.ismodule(value)
            else sys.modules.get(getattr(value, "__module__", "") or "")
        )
        if _is_ours(source):
            found.add(source)
    return found


def class_modules(cls: type) -> set[ModuleType]:
    """Modules of ``cls`` and its package base classes, and what they import from it."""
    own = {sys.modules[c.__module__] for c in cls.__mro__ if c.__module__.split(".")[0] == PACKAGE}
    return own | {m for mod in own for m in _imported_modules(mod)}


def files_hash(paths: set[Path] | list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted({Path(p).resolve() for p in paths}):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _files(modules: set[ModuleType]) -> set[Path]:
    return {Path(m.__file__) for m in modules if getattr(m, "__file__", None)}


@cache
def train_code(model: str, protocol: str) -> str:
    """Hash of the code of a training job of ``model`` under ``protocol``."""
    from emgrepro.evaluation import run
    from emgrepro.models import MODELS
    from emgrepro.protocols import PROTOCOLS

    modules = class_modules(MODELS.get(model)) | class_modules(type(PROTOCOLS.get(protocol)))
    return files_hash(_files(modules | {run}))


@cache
def preprocess_code(dataset: str) -> str:
    """Hash of the code that turns a dataset's raw files into windows."""
    from emgrepro.datasets.registry import get_dataset, reader_module
    from emgrepro.preprocess import filtering, subject, windows

    reader = reader_module(get_dataset(dataset))
    modules = {reader, filtering, subject, windows} | _imported_modules(reader)
    return files_hash(_files(modules))
