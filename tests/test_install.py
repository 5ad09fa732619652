"""The install is declared completely: Python version, every import, every pin."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _declared() -> set[str]:
    specs = PYPROJECT["dependencies"] + sum(PYPROJECT["optional-dependencies"].values(), [])
    return {canonicalize_name(Requirement(s).name) for s in specs}


def _third_party_imports(paths: list[Path]) -> dict[str, Path]:
    """Top-level modules imported anywhere under ``paths`` that are not stdlib or ours."""
    local = {"emgrepro", "tests"} | {p.stem for p in (REPO / "tests").glob("*.py")}
    local |= {p.stem for p in (REPO / "bench").glob("*.py")}
    found: dict[str, Path] = {}
    for root in paths:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, path)
    return found


def test_every_import_is_declared():
    """A module imported by the package, the notebooks, the benchmarks or the tests must
    come from a distribution pyproject.toml names, not from one that happens to be pulled in."""
    owners = md.packages_distributions()
    declared = _declared()
    dirs = [REPO / "workflow" / "emgrepro", REPO / "notebooks", REPO / "bench", REPO / "tests"]
    imports = _third_party_imports(dirs)
    assert {"numpy", "torch", "skops", "IPython"} <= set(imports), "the scan finds imports"
    missing = {
        module: f"{path.relative_to(REPO)} (from {owners.get(module, ['?'])})"
        for module, path in imports.items()
        if not {canonicalize_name(d) for d in owners.get(module, [])} & declared
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_requires_python_is_what_the_pins_need():
    """requires-python's floor is the highest floor among the pinned distributions."""
    ours = SpecifierSet(PYPROJECT["requires-python"])
    floor = re.fullmatch(r">=(\d+\.\d+)", str(ours))
    assert floor, f"requires-python is a plain floor: {ours}"
    need = {}
    for spec in PYPROJECT["dependencies"]:
        name = Requirement(spec).name
        theirs = md.metadata(name).get("Requires-Python") or ""
        need[name] = theirs
        assert floor.group(1) in SpecifierSet(theirs), (
            f"{name} needs Python {theirs}, requires-python says {ours}"
        )
    below = f"3.{int(floor.group(1).split('.')[1]) - 1}"
    assert any(below not in SpecifierSet(s) for s in need.values()), (
        f"no pin needs more than Python {below}: requires-python could be lower"
    )


def test_ruff_targets_the_lowest_supported_python():
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    floor = PYPROJECT["requires-python"].removeprefix(">=")
    assert ruff["target-version"] == "py" + floor.replace(".", "")


def _lock(name: str = "requirements.lock") -> dict[str, tuple[str, list[str]]]:
    """A pip-compile lock as {name: (version, hashes)}."""
    text = re.sub(r"\\\n\s*", " ", (REPO / name).read_text())
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith((" ", "#")):
            req, *opts = line.split()
            name, version = req.split("==")
            out[canonicalize_name(name)] = (version, [o for o in opts if o.startswith("--hash")])
    return out


def test_the_lock_hashes_every_package_and_agrees_with_pyproject():
    lock = _lock()
    unhashed = [name for name, (_, hashes) in lock.items() if not hashes]
    assert not unhashed, f"requirements.lock entries without --hash: {unhashed}"
    assert "torch" not in lock, "torch is installed in its own step (see the Makefile)"
    specs = PYPROJECT["dependencies"] + sum(PYPROJECT["optional-dependencies"].values(), [])
    for spec in map(Requirement, specs):
        name = canonicalize_name(spec.name)
        if name != "torch":
            assert name in lock, f"{name} is in pyproject.toml, not in requirements.lock"
            assert lock[name][0] in spec.specifier, f"{name}: lock {lock[name][0]}, {spec}"


@pytest.mark.parametrize("build", ["cpu", "cuda"])
def test_each_torch_build_has_a_hashed_lock_over_the_main_one(build):
    """torch's CPU and CUDA builds share a version number, so each has its own lock; every
    entry is hashed and whatever the main lock also pins has its version."""
    make = (REPO / "Makefile").read_text()
    version = re.search(r"^TORCH_VERSION := (\S+)$", make, re.M).group(1)
    lock, main = _lock(f"requirements-torch-{build}.lock"), _lock()
    assert lock["torch"][0] == (f"{version}+cpu" if build == "cpu" else version)
    unhashed = [name for name, (_, hashes) in lock.items() if not hashes]
    assert not unhashed, f"requirements-torch-{build}.lock entries without --hash: {unhashed}"
    differ = {n: (v, main[n][0]) for n, (v, _) in lock.items() if n in main and main[n][0] != v}
    assert not differ, f"requirements-torch-{build}.lock differs from requirements.lock: {differ}"
    assert ("nvidia-cublas" in lock) == (build == "cuda")
    assert "--require-hashes $(TORCH_FROM) -r requirements-torch-$(TORCH).lock" in make


def test_the_installed_environment_is_the_lock():
    """The venv the tests run in holds what the lock says (a stale lock or venv shows here)."""
    for name, (version, _) in _lock().items():
        assert md.version(name) == version, f"{name}: installed {md.version(name)}, lock {version}"


def test_the_makefile_installs_the_pinned_torch():
    make = (REPO / "Makefile").read_text()
    pinned = next(s for s in PYPROJECT["dependencies"] if Requirement(s).name == "torch")
    version = re.search(r"^TORCH_VERSION := (\S+)$", make, re.M)
    assert version and f"torch=={version.group(1)}" == pinned
    assert "--require-hashes -r requirements.lock" in make
