"""One declaration of a job's files (emgrepro.job_plan.job_files): what the rules declare,
what the command line takes and what a job reads are the same list; and the paths of a job
that adapts another job's model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, job_files_in
from emgrepro import layout
from emgrepro.config import load
from emgrepro.errors import EmgreproError
from emgrepro.evaluation.run import load_table, run_job
from emgrepro.job_plan import job_files, jobs
from emgrepro.protocols import PROTOCOLS
from emgrepro.scoring import score_rows
from test_protocols import CLASSES, PARAMS, store_subject


@pytest.fixture(scope="module")
def demo_jobs():
    return jobs(load([REPO / "config" / "config.yaml", REPO / "config" / "demo.yaml"]))


def test_every_job_reads_the_windows_of_the_subjects_its_split_needs(demo_jobs):
    for job in demo_jobs:
        files = job_files(job)
        needed = PROTOCOLS.get(job.protocol).subjects_needed(
            job.fold, job.subjects, job.protocol_params
        )
        got = [layout.match(layout.WINDOWS, w) for w in files.windows]
        assert [int(g["subject"]) for g in got] == [int(s) for s in needed], job
        assert {g["prep"] for g in got} == {job.preprocessing}
        signals = [layout.match(layout.SIGNAL, s) for s in files.signals]
        assert signals == got, "each index's signal, in the same order"
        ids = layout.match(layout.SCORES, files.scores)
        assert ids == {k: str(getattr(job, k)) for k in layout.JOB_KEYS}
        assert files.model.endswith((".pt", ".skops"))


def test_adapting_jobs_name_the_checkpoint_they_start_from(demo_jobs):
    by_outputs = {job_files(j).model: j for j in demo_jobs}
    adapting = [j for j in demo_jobs if j.extra.get("parent") or j.extra.get("init")]
    assert adapting, "the demo has few-shot, incremental and pre-trained jobs"
    for job in adapting:
        files = job_files(job)
        for path in [files.parent, *files.init.values()]:
            if path:
                assert path in by_outputs, f"{job}: starts from {path}, which no job makes"
        args = files.input_arguments()
        n = len(files.windows)
        assert args[: 2 + 2 * n] == ["--windows", *files.windows, "--signals", *files.signals]
        assert ("--parent-model" in args) == bool(files.parent)


def test_a_rerun_by_hand_writes_beside_the_run(demo_jobs):
    files = job_files(demo_jobs[0])
    moved = files.under("results/rerun")
    assert moved.windows == files.windows
    assert (
        moved.scores
        == "results/rerun/"
        + layout.path(layout.JOB, **{k: getattr(demo_jobs[0], k) for k in layout.JOB_KEYS})
        + ".csv"
    )


def test_the_windows_given_must_be_those_the_split_reads(tmp_path):
    for s in (1, 2):
        store_subject(tmp_path / f"sub-{s}", s)
    spec = {"protocol": "within_subject", "fold": "1", "subjects": [1, 2],
            "protocol_params": PARAMS, "classes": CLASSES}  # fmt: skip
    sub = {s: (tmp_path / f"sub-{s}" / "windows.npz", tmp_path / f"sub-{s}" / "signal.npy")
           for s in (1, 2)}  # fmt: skip
    assert list(load_table(spec, [sub[1][0]], [sub[1][1]]).subjects) == [1]
    with pytest.raises(EmgreproError, match=r"subject\(s\) \[1\], the files given hold \[2\]"):
        load_table(spec, [sub[2][0]], [sub[2][1]])
    with pytest.raises(EmgreproError, match="--signals: 0 file"):
        load_table(spec, [sub[1][0]], [])


def test_a_job_reads_the_signal_it_is_given_and_no_other(tmp_path):
    """The signal is a declared input: the job reads the file named, not one it finds
    beside the index, and a signal of another length is refused."""
    store_subject(tmp_path / "sub-1", 1)
    moved = tmp_path / "elsewhere" / "filtered.npy"
    moved.parent.mkdir()
    (tmp_path / "sub-1" / "signal.npy").rename(moved)
    spec = {"protocol": "within_subject", "fold": "1", "subjects": [1],
            "protocol_params": PARAMS, "classes": CLASSES}  # fmt: skip
    table = load_table(spec, [tmp_path / "sub-1" / "windows.npz"], [moved])
    assert str(table.subjects[1].signal.filename) == str(moved)
    short = tmp_path / "short.npy"
    np.save(short, np.load(moved)[:-10])
    with pytest.raises(EmgreproError, match="pass the signal.npy written with that index"):
        load_table(spec, [tmp_path / "sub-1" / "windows.npz"], [short])


class _StagedWithin(type(PROTOCOLS.get("within_subject"))):
    """Within-subject, scored by the protocol itself (as recalibration scores its
    sessions): a staged protocol."""

    def score(self, model, split, params, ids):
        test = split.table.subset(split.test)
        return score_rows(test.y, model.predict(test), test.subject, ids), {}


def test_an_adapted_model_scored_in_stages_still_scores_its_base_classes(tmp_path):
    """A job that starts from a parent model and whose protocol scores in stages makes no
    test predictions of its own: the base-class rows predict them."""
    store_subject(tmp_path / "sub-1", 1)
    spec = {
        "paper": "baseline", "experiment": "e", "dataset": "synthetic", "protocol":
        "within_subject", "model": "td_lda", "fold": "1", "seed": 0, "classes": CLASSES,
        "subjects": [1], "model_params": {}, "training": {}, "protocol_params": PARAMS,
    }  # fmt: skip
    base = job_files_in(spec, tmp_path, tmp_path / "base")
    base = dataclasses.replace(base, model=str(tmp_path / "base.skops"))
    run_job(spec, base)
    PROTOCOLS.register("staged_within_test")(_StagedWithin())
    try:
        staged = {**spec, "protocol": "staged_within_test"}
        staged["extra"] = {"parent": {"experiment": "e", "protocol": "within_subject",
                                      "fold": "1", "classes": CLASSES}}  # fmt: skip
        files = job_files_in(staged, tmp_path, tmp_path / "staged", parent=base.model)
        files = dataclasses.replace(files, model=str(tmp_path / "staged.skops"))
        run_job(staged, files)
    finally:
        PROTOCOLS._items.pop("staged_within_test")
    scores = pd.read_csv(files.scores)
    base_classes = scores[scores.metric == "f1_macro_base_classes"]
    assert len(base_classes) == 1 and np.isfinite(base_classes["value"]).all()
    assert set(scores.metric) >= {"f1_macro", "f1_macro_base_model", "f1_macro_base_classes"}
