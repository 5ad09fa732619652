"""What produced the results: config, input hashes, package versions, commit, host."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from emgrepro.fetch.checksums import sha256_file
from emgrepro.io import write_text
from emgrepro.paths import ROOT

# The packages the reports name; "packages" in the record holds every installed one.
PACKAGES = (
    "emgrepro",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "torch",
    "mne",
    "snakemake",
    "papermill",
    "seaborn",
    "matplotlib",
)


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _device() -> dict:
    try:
        import torch

        cuda = torch.cuda.is_available()
        return {
            "torch_cuda": cuda,
            "gpu": torch.cuda.get_device_name(0) if cuda else None,
        }
    except ImportError:  # pragma: no cover
        return {"torch_cuda": False, "gpu": None}


def is_bookkeeping(path: Path) -> bool:
    """Snakemake's own files inside an output folder (``.snakemake_timestamp`` and the
    like): they say when a folder was made, not what the run read."""
    return any(part.startswith(".snakemake") for part in path.parts)


def input_files(inputs: list[Path]) -> list[Path]:
    """The data files among ``inputs`` (files, or folders searched recursively)."""
    files = []
    for p in sorted(Path(i) for i in inputs):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file())
            files += [f for f in found if not is_bookkeeping(f.relative_to(p))]
        else:
            files.append(p)
    return files


def installed_packages() -> dict[str, str]:
    """Every distribution the interpreter can import from, by name: the first of a name on
    ``sys.path`` wins, as for imports."""
    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            out.setdefault(name.lower().replace("_", "-"), dist.version)
    return dict(sorted(out.items()))


def collect(config: dict, inputs: list[Path]) -> dict:
    """Provenance record for a run that read ``inputs`` (files or folders of files)."""
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "config": config,
        "inputs_sha256": {str(f): sha256_file(f) for f in input_files(inputs)},
        "versions": {"python": platform.python_version(), **versions},
        "packages": installed_packages(),
        "git": {
            "commit": _git("rev-parse", "HEAD") or None,
            "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        },
        "host": {
            "hostname": platform.node(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "device": _device(),
    }


def write(config: dict, inputs: list[Path], out: Path) -> None:
    write_text(out, json.dumps(collect(config, inputs), indent=2, sort_keys=True, default=str))
