"""Evaluation protocols: split generators over a collection of subjects' windows.

Each protocol module registers a class with ``folds(subjects, params)`` (the independent
jobs it makes) and ``split(meta, fold, subjects, params, seed)`` (train / validation /
test window indices for one job).
"""

from emgrepro.protocols.base import Protocol, Split
from emgrepro.registry import Registry

PROTOCOLS = Registry("protocol", "emgrepro.protocols")


def register_protocol(name: str):
    """Register an instance of the decorated protocol class under ``name``."""

    def deco(cls):
        PROTOCOLS.register(name)(cls())
        return cls

    return deco


__all__ = ["PROTOCOLS", "Protocol", "Split", "register_protocol"]
