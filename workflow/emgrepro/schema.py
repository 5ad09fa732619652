"""The configuration schema (config/schema.yaml): reading it, validating against it, and
filling its defaults, also inside named entries."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from emgrepro.errors import ConfigError
from emgrepro.paths import SCHEMA_YAML


@functools.cache
def read_schema(path: str = str(SCHEMA_YAML)) -> dict:
    return yaml.safe_load(Path(path).read_text())


def validate_against(instance: Any, schema: dict, name: str) -> None:
    """Defaults filled in as it validates; up to ten problems, each with its key path."""
    validator = with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:10]:
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"  at '{where}': {err.message}")
        raise ConfigError(
            f"{name} breaks the schema ({SCHEMA_YAML}):\n"
            + "\n".join(lines)
            + "\nFix these keys; every key is described in config/schema.yaml."
        )


def with_defaults(validator_class):
    """A validator that writes each missing key's default as it validates."""
    validate_props = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def fill_additional(schema: dict, instance: Any) -> None:
    """Apply defaults inside ``additionalProperties`` objects (named entries)."""
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if name in instance:
            fill_additional(sub, instance[name])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        known = set(schema.get("properties", {}))
        for key, value in instance.items():
            if key not in known:
                if isinstance(value, dict):
                    with_defaults(jsonschema.Draft202012Validator)(extra).validate(value)
                fill_additional(extra, value)
