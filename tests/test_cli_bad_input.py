"""Every subcommand answers bad input with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emgrepro.cli import main


def _one_line_error(capsys, argv: list[str]) -> str:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's refusal of an argument
        code = exit_.code
    err = capsys.readouterr().err
    assert code not in (0, None), err
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if f"emgrepro {argv[0]}: error:" in ln]
    assert len(lines) == 1 and len(err.strip().splitlines()) == 1, err
    return lines[0]


def test_fetch_plan_that_is_not_an_object(capsys, tmp_path):
    line = _one_line_error(capsys, ["fetch", "--plan", "[1,2]", "--lock", "l", "--out", "o"])
    assert "--plan" in line and "JSON object" in line


def test_preprocess_settings_missing_their_window(capsys, tmp_path):
    prep = json.dumps({"dataset": "khushaba_2ch"})
    argv = ["preprocess", "--prep", prep, "--subject", "1", "--raw", str(tmp_path)]
    out = ["--signal", str(tmp_path / "out" / "signal.npy")]
    out += ["--windows", str(tmp_path / "out" / "windows.npz")]
    line = _one_line_error(capsys, [*argv, *out])
    assert "--prep" in line and "window" in line
    assert not (tmp_path / "out").exists()


def _train(tmp_path, spec: str, windows: str | None = None) -> list[str]:
    if windows is None:  # a file that exists: the argument under test comes later
        windows = str(tmp_path / "windows.npz")
        Path(windows).touch()
    return [
        "train", "--spec", spec, "--windows", windows, "--signals", windows,
        "--scores", str(tmp_path / "s.csv"), "--predictions", str(tmp_path / "p.npz"),
        "--info", str(tmp_path / "s.json"), "--model-out", str(tmp_path / "m.pt"),
    ]  # fmt: skip


def test_train_with_an_empty_spec_names_the_missing_keys(capsys, tmp_path):
    line = _one_line_error(capsys, _train(tmp_path, "{}"))
    assert "--spec: missing paper, experiment" in line


def test_train_with_a_missing_windows_file(capsys, tmp_path):
    missing = str(tmp_path / "nonexistent" / "windows.npz")
    line = _one_line_error(capsys, _train(tmp_path, "{}", missing))
    assert "--windows" in line and "windows.npz: no such file" in line


def test_a_cpu_only_model_given_a_gpu_device(capsys, tmp_path):
    """A scikit-learn model's job spec asking for cuda is refused before anything is read
    (the job plan gives such models 'cpu'; a spec written by hand may not)."""
    from conftest import REPO
    from emgrepro.config import load
    from emgrepro.job_plan import jobs, uses_gpu

    config = load([REPO / "config" / "config.yaml", REPO / "config" / "demo.yaml"])
    job = next(j for j in jobs(config) if not uses_gpu(j.model))
    assert job.device == "cpu"
    spec = json.dumps({**job.to_dict(), "device": "cuda"})
    line = _one_line_error(capsys, _train(tmp_path, spec))
    assert f"model '{job.model}' declares no GPU use" in line and "not 'cuda'" in line
    assert not (tmp_path / "s.csv").exists()
    spec = json.dumps({**job.to_dict(), "model": "no_such_model"})
    assert "unknown model 'no_such_model'" in _one_line_error(capsys, _train(tmp_path, spec))


def test_gather_of_a_missing_file(capsys, tmp_path):
    argv = ["gather", "--out", str(tmp_path / "g.csv"), str(tmp_path / "nonexistent.csv")]
    line = _one_line_error(capsys, argv)
    assert "nonexistent.csv: no such file" in line
    assert not (tmp_path / "g.csv").exists()


def test_gather_of_nothing_is_an_error(capsys, tmp_path):
    line = _one_line_error(capsys, ["gather", "--out", str(tmp_path / "g.csv")])
    assert "no score files given" in line
    assert not (tmp_path / "g.csv").exists()


def test_synthesize_with_subjects_that_are_not_numbers(capsys, tmp_path):
    argv = ["synthesize", "--dataset", "khushaba_2ch", "--subjects", "a,b", "--seed", "0"]
    line = _one_line_error(capsys, [*argv, "--out", str(tmp_path / "t.zip")])
    assert "'a,b' is not a comma-separated list of subject numbers" in line


def test_audit_with_missing_inputs(capsys, tmp_path):
    argv = ["audit", "--scores", str(tmp_path / "scores.csv"), "--provenance", "p.json"]
    line = _one_line_error(capsys, [*argv, "--out", str(tmp_path / "a.csv"), "pub.csv"])
    assert "scores.csv: no such file" in line


def test_report_of_a_missing_notebook(capsys, tmp_path):
    argv = ["report", "--notebook", str(tmp_path / "nonexistent.py")]
    line = _one_line_error(capsys, [*argv, "--out-notebook", "o.ipynb", "--html", "o.html"])
    assert "nonexistent.py: no such file" in line


@pytest.mark.parametrize("init", ["fin", f"fin={'/nonexistent/fin.pt'}"])
def test_train_with_a_bad_init_part(capsys, tmp_path, init):
    spec = json.dumps({"paper": "x"})
    argv = [*_train(tmp_path, spec), "--init", init]
    line = _one_line_error(capsys, argv)
    assert "--init" in line


def test_an_unexpected_failure_is_one_line_too(capsys, tmp_path, monkeypatch):
    """The safety net: an error no check foresaw still reads as one line, with the way to
    see its traceback."""
    import emgrepro.cli as cli

    def broken(_args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "cmd_papers", broken)
    line = _one_line_error(capsys, ["papers"])
    assert "KeyError" in line and "EMGREPRO_TRACEBACK=1" in line
