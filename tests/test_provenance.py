"""provenance.json: every installed package, and only the files the run really read."""

from __future__ import annotations

from importlib import metadata

from emgrepro.provenance import input_files, installed_packages


def test_only_real_inputs_are_hashed(tmp_path):
    raw = tmp_path / "raw" / "khushaba_2ch"
    (raw / "S1").mkdir(parents=True)
    (raw / "S1" / "HC-1.csv").write_text("1,2\n")
    (raw / ".snakemake_timestamp").write_text("")  # what Snakemake leaves in directory()
    (raw / "S1" / ".snakemake_timestamp").write_text("")
    single = tmp_path / "one.mat"
    single.write_bytes(b"\x00\x01")
    assert input_files([raw, single]) == [single, raw / "S1" / "HC-1.csv"]


def test_every_installed_package_is_recorded():
    packages = installed_packages()
    installed = {d.metadata["Name"].lower().replace("_", "-") for d in metadata.distributions()}
    assert set(packages) == installed
    for name in ("numpy", "torch", "snakemake", "threadpoolctl", "nbformat", "pytest"):
        assert packages[name] == metadata.version(name), name
