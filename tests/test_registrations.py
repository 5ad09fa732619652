"""Every paper is registered in every place it must be, the README's paper table is the
generated one, a new paper is picked up from its own files alone, and no module imports
from a layer above its own."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, snakemake_env
from emgrepro.registrations import paper_table, problems

PACKAGE = REPO / "workflow" / "emgrepro"


def test_every_paper_is_registered_everywhere():
    found = problems(REPO)
    assert not found, "registration problems:\n  " + "\n  ".join(found)


def test_readme_paper_table_is_the_generated_one():
    table = paper_table(REPO)
    readme = (REPO / "README.md").read_text()
    assert table in readme, (
        "README's 'Where each paper lives' table is out of date; replace it with the output "
        "of `python -m emgrepro papers`:\n" + table
    )


# ----------------------------------------------------------------------------- layering

# Lowest first: a module may import from its own layer and the ones below, never above.
LAYERS = [
    {"errors", "paths", "layout", "io", "params", "registry", "tidy", "scoring", "recording"},
    {"schema"},
    {"checkpoint", "records"},
    {"benchmark"},
    {"resources"},
    {"datasets"},
    {"fetch"},
    {"preprocess"},
    {"features"},
    {"training"},  # the generic loop: below every model, and knows none
    {"models"},
    {"protocols"},
    {"config", "checks", "selection", "job_plan", "evaluation", "planning", "provenance"},
    {"analyses"},
    {
        "cli",
        "notebook",
        "report",
        "captions",
        "registrations",
        "warm",
        "code_hash",
        "progress",
        "__main__",
    },  # fmt: skip
]


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module}: no layer in tests/test_registrations.py LAYERS")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("emgrepro")]
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("emgrepro")
        ):
            if node.module == "emgrepro":
                out += [(node.lineno, f"emgrepro.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def test_no_module_imports_from_a_higher_layer():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if module == "emgrepro":
            continue
        mine = _layer(module)
        for line, imported in _imports(path):
            if imported != "emgrepro" and _layer(imported) > mine:
                bad.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    assert not bad, "imports from a higher layer:\n  " + "\n  ".join(bad)


# ----------------------------------------------------------------------------- models


def _settings(value: object, depth: int = 0) -> object:
    """What a built model holds, comparable with ``==``: weights and arrays by content,
    scikit-learn objects by their parameters, the package's own objects by their fields."""
    import hashlib

    import numpy as np
    import torch

    if isinstance(value, torch.nn.Module):
        return {k: hashlib.sha256(t.cpu().numpy().tobytes()).hexdigest() for k, t in
                value.state_dict().items()}  # fmt: skip
    if isinstance(value, np.ndarray):
        return (value.shape, str(value.dtype), value.tobytes())
    if isinstance(value, dict):
        return {k: _settings(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_settings(v, depth + 1) for v in value)
    if hasattr(value, "get_params"):
        return (type(value).__name__, repr(value.get_params(deep=True)))
    if type(value).__module__.startswith("emgrepro") and hasattr(value, "__dict__"):
        assert depth < 4, value
        return (type(value).__name__, _settings(vars(value), depth + 1))
    return value


def test_every_model_declares_its_parameters_once():
    """Each family's hyper-parameters are one frozen dataclass, its ``defaults``; the
    constructor takes the window shape and ``**arguments`` and types none of them again.
    Built with no arguments, a model (each variant of a family too) is the one built with
    its declared defaults: weights from the same seed, every setting."""
    import dataclasses
    import inspect

    import torch

    from emgrepro.models import MODELS, build_model, model_parameters

    for name in MODELS.names():
        cls = MODELS.get(name)
        defaults = getattr(cls, "defaults", None)
        assert dataclasses.is_dataclass(defaults), f"{name}: no dataclass of defaults"
        assert type(defaults).__dataclass_params__.frozen, name
        init = list(inspect.signature(cls.__init__).parameters)
        assert init == ["self", "n_chans", "n_outputs", "n_times", "arguments"], (name, init)
        declared = {k: p.default for k, p in model_parameters(name).items()}
        assert declared == dataclasses.asdict(defaults), name
        built = []
        for arguments in ({}, declared):
            torch.manual_seed(0)
            model = build_model(name, 12, 5, 600, fs=2000.0, device="cpu", seed=1, **arguments)
            built.append(_settings(vars(model)))
        assert built[0] == built[1], name


# ----------------------------------------------------------------------------- a new paper

DUMMY_CONFIG = """
title: A dummy paper
citation: Nobody. Journal of Tests 1, 2030.
doi: 10.0000/dummy.2030
status: active
preprocessing:
  khushaba_250ms:
    dataset: khushaba_2ch
    filter: {l_freq: 20.0, h_freq: 450.0, notch: [50.0], method: iir, order: 4}
    window: {length_ms: 250, step_ms: 50, label_rule: constant}
experiments:
  dummy2030_within:
    preprocessing: khushaba_250ms
    classes: [1, 2, 3]
    protocols:
      within_subject: {train_repetitions: [1, 2, 3, 4], test_repetitions: [5, 6]}
    models:
      td_lda: {threshold: 0.02}
"""
DUMMY_PUBLISHED = (
    "paper,table,row,column,metric,unit,bound,mean,sd,n,sd_over,source,experiment,protocol,"
    "model,group,n_classes,condition,versus,note,statistic,margin,leaky_twin\n"
    "dummy2030,table1,TD+LDA,f1,f1_macro,percent,,80.0,5.0,8,subjects,Table 1,"
    "dummy2030_within,within_subject,td_lda,,3,,,,,,\n"
)
DUMMY_NOTEBOOK = textwrap.dedent(
    """\
    # %% [markdown]
    # # A dummy paper

    # %% tags=["parameters"]
    scores_csv = "results/scores.csv"

    # %%
    print(scores_csv)
    """
)


@pytest.fixture(scope="module")
def copy_with_dummy(tmp_path_factory) -> Path:
    """The repository with one more paper: three files of its own, nothing else edited."""
    root = tmp_path_factory.mktemp("repo") / "emgrepro"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "results", "resources", "logs", ".snakemake", "*.egg-info", "__pycache__"
    )
    shutil.copytree(REPO, root, ignore=skip)
    (root / "config" / "papers" / "dummy2030.yaml").write_text(DUMMY_CONFIG)
    (root / "config" / "papers" / "dummy2030.published.csv").write_text(DUMMY_PUBLISHED)
    (root / "notebooks" / "dummy2030.py").write_text(DUMMY_NOTEBOOK)
    (root / "tests" / "test_dummy2030.py").write_text("def test_nothing():\n    pass\n")
    return root


def _in_copy(root: Path, *cmd: str) -> subprocess.CompletedProcess:
    env = snakemake_env()
    env["PYTHONPATH"] = str(root / "workflow")  # the copy's package, not this checkout's
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def test_a_new_paper_is_picked_up_from_its_own_files(copy_with_dummy):
    root = copy_with_dummy
    proc = _in_copy(
        root, sys.executable, "-m", "snakemake", "-n", "--cores", "1",
        "--configfile", "config/demo.yaml", "--config", "papers=[dummy2030]",
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "results/reports/dummy2030.html" in out
    assert "results/scores/dummy2030_within/within_subject/td_lda/fold-1_seed-0.csv" in out
    assert "config/papers/dummy2030.published.csv" in out  # the audit reads its numbers


def test_a_paper_without_its_notebook_fails_the_completeness_test(copy_with_dummy, tmp_path):
    root = tmp_path / "emgrepro"
    shutil.copytree(copy_with_dummy, root)
    (root / "notebooks" / "dummy2030.py").unlink()
    proc = _in_copy(
        root, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/test_registrations.py::test_every_paper_is_registered_everywhere",
    )  # fmt: skip
    assert proc.returncode != 0
    assert "dummy2030: no report notebook (notebooks/dummy2030.py)" in proc.stdout
