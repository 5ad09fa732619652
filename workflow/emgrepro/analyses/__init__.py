"""Per-paper analyses beyond the scores, written to files that the paper's report reads
(a report notebook only reads tables and plots).

An analysis is a module here named after its paper, with

- ``plan(jobs, config) -> Analysis | None``: the files it reads and its parameters, taken
  from the run's job plan and config (None when the run lacks what it needs);
- ``analyse(params, inputs, out_dir)``: writes its tables (CSV) and arrays (NPZ) into
  ``out_dir``.

The ``analysis`` rule runs it (``python -m emgrepro analyse``); adding one is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType


@dataclass(frozen=True)
class Analysis:
    """What one paper's analysis reads: files by name, and JSON-able parameters."""

    inputs: dict[str, str]
    params: dict = field(default_factory=dict)


def names() -> list[str]:
    """Papers that have an analysis."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(paper: str) -> ModuleType | None:
    return importlib.import_module(f"{__name__}.{paper}") if paper in names() else None
