"""The conda environment files pin exactly what pyproject.toml pins."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from conftest import REPO

ENVS = sorted((REPO / "envs").glob("*.yaml"))


def _pins(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", spec.strip())
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def _named(specs: list[str]) -> list[tuple[str, str]]:
    return [tuple(s.split("==")) for s in specs if re.fullmatch(r"[A-Za-z0-9_.\-]+==\S+", s)]


def _lock_versions() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text()
    return {n.lower(): v for n, v in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


PROJECT = _pins(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])


def test_every_dependency_is_pinned():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert len(PROJECT) == len(deps), "every dependency in pyproject.toml is pinned with =="


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_match_pyproject(env):
    data = yaml.safe_load(env.read_text())
    pip = next(d["pip"] for d in data["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins = _pins(pip)
    assert pins, f"{env.name} pins nothing"
    for name, version in pins.items():
        assert name in PROJECT, f"{env.name}: {name} is not a dependency in pyproject.toml"
        assert version == PROJECT[name], f"{env.name}: {name}=={version}, pyproject {PROJECT[name]}"
    unpinned = [spec for spec in pip if spec not in {f"{n}=={v}" for n, v in _named(pip)}]
    assert not unpinned, f"{env.name}: only pinned packages, not the project ({unpinned})"
    lock = _lock_versions()
    for name, version in pins.items():
        assert lock.get(name, version) == version, f"{env.name}: {name} differs from the lock"


def test_every_rule_names_an_existing_env():
    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    used = set(re.findall(r'"\.\./\.\./envs/([a-z_]+\.yaml)"', rules))
    assert used, "rules declare conda environments"
    assert used <= {p.name for p in ENVS}
