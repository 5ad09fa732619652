"""The CSAE and its training mechanics: shapes, sparsity term, fine-tuning, extension."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from emgrepro.errors import EmgreproError
from emgrepro.evaluation.cost import count_macs, count_parameters, inference_cost
from emgrepro.models import MODELS, build_model
from emgrepro.models.csae import CSAENet
from emgrepro.preprocess.table import WindowTable
from emgrepro.protocols import PROTOCOLS
from tiny_windows import tiny_subjects


@pytest.mark.parametrize("n_times", [1000, 999, 600, 257])
def test_decoder_mirrors_input_length(n_times):
    net = CSAENet(2, 6, n_times)
    out = net(torch.randn(3, 2, n_times))
    assert out["recon"].shape == (3, 2, n_times)
    assert out["logits"].shape == (3, 6)
    assert (out["latent"] >= 0).all(), "ReLU bottleneck: a non-negative sparse code"
    net.eval()
    assert torch.allclose(
        net.classify(torch.zeros(1, 2, n_times)), net(torch.zeros(1, 2, n_times))["logits"]
    )


def test_models_follow_the_constructor_convention():
    # 12 electrodes x 400 samples: enough for every model's input (Ding's mixing layers
    # span 13 electrode rows with padding)
    for name in MODELS.names():
        est = build_model(name, n_chans=12, n_outputs=4, n_times=400)
        assert (est.n_chans, est.n_outputs, est.n_times) == (12, 4, 400)


def _table(tmp_path, **kwargs):
    return tiny_subjects(tmp_path, **kwargs)


TRAINING = {"max_epochs": 8, "patience": 3, "batch_size": 32, "lr": 3e-3}


def test_csae_learns_and_reconstruction_improves(tmp_path):
    subs = _table(tmp_path, n_subjects=1)
    table = WindowTable(subs, [1, 2, 3])
    split = PROTOCOLS.get("within_subject").split(
        table,
        "1",
        [1],
        {"train_repetitions": [1, 2, 3, 4], "val_repetitions": [4], "test_repetitions": [5, 6]},
        0,
    )
    torch.manual_seed(0)  # weights must not depend on what earlier tests drew
    est = build_model(
        "csae", 2, 3, 200, training=TRAINING, seed=0, filters=[8, 8], latent_chans=4, hidden=16
    )
    info = est.fit(table.subset(split.train), table.subset(split.val))
    # early stopping on the validation windows: the kept model is the best epoch's
    scores = [h["val_score"] for h in est.history]
    assert info["epochs"] == len(est.history) == len(scores)
    assert info["best_val_score"] == pytest.approx(max(scores))
    assert scores[info["best_epoch"] - 1] == pytest.approx(max(scores))
    acc = (est.predict(table.subset(split.test)) == table.y[split.test]).mean()
    assert acc > 0.9
    losses = [h["train_loss"] for h in est.history]
    assert losses[-1] < losses[0]


def test_fine_tune_changes_only_chosen_layers(tmp_path):
    table = WindowTable(_table(tmp_path), [1, 2, 3])
    est = build_model(
        "cnn", 2, 3, 200, training=TRAINING, seed=0, filters=[8, 8], latent_chans=4, hidden=16
    )
    est.fit(table.subset(np.arange(len(table))))
    before = {k: v.clone() for k, v in est.module.state_dict().items()}
    est.fine_tune(
        table.subset(np.arange(50)),
        layers=["final_layer"],
        epochs=2,
        lr=1e-2,
        adapt_batchnorm=False,
    )
    after = est.module.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"final_layer.weight", "final_layer.bias"}
    assert all(p.requires_grad for p in est.module.parameters()), "unfrozen afterwards"


def test_extend_keeps_old_classes_weights(tmp_path):
    table6 = WindowTable(_table(tmp_path, n_classes=4), [1, 2])
    est = build_model(
        "csae", 2, 2, 200, training=TRAINING, seed=0, filters=[8, 8], latent_chans=4, hidden=16
    )
    est.fit(table6.subset(np.arange(len(table6))))
    before = {k: v.clone() for k, v in est.module.state_dict().items()}
    table = WindowTable(list(table6.subjects.values()), [1, 2, 3, 4])
    new_rows = np.flatnonzero(table.y >= 2)
    est.extend(table.subset(new_rows), 2, epochs=3, lr=1e-2)
    after = est.module.state_dict()
    for k in before:
        assert torch.equal(before[k], after[k]), f"{k} changed during extension"
    assert {k for k in after if k not in before} == {
        "new_classes.0.weight",
        "new_classes.0.bias",
        "new_classes.2.weight",
        "new_classes.2.bias",
    }
    assert est.n_outputs == 4
    est.save(tmp_path / "extended.pt")
    again = build_model(
        "csae", 2, 2, 200, training=TRAINING, seed=0, filters=[8, 8], latent_chans=4, hidden=16
    )
    again.load(tmp_path / "extended.pt")
    assert np.array_equal(
        again.predict(table.subset(new_rows)), est.predict(table.subset(new_rows))
    )
    pred = est.predict(table.subset(new_rows))
    assert (pred >= 2).mean() > 0.5, "new classes are predicted after the extension"


def test_checkpoint_round_trip(tmp_path):
    table = WindowTable(_table(tmp_path, n_subjects=1), [1, 2, 3])
    est = build_model(
        "csae", 2, 3, 200, training=TRAINING, seed=0, filters=[8, 8], latent_chans=4, hidden=16
    )
    est.fit(table.subset(np.arange(len(table))))
    est.save(tmp_path / "m.pt")
    other = build_model(
        "csae", 2, 3, 200, training=TRAINING, seed=1, filters=[8, 8], latent_chans=4, hidden=16
    )
    other.load(tmp_path / "m.pt")
    sub = table.subset(np.arange(40))
    assert np.array_equal(est.predict(sub), other.predict(sub))
    np.testing.assert_array_equal(est.mean, other.mean)


def test_few_shot_split_uses_only_the_new_subjects_first_k_trials():
    meta = pd.DataFrame(
        {
            "subject": np.repeat([1, 2], 60),
            "repetition": np.tile(np.repeat(np.arange(1, 7), 10), 2),
            "label": 1,
        }
    )
    proto = PROTOCOLS.get("few_shot_curve")
    params = {"shots": [1, 3], "calibration_repetitions": [1, 2, 3, 4], "test_repetitions": [5, 6]}
    assert proto.folds([1, 2], params) == ["1-k1", "1-k3", "2-k1", "2-k3"]
    assert proto.parent("2-k3", params)["fold"] == "2"
    split = proto.split_rows(meta, "2-k3", [1, 2], params, 0)
    assert set(meta.loc[split.train, "subject"]) == {2}
    assert set(meta.loc[split.train, "repetition"]) == {1, 2, 3}
    assert set(meta.loc[split.test, "repetition"]) == {5, 6}
    assert split.info["condition"] == "k=3"


def test_incremental_split_trains_on_new_classes_plus_rehearsal():
    meta = pd.DataFrame(
        {
            "subject": 1,
            "repetition": np.repeat(np.arange(1, 7), 100),
            "label": np.tile(np.arange(1, 11), 60),
        }
    )
    meta["label_index"] = meta["label"] - 1
    params = {
        "train_repetitions": [1, 2, 3, 4],
        "test_repetitions": [5, 6],
        "rehearsal": 0.25,
        "base_experiment": "base",
    }
    split = PROTOCOLS.get("incremental").split_rows(meta, "pooled", [1], params, 0, n_base=6)
    train = meta.loc[split.train]
    old = train["label_index"] < 6
    assert (~old).sum() == 4 * 40  # every new-class training window
    assert old.sum() == round(0.25 * 6 * 40)
    assert set(meta.loc[split.test, "repetition"]) == {5, 6}


def test_inference_cost_counts():
    est = build_model("csae", n_chans=2, n_outputs=6, n_times=1000)
    cost = inference_cost(est, 2, 1000)
    assert cost["parameters"] == count_parameters(est.module)
    assert cost["inference_parameters"] < cost["parameters"]  # decoder not needed to classify
    conv0 = est.module.encoder[0]
    first = count_macs(lambda x: conv0(x), conv0, torch.randn(1, 2, 1000))
    assert first == 500 * 16 * 2 * 9
    assert cost["macs_per_window"] > first and cost["latency_ms"] > 0


def test_a_classical_model_declares_its_inference_cost(tmp_path):
    """TD+LDA states its own arithmetic; a model that declares none is refused rather than
    costed as another model."""
    from emgrepro.preprocess.table import WindowTable
    from test_protocols import CLASSES, store_subject

    table = WindowTable([store_subject(tmp_path / "sub-1", 1)], CLASSES)
    c, t, k = table.n_chans, table.n_times, len(CLASSES)
    est = build_model("td_lda", n_chans=c, n_outputs=k, n_times=t)
    est.fit(table.subset(np.arange(len(table))))
    cost = inference_cost(est, c, t)
    assert cost["macs_per_window"] == 8 * c * t + 5 * c * k
    assert cost["parameters"] > 0 and cost["latency_ms"] > 0
    with pytest.raises(EmgreproError, match="declares no inference cost"):
        inference_cost(build_model("svm", n_chans=c, n_outputs=k, n_times=t), c, t)
