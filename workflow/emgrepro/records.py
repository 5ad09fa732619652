"""Dataclass records (job specs, source plans) rebuilt from command-line JSON."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, TypeVar

from emgrepro.errors import ConfigError

T = TypeVar("T")


def from_dict(cls: type[T], data: dict[str, Any], arg: str) -> T:
    """``cls(**data)``, but a missing or unknown key is named, not a traceback."""
    names = [f.name for f in fields(cls)]
    required = [
        f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
    ]
    missing = [k for k in required if k not in data]
    unknown = sorted(set(data) - set(names))
    if missing or unknown:
        said = [
            f"missing {', '.join(missing)}" if missing else "",
            f"unknown {', '.join(unknown)}" if unknown else "",
        ]
        raise ConfigError(
            f"{arg}: {'; '.join(x for x in said if x)} (it has: {', '.join(names)}); "
            f"copy the whole {arg} argument from the job's log or `snakemake -p`"
        )
    return cls(**data)
