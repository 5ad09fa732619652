"""Declared parameters: every model and protocol setting has a name, a type and a default.

Models and protocols declare theirs in a frozen dataclass (a model family's ``defaults``).
Config values are checked against the declaration before any job runs, so a misspelt key or
a value of the wrong type stops the plan (``snakemake -n``) with the experiment, the key and
the valid keys named, instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Union

from emgrepro.errors import ConfigError, did_you_mean

_REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    """One declared parameter."""

    name: str
    type: Any
    default: Any = _REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


def describe(tp: Any) -> str:
    """A type as a config author reads it (``list of int``, ``float or string``)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return "null"
    if tp is Any:
        return "any value"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        inner = [a for a in args if a is not Ellipsis]
        return "list of " + (describe(inner[0]) if inner else "values")
    if origin is dict:
        return "mapping"
    if dataclasses.is_dataclass(tp):
        return "mapping with keys " + ", ".join(f.name for f in dataclasses.fields(tp))
    names = {int: "integer", float: "number", bool: "true/false", str: "string", dict: "mapping"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def coerce(value: Any, tp: Any, where: str) -> Any:
    """``value`` checked against ``tp`` (lists become the declared sequence type);
    a nested dataclass is parsed in turn. Raises ConfigError naming ``where``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return coerce(value, option, where)
            except ConfigError:
                continue
        raise _type_error(value, tp, where)
    if tp is type(None):
        if value is None:
            return None
        raise _type_error(value, tp, where)
    if origin is Literal:
        if value in args:
            return value
        raise _type_error(value, tp, where)
    if origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise _type_error(value, tp, where)
        inner = [a for a in args if a is not Ellipsis]
        items = [coerce(v, inner[0], f"{where}[{i}]") if inner else v for i, v in enumerate(value)]
        return tuple(items) if (origin or tp) is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise _type_error(value, tp, where)
        return dict(value)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise _type_error(value, tp, where)
        return parse(dataclass_params(tp), value, where, tp)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise _type_error(value, tp, where)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _type_error(value, tp, where)
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _type_error(value, tp, where)
    if tp is str:
        if isinstance(value, str):
            return value
        raise _type_error(value, tp, where)
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise _type_error(value, tp, where)


def _type_error(value: Any, tp: Any, where: str) -> ConfigError:
    return ConfigError(f"{where}: {value!r} is not a valid value; expected {describe(tp)}")


def parse(
    declared: dict[str, Param], values: dict | None, where: str, build: Callable | None = None
) -> Any:
    """Check ``values`` against ``declared``: unknown keys, missing required keys and wrong
    types are ConfigErrors naming ``where``, the key and the valid keys. Returns the full
    set of values (defaults filled), or ``build(**values)`` when ``build`` is given."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(declared))
    if unknown:
        hints = []
        for key in unknown:
            hints.append(f"'{key}'" + did_you_mean(key, list(declared)))
        raise ConfigError(
            f"{where}: unknown parameter {', '.join(hints)}; valid parameters are "
            f"{sorted(declared) or 'none'}"
        )
    out = {}
    for name, p in declared.items():
        if name in values:
            out[name] = coerce(values[name], p.type, f"{where}/{name}")
        elif p.required:
            raise ConfigError(
                f"{where}: missing required parameter '{name}' ({describe(p.type)}"
                + (f": {p.doc}" if p.doc else "")
                + ")"
            )
        else:
            out[name] = p.default
    return build(**out) if build is not None else out


def dataclass_params(cls: type) -> dict[str, Param]:
    """Parameters of a dataclass: field name, resolved type, default, ``doc`` metadata."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _REQUIRED
        out[f.name] = Param(f.name, hints[f.name], default, f.metadata.get("doc", ""))
    return out


def defaults_params(defaults: Any) -> dict[str, Param]:
    """Parameters a dataclass instance declares: each field's type, the instance's value as
    its default. A model family declares its parameters once, each variant as a
    replacement of the family's defaults."""
    hints = typing.get_type_hints(type(defaults))
    return {
        f.name: Param(f.name, hints[f.name], getattr(defaults, f.name), f.metadata.get("doc", ""))
        for f in dataclasses.fields(defaults)
    }


def as_dict(params: Any) -> dict:
    """A parsed dataclass back to plain values (for JSON job specs)."""
    if dataclasses.is_dataclass(params):
        return dataclasses.asdict(params)
    return dict(params)
