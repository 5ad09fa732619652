"""Same config and seeds, same numbers: the demo slice run twice, and a PyTorch model
trained twice.

The Snakemake test runs the classical baseline slice (TD features + LDA on the synthetic
Khushaba twin, 3 subjects, the 6-class experiment) in two fresh working directories and
compares the gathered table byte for byte and every job's predictions array by array.
The fast tests train the ``cnn`` model twice on tiny windows, as a job does: the global
generators seeded by ``seed_everything`` first, then the model built with the same seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO, run_snakemake, write_yaml
from emgrepro.evaluation.run import seed_everything
from emgrepro.models import build_model
from emgrepro.preprocess.table import WindowTable
from emgrepro.protocols import PROTOCOLS
from tiny_windows import tiny_subjects

DEMO = str(REPO / "config" / "demo.yaml")

# The smallest slice that still runs every baseline protocol: 3 subjects (LOSO needs a
# test, a validation and a training subject) and the 6-class experiment only. The 10-class
# experiment runs the same code on more classes; leaving out its only model (``null``)
# drops its jobs and halves the run on a busy 2-core machine.
SMALL = {
    "papers": ["baseline"],
    "synthetic": {"subjects": {"khushaba_2ch": 3}},
    "experiments": {"baseline_10class": {"models": {"td_lda": None}}},
}


def run_slice(workdir: Path) -> None:
    write_yaml(workdir / "small.yaml", SMALL)
    run_snakemake(workdir, "results/scores.csv", "--cores", "2", "--configfile", DEMO, "small.yaml")


@pytest.mark.slow
def test_two_runs_of_the_slice_are_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    run_slice(a)
    run_slice(b)

    table_a = (a / "results" / "scores.csv").read_bytes()
    assert table_a == (b / "results" / "scores.csv").read_bytes()
    assert table_a.count(b"\n") > 1, "the gathered table has rows"

    jobs_a = sorted(p.relative_to(a) for p in (a / "results" / "scores").rglob("*.npz"))
    jobs_b = sorted(p.relative_to(b) for p in (b / "results" / "scores").rglob("*.npz"))
    assert jobs_a == jobs_b
    assert len(jobs_a) == 7, "3 within-subject + 1 multi-subject + 3 LOSO jobs"
    for rel in jobs_a:
        # the per-job score tables too (the .json beside them holds timings: not compared)
        assert (a / rel).with_suffix(".csv").read_bytes() == (b / rel).with_suffix(
            ".csv"
        ).read_bytes(), rel
        with np.load(a / rel) as pa, np.load(b / rel) as pb:
            assert sorted(pa.files) == sorted(pb.files), rel
            assert {"y_true", "y_pred", "subject", "classes"} <= set(pa.files)
            for key in pa.files:
                np.testing.assert_array_equal(pa[key], pb[key], err_msg=f"{rel}: {key}")


# -- a PyTorch model trained twice ---------------------------------------------------------


@pytest.fixture
def restore_torch_globals():
    """``seed_everything`` sets process-wide torch state: put it back for other tests."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    rng = torch.get_rng_state()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    torch.set_rng_state(rng)


def _table(tmp_path, **kwargs):
    return tiny_subjects(tmp_path, **{"n_subjects": 1, **kwargs})


TRAINING = {"max_epochs": 2, "patience": 2, "batch_size": 16, "lr": 3e-3}


@pytest.fixture
def tiny_split(tmp_path):
    table = WindowTable(_table(tmp_path), [1, 2, 3])
    split = PROTOCOLS.get("within_subject").split(
        table,
        "1",
        [1],
        {"train_repetitions": [1, 2, 3, 4], "val_repetitions": [4], "test_repetitions": [5, 6]},
        0,
    )
    return table.subset(split.train), table.subset(split.val), table.subset(split.test)


def _train_cnn(split, seed: int, global_seed: int | None = None):
    """What a job does: seed every generator, build the model with the seed, fit, predict."""
    train, val, test = split
    seed_everything(seed if global_seed is None else global_seed)
    est = build_model(
        "cnn",
        n_chans=2,
        n_outputs=3,
        n_times=200,
        training=TRAINING,
        device="cpu",
        seed=seed,
        filters=[8, 8],
        latent_chans=4,
        hidden=16,
        pool_steps=1,
    )
    est.fit(train, val)
    state = {k: v.detach().clone() for k, v in est.module.state_dict().items()}
    return est.predict(test), est.logits(test), state, est.history


def _same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cnn_trained_twice_with_the_same_seed_is_identical(tiny_split, restore_torch_globals):
    pred1, logits1, state1, hist1 = _train_cnn(tiny_split, seed=0)
    pred2, logits2, state2, hist2 = _train_cnn(tiny_split, seed=0)
    assert len(pred1) == len(tiny_split[2]) > 0
    np.testing.assert_array_equal(pred1, pred2)
    np.testing.assert_array_equal(logits1, logits2)
    assert _same_state(state1, state2)
    untimed = [
        [{k: v for k, v in h.items() if k != "seconds"} for h in hist] for hist in (hist1, hist2)
    ]
    assert untimed[0] == untimed[1], "same losses and validation scores epoch by epoch"


def test_cnn_with_another_seed_learns_other_weights(tiny_split, restore_torch_globals):
    _, _, state0, _ = _train_cnn(tiny_split, seed=0)
    # another seed everywhere, as a job with `seeds: [1]` runs
    _, _, state1, _ = _train_cnn(tiny_split, seed=1)
    assert not _same_state(state0, state1)
    weights = [k for k in state0 if k.endswith("weight")]
    assert all(not torch.equal(state0[k], state1[k]) for k in weights if "encoder.0" in k)
    # the model's own seed alone (batch order) already changes the trained weights
    _, _, state_shuffle, _ = _train_cnn(tiny_split, seed=1, global_seed=0)
    assert not _same_state(state0, state_shuffle)
