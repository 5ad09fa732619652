"""Name -> implementation registries, filled by importing every module of a package.

Adding a model or protocol means adding one file that registers itself; nothing else
needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from emgrepro.errors import ConfigError


class Registry:
    """A named collection of factories, populated lazily from one package."""

    def __init__(self, kind: str, package: str) -> None:
        self.kind = kind
        self.package = package
        self._items: dict[str, Any] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[Any], Any]:
        def deco(obj: Any) -> Any:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def _load(self) -> None:
        if self._loaded:
            return
        pkg = importlib.import_module(self.package)
        for mod in pkgutil.iter_modules(pkg.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{self.package}.{mod.name}")
        self._loaded = True

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def _load_own_module(self, name: str) -> None:
        """Import only the module named after ``name``, if there is one: a job that needs
        one classical model then never imports torch through its neighbours."""
        if self._loaded or name in self._items:
            return
        pkg = importlib.import_module(self.package)
        if any(m.name == name for m in pkgutil.iter_modules(pkg.__path__)):
            importlib.import_module(f"{self.package}.{name}")

    def get(self, name: str, where: str = "") -> Any:
        self._load_own_module(name)
        if name not in self._items:
            self._load()
        if name not in self._items:
            loc = f" (in {where})" if where else ""
            raise ConfigError(
                f"unknown {self.kind} '{name}'{loc}; known {self.kind}s are {self.names()}"
            )
        return self._items[name]
