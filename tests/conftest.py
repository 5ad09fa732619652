"""Shared fixtures: repository paths, the real data in ../shared, running Snakemake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
KHUSHABA_DEV_ZIP = SHARED_DATA / "khushaba-2ch-dev.zip"
DB1_S1_E1 = SHARED_DATA / "ninapro-db1-S1_A1_E1.mat"


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: real data live in ../shared/data beside the repository")
    return path


@pytest.fixture
def khushaba_dev_zip() -> Path:
    return need_shared(KHUSHABA_DEV_ZIP)


def snakemake_env() -> dict:
    """The environment of a fresh shell: the project's venv is not on PATH (jobs must
    find their interpreter without it)."""
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.pop("VIRTUAL_ENV", None)
    return env


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, timeout: int = 1800
) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile with ``workdir`` as its working directory."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *args,
    ]
    proc = subprocess.run(
        cmd, cwd=workdir, env=snakemake_env(), capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout[-5000:]}\n--- stderr ---\n{proc.stderr[-8000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The whole demo (every paper on the synthetic twins), run once for every test that
    reads its results: the paper tests look at their own paper's rows and report."""
    workdir = tmp_path_factory.mktemp("demo")
    run_snakemake(workdir, "--cores", "2", "--configfile", str(REPO / "config" / "demo.yaml"))
    return workdir


# The real Khushaba subset at test size (the full config trains longer, windows every 50 ms
# and runs three seeds): windows every 100 ms, at most 15 epochs, one seed, 10 epochs of
# few-shot fine-tuning and of incremental extension (15 and 20 in the full config), no
# few-shot curve (the demo runs it); Hristov's four protocols, their leaky twins and the
# TD+LDA baseline (the CNN ablation runs in the demo: on real data it would double the deep
# jobs), and the classical baseline paper on the same windows.
KHUSHABA_REAL_SUBJECTS = [1, 2, 4, 5]
KHUSHABA_REAL_SETTINGS = {
    "papers": ["baseline", "hristov2026"],
    "preprocessing": {"khushaba_250ms": {"window": {"step_ms": 100}}},
    "experiments": {
        "hristov2026_6class": {
            "seeds": [0],
            "training": {"max_epochs": 15, "patience": 4},
            "protocols": {
                "few_shot": {"fine_tune": {"epochs": 10}},
                "few_shot_window_split": {"fine_tune": {"epochs": 10}},
                "few_shot_curve": None,
            },
            "models": {"cnn": None},
        },
        "hristov2026_10class": {
            "seeds": [0],
            "training": {"max_epochs": 15, "patience": 4},
            "protocols": {
                "incremental": {"epochs": 10},
                "incremental_window_split": {"epochs": 10},
            },
            "models": {"cnn": None},
        },
    },
}


@pytest.fixture(scope="session")
def khushaba_real_run(tmp_path_factory) -> Path:
    """One Snakemake run on the real Khushaba subset (../shared/data), read by the baseline
    and the Hristov 2026 tests: a user's local mirror, pointed at by ``sources``."""
    zip_path = need_shared(KHUSHABA_DEV_ZIP)
    workdir = tmp_path_factory.mktemp("khushaba_real_run")
    write_yaml(
        workdir / "real.yaml",
        {
            **KHUSHABA_REAL_SETTINGS,
            "sources": {"khushaba_2ch": str(zip_path)},
            "subjects": {"khushaba_2ch": KHUSHABA_REAL_SUBJECTS},
            "checksum_lock": str(workdir / "checksums.lock"),
        },
    )
    run_snakemake(workdir, "--cores", "2", "--configfile", "real.yaml")
    return workdir


def write_yaml(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def window_files(folder: Path) -> tuple[Path, Path]:
    """A subject's filtered signal and window index in ``folder``, named as the workflow
    names them (layout.SIGNAL, layout.WINDOWS)."""
    from emgrepro import layout

    return tuple(Path(folder) / Path(p).name for p in (layout.SIGNAL, layout.WINDOWS))


def job_files_in(spec: dict, windows_root: Path, stem: Path, parent: Path | None = None):
    """The files of a job whose windows a test wrote as ``windows_root/sub-<s>/``: the
    windows of the subjects its split reads, and its outputs named ``stem.<suffix>``."""
    from emgrepro.job_plan import JobFiles
    from emgrepro.protocols import PROTOCOLS

    needed = PROTOCOLS.get(spec["protocol"]).subjects_needed(
        spec["fold"], spec["subjects"], spec["protocol_params"]
    )
    return JobFiles(
        windows=tuple(str(Path(windows_root) / f"sub-{s}" / "windows.npz") for s in needed),
        signals=tuple(str(Path(windows_root) / f"sub-{s}" / "signal.npy") for s in needed),
        parent=str(parent) if parent else None,
        init={},
        scores=f"{stem}.csv",
        predictions=f"{stem}.npz",
        info=f"{stem}.json",
        model=f"{stem}.pt",
    )
