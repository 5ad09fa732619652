"""Wu et al. 2024: feature definitions, the DB2 window rule, the splits, FIN pre-training,
the checkpoint hand-over to fine-tuning, forward-in-time labels and the audit differences.

Data: the synthetic twin of Ninapro DB2 in its real .mat format, read and windowed by the
package (3 subjects, 5 movements, short trials), so every test runs in seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import REPO, job_files_in, window_files, write_yaml
from emgrepro.config import load
from emgrepro.datasets.synthetic import write_twin
from emgrepro.errors import ConfigError
from emgrepro.features.window_stats import (
    FEATURES,
    subset_window_features,
    window_features,
    window_features_loop,
)
from emgrepro.job_plan import jobs
from emgrepro.models import build_model
from emgrepro.preprocess.subject import preprocess_subject
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows
from emgrepro.protocols import PROTOCOLS

SUBJECTS = [1, 2, 26]
CLASSES = [1, 2, 3, 4, 5]
PREP = {
    "dataset": "ninapro_db2",
    "exercises": [1],
    "filter": None,
    "window": {"length_ms": 300, "step_ms": 100, "label_rule": "endpoints"},
}
TRANSFER = {
    "pretrained_subjects": [1, 2],
    "pretrained_train_repetitions": [6],
    "train_repetitions": [1, 3, 4, 6],
    "test_repetitions": [2, 5],
    "val_fraction": 0.2,
}
SMALL_FIN = {"hidden": 8, "layers": 1, "bidirectional": True}


@pytest.fixture(scope="module")
def db2(tmp_path_factory) -> dict[int, SubjectWindows]:
    root = tmp_path_factory.mktemp("db2")
    archive = root / "db2.zip"
    scale = {"n_movements": 5, "hold_s": 1.0, "rest_s": 0.5}
    write_twin("ninapro_db2", archive, subjects=SUBJECTS, seed=7, scale=scale)
    out = {}
    with zipfile.ZipFile(archive) as zf:
        for s in SUBJECTS:
            raw = root / "raw" / f"sub-{s}"
            raw.mkdir(parents=True)
            (raw / f"S{s}_E1_A1.mat").write_bytes(zf.read(f"DB2_s{s}/S{s}_E1_A1.mat"))
            preprocess_subject(
                "ninapro_db2", s, raw, PREP, *window_files(root / "win" / f"sub-{s}")
            )
            out[s] = SubjectWindows.load(root / "win" / f"sub-{s}")
    return out


def table(db2, subjects=SUBJECTS) -> WindowTable:
    return WindowTable([db2[s] for s in subjects], CLASSES)


# -- features -------------------------------------------------------------------------


def test_features_match_hand_computed_values():
    # one channel, window of 4 samples: x = (0, 0, 0, ln 3) and a constant window (2, 2, 2, 2)
    ln3 = np.log(3.0)
    signal = np.array([[0.0], [0.0], [0.0], [ln3], [2.0], [2.0], [2.0], [2.0]])
    got = window_features(signal, np.array([0, 4]), 4, np.zeros(1), np.ones(1))[:, :, 0]
    # softmax = (1, 1, 1, 3) / 6 -> entropy = 3 * ln(6) / 6 + ln(2) / 2 = ln(12) / 2
    np.testing.assert_allclose(
        got[0], [np.log(12) / 2, ln3 / 2, 3 * ln3**2 / 16, ln3**2], rtol=1e-12
    )
    np.testing.assert_allclose(got[1], [np.log(4), 2.0, 0.0, 16.0], rtol=1e-12, atol=1e-12)
    assert list(FEATURES) == ["ent", "rms", "var", "ssi"]


def test_features_use_the_given_standardisation():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((200, 3))
    raw = 5.0 + 2.0 * z
    starts = np.arange(0, 150, 10)
    a = window_features(raw, starts, 50, np.full(3, 5.0), np.full(3, 2.0))
    b = window_features(z, starts, 50, np.zeros(3), np.ones(3))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_vectorised_features_equal_the_loop_to_1e6_relative():
    rng = np.random.default_rng(0)
    n = 30000
    burst = np.exp(rng.normal(0.0, 1.0, size=(n, 1)))  # heavy tails: softmax near one-hot
    signal = (3 * rng.standard_normal((n, 12)) * burst).astype(np.float32)
    starts = np.arange(0, n - 600, 20)
    starts = np.concatenate([starts[rng.random(starts.size) > 0.4], [3, 11, 29001]])
    rng.shuffle(starts)  # any order, scattered runs, several residues
    mean, sd = signal.mean(axis=0), signal.std(axis=0)
    fast = window_features(signal, starts, 600, mean, sd)
    slow = window_features_loop(signal, starts, 600, mean, sd)
    # entropies that vanish (one sample dominating the softmax) are compared absolutely
    np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-12)


def test_subset_features_follow_subset_order(db2):
    t = table(db2, [1, 2])
    rows = np.random.default_rng(0).permutation(len(t))[:50]
    sub = t.subset(rows)
    mean, sd = np.zeros(12), np.ones(12)
    got = subset_window_features(sub, mean, sd)
    for i, r in enumerate(rows[:5]):
        sw = t.subjects[int(t.meta["subject"][r])]
        start = int(t.meta["start"][r])
        want = window_features_loop(sw.signal, np.array([start]), sw.length, mean, sd)[0]
        np.testing.assert_allclose(got[i], want, rtol=1e-6, atol=1e-12)


# -- window rule and splits -----------------------------------------------------------


def test_db2_windows_are_300ms_every_10ms_style_with_endpoint_rule(db2):
    sw = db2[1]
    assert sw.length == 600 and sw.step == 200 and sw.fs == 2000  # step 100 ms here
    labels = sw.sample_labels
    reps = sw.sample_repetition
    ends = sw.starts + sw.length - 1
    assert (labels[sw.starts] == labels[ends]).all() and (reps[sw.starts] == reps[ends]).all()
    # the table excludes rest (label 0) and keeps the 5 movements
    t = table(db2, [1])
    assert set(t.meta["label"]) == set(CLASSES)
    view = sw.view()
    assert np.shares_memory(view, sw.signal), "windows are views of the stored signal"


def _covered(t: WindowTable, rows: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for r in rows:
        s, a = int(t.meta["subject"][r]), int(t.meta["start"][r])
        out.update((s, i) for i in range(a, a + int(t.n_times)))
    return out


@pytest.mark.parametrize("subject", [1, 26])
def test_subject_transfer_split(db2, subject):
    t = table(db2)
    proto = PROTOCOLS.get("subject_transfer")
    split = proto.split(t, str(subject), SUBJECTS, TRANSFER, 0)
    reps = t.meta["repetition"].to_numpy()
    subj = t.meta["subject"].to_numpy()
    assert set(subj[split.train]) == set(subj[split.test]) == {subject}
    want = {6} if subject in TRANSFER["pretrained_subjects"] else {1, 3, 4, 6}
    assert set(reps[split.train]) == want
    assert set(reps[split.val]) <= want
    assert set(reps[split.test]) == {2, 5}
    assert not set(reps[split.train]) & set(reps[split.test])
    train, val, test = (_covered(t, r) for r in (split.train, split.val, split.test))
    assert not train & val and not train & test and not val & test, "no shared sample"
    assert len(split.val) and len(split.train)


def test_data_efficiency_fractions_shrink_training_and_keep_validation(db2):
    t = table(db2)
    proto = PROTOCOLS.get("subject_transfer")
    params = {**TRANSFER, "fractions": [20, 100]}
    assert proto.folds(SUBJECTS, params)[:2] == ["1-f20", "1-f100"]
    small = proto.split(t, "26-f20", SUBJECTS, params, 0)
    full = proto.split(t, "26-f100", SUBJECTS, params, 0)
    assert 0 < len(small.train) <= 0.5 * len(full.train)
    assert set(small.train) <= set(full.train)
    np.testing.assert_array_equal(small.val, full.val)
    np.testing.assert_array_equal(small.test, full.test)
    assert small.info["condition"] == "fraction=20%"


def test_pooled_subjects_train_on_the_pool_and_test_everyone(db2):
    t = table(db2)
    proto = PROTOCOLS.get("pooled_subjects")
    params = {
        "train_subjects": [1, 2],
        "train_repetitions": [1, 3, 4],
        "val_repetitions": [6],
        "test_repetitions": [2, 5],
    }
    split = proto.split(t, "pool", SUBJECTS, params, 0)
    subj, reps = t.meta["subject"].to_numpy(), t.meta["repetition"].to_numpy()
    assert set(subj[split.train]) == {1, 2} and set(reps[split.train]) == {1, 3, 4}
    assert set(reps[split.val]) == {6}
    assert split.test_subjects == SUBJECTS and set(reps[split.test]) == {2, 5}
    with pytest.raises(ConfigError, match="train_subjects"):
        proto.split(t, "pool", SUBJECTS, {**params, "train_subjects": [9]}, 0)


def test_forward_in_time_pairs_window_i_with_label_of_window_i_plus_p(db2):
    whole = table(db2, [1, 2])
    before = whole.meta.copy()
    proto = PROTOCOLS.get("subject_transfer")
    params = proto.params({**TRANSFER, "ahead_ms": [200]})
    t = proto.prepare(whole, "1-a200", params)  # 200 ms = 2 windows of 100
    assert whole.meta.equals(before), "the job's own table is never changed"
    assert len(t.meta) == len(before) - 2 * 2  # the last 2 windows of each subject go
    for s in (1, 2):
        old = before[before.subject == s]
        new = t.meta[t.meta.subject == s]
        np.testing.assert_array_equal(new["start"], old["start"].iloc[:-2])
        np.testing.assert_array_equal(new["label"], old["label"].iloc[2:])
        np.testing.assert_array_equal(new["label_local"], old["local"].iloc[2:])
    np.testing.assert_array_equal(t.y, t.meta["label_index"])
    # the split of an ahead fold is made on the moved labels: one code path
    split = proto.split(whole, "1-a200", [1, 2], params, 0)
    assert split.table is not whole and len(split.table.meta) == len(t.meta)
    with pytest.raises(ConfigError, match="multiple"):
        proto.prepare(table(db2, [1]), "1-a70", proto.params({**TRANSFER, "ahead_ms": [70]}))


# -- models: pre-training and hand-over -----------------------------------------------


@pytest.fixture(scope="module")
def fitted_fin(db2):
    """A small FIN pre-trained on subject 1, repetitions 1, 3, 4 (validation: 6)."""
    t = table(db2, [1, 2])
    proto = PROTOCOLS.get("pooled_subjects")
    params = {
        "train_subjects": [1],
        "train_repetitions": [1, 3, 4],
        "val_repetitions": [6],
        "test_repetitions": [2, 5],
    }
    split = proto.split(t, "pool", [1, 2], params, 0)
    torch.manual_seed(0)
    training = {"max_epochs": 6, "patience": 6, "batch_size": 240, "lr": 0.02}
    fin = build_model("lstm_fin", 12, 5, 600, training=training, device="cpu", **SMALL_FIN)
    fin.fit(t.subset(split.train), t.subset(split.val))
    return fin, t, split


def test_fin_pretraining_lowers_imitation_error(fitted_fin):
    fin, t, split = fitted_fin
    val = t.subset(split.val)
    torch.manual_seed(0)
    fresh = build_model("lstm_fin", 12, 5, 600, device="cpu", **SMALL_FIN)
    fresh.mean, fresh.sd = fin.mean, fin.sd
    fresh.target_mean, fresh.target_sd = fin.target_mean, fin.target_sd
    trained_mse, fresh_mse = -fin.val_score(val), -fresh.val_score(val)
    assert trained_mse < 0.5 * fresh_mse, (trained_mse, fresh_mse)
    losses = [h["train_loss"] for h in fin.history]
    assert losses[-1] < losses[0]
    scores, arrays = fin.evaluate(t.subset(split.test), {"paper": "wu2024"})
    r2 = scores[scores.metric == "r2_rms"]["value"]
    assert len(r2) == 2 and (r2 > 0).all()  # also on subject 2, outside the pool
    assert arrays["features_pred"].shape == arrays["features_true"].shape


def test_checkpoint_hand_over_from_pretraining_to_fine_tuning(fitted_fin, tmp_path):
    fin, t, _ = fitted_fin
    fin.save(tmp_path / "fin.pt")
    proto = PROTOCOLS.get("subject_transfer")
    split = proto.split(t, "2", [1, 2], TRANSFER, 0)
    train, val = t.subset(split.train), t.subset(split.val)
    cnn_training = {"max_epochs": 2, "patience": 2, "batch_size": 64, "lr": 0.01}
    cnn = build_model("cnn_ii", 12, 5, 600, training=cnn_training, device="cpu")
    cnn.fit(train, val)
    cnn.save(tmp_path / "cnn.pt")
    # every fitted scaling comes from the training windows only
    mean, sd = train.channel_stats()
    np.testing.assert_array_equal(cnn.mean, mean)
    feats = subset_window_features(train, mean, sd)
    np.testing.assert_allclose(cnn.feat_mean, feats.mean(axis=0), rtol=1e-12)

    joint_training = {"max_epochs": 1, "patience": 1, "batch_size": 32, "lr": 0.01}
    joint = build_model(
        "lstm_fin_cnn_ii", 12, 5, 600, training=joint_training, device="cpu", **SMALL_FIN
    )
    joint.initialise({"fin": tmp_path / "fin.pt", "cnn": tmp_path / "cnn.pt"})
    net = joint.module
    assert len(net.fins) == 4 and all(len(copies) == 12 for copies in net.fins)  # 48 FINs
    fin_state = fin.module.state_dict()
    for f, copies in enumerate(net.fins):
        for copy in copies:
            for k, v in copy.state_dict().items():
                assert torch.equal(v, fin_state[f"fins.{f}.{k}"]), (f, k)
    for k, v in net.cnn.state_dict().items():
        assert torch.equal(v, cnn.module.state_dict()[k]), k
    np.testing.assert_allclose(net.fin_mean.numpy(), fin.target_mean, rtol=1e-6)
    np.testing.assert_allclose(net.feat_sd.numpy(), cnn.feat_sd, rtol=1e-6)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    joint.fit(train, val)
    after = net.state_dict()
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert {"fins", "cnn"} <= changed, "both parts are fine-tuned jointly"
    pred = joint.predict(t.subset(split.test))
    assert pred.shape == (len(split.test),)


def test_random_lstms_when_no_fin_is_handed_over(fitted_fin, tmp_path):
    fin, _, _ = fitted_fin
    torch.manual_seed(3)
    joint = build_model("lstm_cnn_ii", 12, 5, 600, device="cpu", **SMALL_FIN)
    w = joint.module.fins[0][0].lstm.weight_ih_l0
    assert not torch.equal(w, fin.module.fins[0].lstm.weight_ih_l0)
    with pytest.raises(Exception, match="unknown pre-trained part"):
        joint.initialise({"decoder": tmp_path / "x.pt"})


def test_the_fin_cnn_declares_only_its_own_parameters():
    """The FIN+CNN inherits the FIN's and the feature CNN's parameters (same names, types
    and defaults) and declares only its own three, so its parts are always built like the
    checkpoints they load; built with no arguments, its parts are the stand-alone models'."""
    from dataclasses import fields

    from emgrepro.models import model_parameters
    from emgrepro.models.feature_cnn import FeatureCNNParams
    from emgrepro.models.lstm_fin import FINParams
    from emgrepro.models.lstm_fin_cnn import FINCNNParams

    own = {"share_channels", "fin_lr", "fin_weight_decay"}
    assert set(FINCNNParams.__annotations__) == own  # nothing inherited is declared again
    assert [f.name for f in fields(FINCNNParams)] == [
        *(f.name for f in fields(FINParams)),
        *(f.name for f in fields(FeatureCNNParams)),
        "share_channels",
        "fin_lr",
        "fin_weight_decay",
    ]
    fin, cnn = model_parameters("lstm_fin"), model_parameters("cnn_ii")
    for name in ("lstm_fin_cnn_ii", "lstm_cnn_ii"):
        joint = model_parameters(name)
        assert set(joint) == set(fin) | set(cnn) | own
        assert {k: joint[k] for k in fin} == fin and {k: joint[k] for k in cnn} == cnn
    joint = build_model("lstm_fin_cnn_ii", 12, 5, 600, device="cpu")
    assert joint.fin == build_model("lstm_fin", 12, 5, 600, device="cpu").fin
    assert joint.cnn == build_model("cnn_ii", 12, 5, 600, device="cpu").arch
    assert joint.fin == {"hidden": 32, "layers": 3, "bidirectional": True}  # the paper's


# -- configuration and audit ----------------------------------------------------------


def _wu_config(tmp_path, **change):
    write_yaml(tmp_path / "c.yaml", {"papers": ["wu2024"], "subjects": {"ninapro_db2": [1, 26]}})
    cfg = load([REPO / "config" / "config.yaml", tmp_path / "c.yaml"])
    for key, value in change.items():
        exp, model = key.split("__")
        cfg["experiments"][exp]["models"][model].update(value)
    return cfg


def test_jobs_carry_the_checkpoints_they_start_from(tmp_path):
    cfg = _wu_config(tmp_path)
    js = {(j.experiment, j.protocol, j.model, j.fold): j for j in jobs(cfg)}
    joint = js[("wu2024", "subject_transfer", "lstm_fin_cnn_ii", "26")]
    assert joint.extra["init"]["fin"]["experiment"] == "wu2024_pretrain"
    assert joint.extra["init"]["cnn"] == {
        "experiment": "wu2024",
        "protocol": "subject_transfer",
        "model": "cnn_ii",
        "fold": "26",
    }
    assert "init_from" not in joint.model_params and "training" not in joint.model_params
    assert joint.training["optimizer"] == "adam" and joint.training["max_epochs"] == 10
    cnn = js[("wu2024", "subject_transfer", "cnn_ii", "26")]
    assert cnn.training["optimizer"] == "adamw" and cnn.training["batch_size"] == 300
    eff = js[("wu2024_data_efficiency", "subject_transfer", "lstm_fin_cnn_ii", "1-f20")]
    assert eff.extra["init"]["cnn"]["fold"] == "1-f20"


def test_bad_init_from_and_training_keys_are_config_errors(tmp_path):
    bad = {"init_from": {"fin": {"experiment": "nope", "model": "lstm_fin"}}}
    with pytest.raises(ConfigError, match="unknown experiment 'nope'"):
        jobs(_wu_config(tmp_path, wu2024__lstm_fin_cnn_ii=bad))
    with pytest.raises(ConfigError, match="unknown key"):
        jobs(_wu_config(tmp_path, wu2024__cnn_ii={"training": {"epochz": 3}}))


# ----------------------------------------------------------------------------- published

WU_TABLE1 = {
    ("ENT", "r2"): (0.98, 0.10),
    ("ENT", "map"): (95.17, 11.78),
    ("RMS", "r2"): (0.99, 0.08),
    ("RMS", "map"): (95.33, 9.47),
    ("SSI", "r2"): (0.96, 0.14),
    ("SSI", "map"): (88.62, 14.43),
    ("VAR", "r2"): (0.98, 0.12),
    ("VAR", "map"): (92.97, 13.06),
}
WU_TABLE2 = {
    ("within", "cnn_i"): (29.40, 2.00),
    ("within", "cnn_ii"): (64.64, 7.70),
    ("within", "svm"): (53.59, 6.47),
    ("within", "lstm_cnn_ii"): (34.57, 8.35),
    ("within", "lstm_fin_cnn_ii"): (65.70, 7.50),
    ("cross", "cnn_i"): (25.13, 1.94),
    ("cross", "cnn_ii"): (77.90, 7.19),
    ("cross", "svm"): (52.91, 7.70),
    ("cross", "lstm_cnn_ii"): (45.41, 6.33),
    ("cross", "lstm_fin_cnn_ii"): (80.06, 6.21),
    ("all", "cnn_i"): (27.80, 1.98),
    ("all", "cnn_ii"): (69.61, 9.86),
    ("all", "svm"): (52.94, 8.42),
    ("all", "lstm_cnn_ii"): (38.64, 9.25),
    ("all", "lstm_fin_cnn_ii"): (71.80, 9.89),
}
WU_TABLE3 = {
    "cnn_i": (31, 12),
    "cnn_ii": (12, 0.46),
    "lstm_cnn_ii": (5, 291),
    "lstm_fin_cnn_ii": (4, 58),
    "lstm_fin": (3, 98),
}


def _wu_published():
    from emgrepro.evaluation.audit import read_published
    from emgrepro.paths import published_csv

    return read_published([published_csv("wu2024")])


def _one(df, **match):
    for col, val in match.items():
        df = df[df[col] == val]
    assert len(df) == 1, match
    return df.iloc[0]


def test_tables_1_to_3_are_registered():
    df = _wu_published()
    t1, t2, t3 = (df[df.table == t] for t in ("table1", "table2", "table3"))
    assert (len(t1), len(t2), len(t3)) == (8, 15, 10)
    for (feature, kind), (mean, sd) in WU_TABLE1.items():
        r = _one(t1, row=feature, metric=f"{kind}_{feature.lower()}")
        assert (r["mean"], r["sd"]) == (mean, sd)
    for (group, model), (mean, sd) in WU_TABLE2.items():
        r = _one(t2, group=group, model=model)
        assert (r["mean"], r["sd"], r["sd_over"]) == (mean, sd, "subjects")
        assert r["n"] == {"within": 25, "cross": 15, "all": 40}[group]
    for model, (epochs, seconds) in WU_TABLE3.items():
        assert _one(t3, model=model, metric="epochs")["mean"] == epochs
        assert _one(t3, model=model, metric="epoch_seconds")["mean"] == seconds


def test_the_published_parameter_count_matches_no_reading_and_says_so():
    """Sec. 3.1 states 22,508 trainable parameters; every plausible reading, counted on the
    built modules, is listed in the registered row's note, and none gives 22,508."""
    from emgrepro.models.lstm_fin import PUBLISHED_PARAMETERS, parameter_readings

    readings = parameter_readings()
    assert PUBLISHED_PARAMETERS not in readings.values()
    assert readings["bidirectional, two bias vectors (PyTorch) (ours)"] == 59201
    note = _one(_wu_published(), row="LSTM trainable parameters")["note"]
    for label, count in readings.items():
        assert f"{label.replace(', ', ' ')}: {count}" in note, label


def test_the_excess_reading_of_three_times_more_data():
    """ "Nearly 3 times more data": repetitions 1, 3, 4 added to 6 are 3 more repetitions;
    with repetitions of equal length the excess is exactly 3 and the plain ratio 4."""
    from emgrepro.evaluation.audit import audit

    row = _one(_wu_published(), row="cross-subject data vs within-subject").to_frame().T
    rows = []
    for _group, subjects, reps in (("cross", range(26, 41), 4), ("within", range(1, 26), 1)):
        for s in subjects:
            rows.append(dict(paper="wu2024", experiment="wu2024", dataset="ninapro_db2",
                             protocol="subject_transfer", model="cnn_ii", subject=s, fold=str(s),
                             condition="", seed=0, n_classes=17, data="real",
                             metric="n_train_windows", value=1000.0 * reps))  # fmt: skip
    scores = pd.DataFrame(rows)
    jobs = pd.DataFrame(
        [dict(experiment="wu2024", protocol="subject_transfer", model="cnn_ii", differences="[]")]
    )
    groups = {"wu2024": {"cross": list(range(26, 41)), "within": list(range(1, 26))}}
    r = audit(row, scores, jobs=jobs, groups=groups).iloc[0]
    assert r["reproduced_mean"] == pytest.approx(3.0) and r["verdict"] == "reproduced"


def test_text_numbers_are_registered_with_bounds_and_sides():
    df = _wu_published()
    txt = df[df.table == "text"]
    assert len(txt[txt.row.str.startswith("R2 exceeding")]) == 4
    assert set(txt[txt.row.str.startswith("R2 exceeding")]["bound"]) == {">="}
    assert set(txt[txt.row.str.startswith("MAP above")]["bound"]) == {">"}
    assert _one(txt, row="CNN-II over SVM all-subject")["bound"] == ">"
    assert _one(txt, row="LSTM-FIN margin low")["versus"] == "model=cnn_ii"
    assert _one(txt, row="LSTM trainable parameters")["mean"] == 22508
    ratio = _one(txt, row="cross-subject data vs within-subject")
    assert (ratio["statistic"], ratio["versus"], ratio["mean"]) == ("excess", "group=within", 3)
    assert "4 by construction" in ratio["note"]
    cross = txt[txt.row.str.endswith("cross vs within")]
    assert sorted(cross["mean"]) == [10.84, 13.26, 14.36]


# ----------------------------------------------------------------------------- forward in time


def _train_by_cli(spec: dict, windows: Path, out: Path) -> dict:
    """Run one job exactly as the train rule does; return its predictions."""
    stem = out / f"{spec['experiment']}-{spec['fold']}"
    cmd = [
        sys.executable, "-m", "emgrepro", "train", "--spec", json.dumps(spec),
        *job_files_in(spec, windows, stem).input_arguments(), "--scores", f"{stem}.csv",
        "--predictions", f"{stem}.npz", "--info", f"{stem}.json", "--model-out", f"{stem}.pt",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(f"{stem}.npz") as z:
        return {k: z[k] for k in z.files} | {"scores": pd.read_csv(f"{stem}.csv")}


def test_a_forward_in_time_job_moves_its_test_labels(db2, tmp_path):
    """A whole wu2024_forward job through the command line: its test labels are those of
    the window ``lead`` later, and the job with no lead equals the plain job."""
    windows = next(iter(db2.values())).signal.filename
    windows = Path(windows).parent.parent  # the folder of sub-<n> windows
    params = {
        "pretrained_subjects": [],
        "pretrained_train_repetitions": [],
        "train_repetitions": [1, 3, 4, 5],
        "test_repetitions": [2, 6],  # rep 6's last windows pair with the next movement
        "val_fraction": 0.2,
    }
    write_yaml(
        tmp_path / "c.yaml",
        {
            "papers": ["wu2024"],
            "subjects": {"ninapro_db2": [26]},
            "experiments": {
                name: {
                    "classes": CLASSES,
                    "protocols": {"subject_transfer": {**params, **extra}},
                    "models": {"cnn_ii": {"training": {"max_epochs": 2}}, "lstm_fin_cnn_ii": None},
                }
                for name, extra in (("wu2024", {}), ("wu2024_forward", {"ahead_ms": [0, 200]}))
            },
        },
    )
    config = load([REPO / "config" / "config.yaml", tmp_path / "c.yaml"])
    specs = {
        (j.experiment, j.fold): j.to_dict()
        for j in jobs(config)
        if j.model == "cnn_ii" and j.experiment in ("wu2024", "wu2024_forward")
    }
    plain = _train_by_cli(specs[("wu2024", "26")], windows, tmp_path)
    now = _train_by_cli(specs[("wu2024_forward", "26-a0")], windows, tmp_path)
    ahead = _train_by_cli(specs[("wu2024_forward", "26-a200")], windows, tmp_path)

    for key in ("y_true", "y_pred", "window", "label_window"):
        np.testing.assert_array_equal(now[key], plain[key])
    acc = [r.loc[r.metric == "accuracy", "value"].item() for r in (plain["scores"], now["scores"])]
    assert acc[0] == acc[1]
    # 200 ms ahead = 2 windows of 100 ms later in the subject's list of movement windows
    kept = table(db2, [26]).meta
    position = {int(w): i for i, w in enumerate(kept["local"])}
    label_of = dict(zip(kept["local"], kept["label_index"]))
    lead = [
        position[int(b)] - position[int(a)] for a, b in zip(ahead["window"], ahead["label_window"])
    ]
    assert set(lead) == {2}
    np.testing.assert_array_equal(
        ahead["y_true"], [label_of[int(b)] for b in ahead["label_window"]]
    )
    own = np.array([label_of[int(a)] for a in ahead["window"]])
    assert (ahead["y_true"] != own).any(), "some test windows now carry the next movement"
    assert ahead["scores"]["condition"].iloc[0] == "ahead=200 ms"
