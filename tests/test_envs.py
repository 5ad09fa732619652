"""The conda environment files pin exactly what pyproject.toml pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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


def test_every_package_module_a_notebook_imports_loads_with_the_report_envs_packages():
    """Every emgrepro module a report notebook imports loads without what envs/report.yaml
    leaves out (torch, MNE): the notebooks only read and plot."""
    import ast
    import subprocess
    import sys

    data = yaml.safe_load((REPO / "envs" / "report.yaml").read_text())
    pip = next(d["pip"] for d in data["dependencies"] if isinstance(d, dict) and "pip" in d)
    absent = sorted({"torch", "mne"} - {name for name, _ in _named(pip)})
    assert absent, "the report env leaves out the heavy training libraries"
    modules = set()
    for notebook in (REPO / "notebooks").glob("*.py"):
        for node in ast.walk(ast.parse(notebook.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("emgrepro"):
                modules.add(node.module)
                modules |= {
                    f"{node.module}.{a.name}" for a in node.names if node.module == "emgrepro"
                }
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(modules)!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in {absent!r} if m in sys.modules))\n"
    )
    env = {"PYTHONPATH": str(REPO / "workflow"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"notebook imports load {out.stdout.strip()}"
    assert len(modules) >= 5, modules


def test_every_rule_names_an_existing_env():
    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    used = set(re.findall(r'"\.\./\.\./envs/([a-z_]+\.yaml)"', rules))
    assert used, "rules declare conda environments"
    assert used <= {p.name for p in ENVS}


# ----------------------------------------------------------------------------- built for real

# One finished job per rule, found by its log (each log starts with the job's command).
# `download` needs the internet: no demo job runs it.
RULE_LOGS = {
    "synthesize": "logs/synthesize/*.log",
    "fetch_subject": "logs/fetch/*/*.log",
    "preprocess": "logs/preprocess/*/*.log",
    "train": "logs/train/hristov2026_6class/within_subject/cnn/*.log",
    "train_classical": "logs/train/baseline_6class/within_subject/td_lda/*.log",
    "analysis": "logs/analysis/*.log",
    "gather_scores": "logs/gather_scores.log",
    "provenance": "logs/provenance.log",
    "audit": "logs/audit.log",
    "claims": "logs/claims.log",
    "cost_per_result": "logs/cost_per_result.log",
    "paper_report": "logs/report/baseline.log",
    "audit_report": "logs/report/audit.log",
    "claims_report": "logs/report/claims.log",
}
NOT_RUN = {"download"}


def _rule_envs() -> dict[str, str]:
    """{rule: its env file} from the rule files (`use rule X as Y` inherits X's)."""
    text = "\n".join(p.read_text() for p in sorted((REPO / "workflow" / "rules").glob("*.smk")))
    envs = {}
    for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", text, re.S | re.M):
        env = re.search(r'conda:\s*"\.\./\.\./envs/(\w+\.yaml)"', body)
        envs[name] = env.group(1) if env else None
    for parent, child in re.findall(r"^use rule (\w+) as (\w+)", text, re.M):
        envs[child] = envs[parent]
    return envs


def _env_pip(env: str) -> list[str]:
    data = yaml.safe_load((REPO / "envs" / env).read_text())
    return next(d["pip"] for d in data["dependencies"] if isinstance(d, dict) and "pip" in d)


@pytest.fixture(scope="module")
def env_pythons(tmp_path_factory) -> dict[str, Path]:
    """Each env's pip list in a fresh virtual environment (this machine's pip config: the
    pinned torch resolves to its local CPU wheel). torch is unpacked once and shared by the
    envs that list it (a .pth file); pip still installs its dependencies per env."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("envs")
    torch_pin = next(s for s in PROJECT_SPECS if s.lower().startswith("torch=="))
    shared = root / "torch"
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--no-deps", "--target", str(shared), torch_pin], check=True)
    pythons = {}
    for env in sorted({p.name for p in ENVS}):
        venv = root / env.removesuffix(".yaml")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        py = venv / "bin" / "python"
        site = subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        specs = _env_pip(env)
        if torch_pin in specs:
            (Path(site) / "shared_torch.pth").write_text(str(shared) + "\n")
        subprocess.run([*pip, "--python", str(py), "install", *specs], check=True)
        pythons[env] = py
    return pythons


PROJECT_SPECS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.slow
def test_one_job_of_each_rule_runs_with_its_env_alone(demo_run, env_pythons, tmp_path):
    """What `--sdm conda` would run, with pip for conda (no conda channel is reachable
    here): each job's command, in a copy of the demo's folder, by its env's interpreter
    alone: no project venv on PATH, the package from the workflow folder."""
    import shlex
    import shutil
    import subprocess

    envs = _rule_envs()
    assert set(envs) - {"all"} == set(RULE_LOGS) | NOT_RUN, "every rule has a job here"
    work = tmp_path / "demo"
    shutil.copytree(demo_run, work, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    failed = {}
    for rule, pattern in RULE_LOGS.items():
        log = sorted(work.glob(pattern))[0]
        first = log.read_text().splitlines()[0]
        argv = shlex.split(first.split(" emgrepro: emgrepro ", 1)[1])
        py = env_pythons[envs[rule]]
        env = {
            "PATH": f"{py.parent}:/usr/bin:/bin",
            "PYTHONPATH": str(REPO / "workflow"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
        }
        proc = subprocess.run(
            [str(py), "-m", "emgrepro", *argv], cwd=work, env=env, capture_output=True,
            text=True, timeout=600,
        )  # fmt: skip
        if proc.returncode != 0:
            failed[rule] = f"{envs[rule]}: {proc.stderr[-1500:]}"
    assert not failed, failed
