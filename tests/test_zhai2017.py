"""Zhai et al. 2017: the correction rules, the recalibration loop (pseudo-labels only, in
session order), rest as a class of repetition splits, the spectrogram PCA fitted on training
windows only, the drift twin, the published numbers and the paper's demo.

Data: synthetic twins of Ninapro DB2 in the real .mat format, read and windowed by the
package (3 subjects, 3 movements + rest, 2 s holds), one stationary and one whose class
patterns drift across repetitions; the classifier of the loop tests is the fast SVM.
"""

from __future__ import annotations

import copy
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from conftest import REPO, window_files
from emgrepro.config import load
from emgrepro.datasets.synthetic import write_twin
from emgrepro.evaluation.run import seed_everything
from emgrepro.features.spectrogram import SpectrogramPCA, segment_spectrograms
from emgrepro.job_plan import jobs
from emgrepro.models import RECALIBRATE, build_model, capabilities
from emgrepro.paths import published_csv
from emgrepro.preprocess.subject import preprocess_subject
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows, rest_repetitions
from emgrepro.protocols import PROTOCOLS
from emgrepro.protocols.recalibration import correct, correct_median, correct_mode

SUBJECTS = [1, 2, 26]
CLASSES = [0, 1, 2, 3]  # rest and three movements of exercise B
SCALE = {"n_movements": 3, "hold_s": 2.0, "rest_s": 1.0}
PREP = {
    "dataset": "ninapro_db2",
    "exercises": [1],
    "filter": None,
    "rest_repetition": "preceding",
    "window": {"length_ms": 200, "step_ms": 100, "label_rule": "constant"},
}
RECAL = {
    "train_repetitions": [1],
    "session_repetitions": [2, 3, 4, 5, 6],
    "neighbours": 2,
    "rule": "median",
    "fine_tune_epochs": 5,
    "fine_tune_lr": 0.001,
}
SESSIONS = ["I", "II", "III", "IV", "V"]


def _twin(root: Path, drift: float) -> dict[int, SubjectWindows]:
    archive = root / "db2.zip"
    write_twin("ninapro_db2", archive, subjects=SUBJECTS, seed=3, scale={**SCALE, "drift": drift})
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


@pytest.fixture(scope="module")
def stationary(tmp_path_factory) -> dict[int, SubjectWindows]:
    return _twin(tmp_path_factory.mktemp("stationary"), 0.0)


@pytest.fixture(scope="module")
def drifting(tmp_path_factory) -> dict[int, SubjectWindows]:
    return _twin(tmp_path_factory.mktemp("drift"), 0.5)


def ids(fold: str, model: str = "zhai_svm") -> dict:
    return {
        "paper": "zhai2017",
        "experiment": "test",
        "dataset": "ninapro_db2",
        "protocol": "recalibration",
        "model": model,
        "fold": fold,
        "seed": 0,
        "n_classes": len(CLASSES),
        "data": "synthetic",
    }


def svm(table: WindowTable):
    seed_everything(0)
    return build_model(
        "zhai_svm", n_chans=12, n_outputs=len(CLASSES), n_times=table.n_times, fs=2000.0, seed=0
    )


def run_fold(windows: dict, subject: int, scenario: str, model=None, split=None):
    """Train on repetition 1 and go through the five sessions; (scores, arrays, model)."""
    proto = PROTOCOLS.get("recalibration")
    fold = f"{subject}-{scenario}"
    if split is None:
        split = proto.split(WindowTable([windows[subject]], CLASSES), fold, SUBJECTS, RECAL, 0)
    model = model or svm(split.table)
    model.fit(split.table.subset(split.train), None)
    scores, arrays = proto.score(model, split, RECAL, ids(fold))
    return scores, arrays, model


def session_accuracy(scores: pd.DataFrame, scenario: str) -> np.ndarray:
    acc = scores[scores["metric"] == "accuracy"].set_index("condition")["value"]
    return np.array([acc[f"{scenario} session={s}"] for s in SESSIONS])


# ----------------------------------------------------------------------------- correction


def test_mode_rule_on_hand_made_sequences():
    pred = np.array([0, 0, 1, 0, 0, 2, 2, 2, 1, 2])
    # +-1: the lone 1 at position 2 and the lone 1 at position 8 are outvoted; the edges
    # see two windows only
    assert correct_mode(pred, 1, 3).tolist() == [0, 0, 0, 0, 0, 2, 2, 2, 2, 2]
    assert correct_mode(pred, 0, 3).tolist() == pred.tolist()  # no neighbours: unchanged
    # ties: the window's own label when tied, else the lowest tied label
    assert correct_mode(np.array([0, 1]), 1, 2).tolist() == [0, 1]
    assert correct_mode(np.array([0, 0, 2, 1, 1]), 2, 3)[2] == 0
    assert correct_mode(np.array([0, 2, 1]), 1, 3)[1] == 2


def test_median_rule_on_hand_made_sequences():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    # window 1: medians over rows 0-2 are (0.6, 0.4): its own 0.8 for class 1 is outvoted
    assert correct_median(scores, 1).tolist() == [0, 0, 1, 1, 1]
    # the median weighs every class's scores, the mode only the winners: three windows
    # whose winners all differ (a three-way tie keeps the middle one's own label, 2) but
    # whose middle class scores second everywhere
    split = np.array([[0.5, 0.45, 0.05], [0.05, 0.45, 0.5], [0.3, 0.4, 0.3]])
    assert correct(split, "mode", 1)[1] == 2
    assert correct(split, "median", 1)[1] == 1
    assert correct(scores, "mode", 1).tolist() == correct_mode(scores.argmax(1), 1, 2).tolist()


def test_rest_belongs_to_the_preceding_repetition():
    labels = np.array([0, 0, 5, 5, 0, 0, 5, 5, 0, 0, 7, 7, 0])
    rep = np.array([0, 0, 1, 1, 0, 0, 2, 2, 0, 0, 1, 1, 0])
    segments = [(0, 9), (9, 13)]  # two files: rest never crosses a file boundary
    got = rest_repetitions(labels, rep, segments, "preceding")
    # the rest before a file's first movement follows nothing: it stays 0
    assert got.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1, 1, 1]
    assert rest_repetitions(labels, rep, segments, "none").tolist() == rep.tolist()


def test_rest_is_a_class_of_every_repetition(stationary):
    t = WindowTable([stationary[1]], CLASSES)
    for r in range(1, 7):
        assert set(t.meta.loc[t.meta["repetition"] == r, "label"]) == set(CLASSES), r
    assert (t.meta.loc[t.meta["repetition"] == 0, "label"] == 0).all(), "only leading rest"


# ----------------------------------------------------------------------------- the loop


class Recorder:
    """A stand-in classifier: fixed class scores per window; records what it is given."""

    capabilities = frozenset({RECALIBRATE})

    def __init__(self, n_classes: int):
        self.n_classes = n_classes
        self.seen: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.meta = None  # the (blind) table the sessions came from

    def class_scores(self, data):
        assert (data.y == -1).all() and "label" not in data.table.meta, "a blind table only"
        self.meta = data.table.meta
        local = data.table.meta["local"].to_numpy()[data.rows]
        rng = np.random.default_rng(local)  # depends on the windows, nothing else
        self.seen.append(("predict", data.rows.copy(), data.y.copy()))
        return rng.random((len(data), self.n_classes)) + np.eye(self.n_classes)[local % 4]

    def recalibrate(self, data, *, epochs, lr):
        assert "label" not in data.table.meta, "recalibration never sees a labelled table"
        self.seen.append(("recalibrate", data.rows.copy(), data.y.copy()))
        return {}


@pytest.mark.parametrize("scenario", ["none", "all_session", "last_only"])
def test_the_loop_recalibrates_on_pseudo_labels_in_session_order(stationary, scenario):
    proto = PROTOCOLS.get("recalibration")
    table = WindowTable([stationary[1]], CLASSES)
    split = proto.split(table, f"1-{scenario}", SUBJECTS, RECAL, 0)
    model = Recorder(len(CLASSES))
    scores, arrays = proto.score(model, split, RECAL, ids(f"1-{scenario}"))
    rep, start = model.meta["repetition"].to_numpy(), model.meta["start"].to_numpy()
    predicted = [rows for kind, rows, _ in model.seen if kind == "predict"]
    updates = [(rows, y) for kind, rows, y in model.seen if kind == "recalibrate"]
    # sessions I-V in order, each in time order, predicted before any update that uses them
    assert [int(np.unique(rep[rows])[0]) for rows in predicted] == [2, 3, 4, 5, 6]
    assert all((np.diff(start[rows]) > 0).all() for rows in predicted)
    kinds = [kind for kind, _, _ in model.seen]
    if scenario == "none":
        assert kinds == ["predict"] * 5
    else:  # predict a session, then recalibrate on it; nothing after the last session
        assert kinds == ["predict", "recalibrate"] * 4 + ["predict"]
    assert len(updates) == (0 if scenario == "none" else 4)
    train_rows = split.train
    for k, (rows, y) in enumerate(updates):
        # every window of the stream is updated on, with its pseudo-label (never its truth)
        n_stream = [r.size for r in predicted[: k + 1]]
        if scenario == "last_only":
            assert rows.tolist() == predicted[k].tolist() and y.size == n_stream[-1]
        else:  # initial training windows with their labels, then every corrected session
            want_rows = np.concatenate([train_rows, *predicted[: k + 1]])
            assert rows.tolist() == want_rows.tolist()
            assert y[: train_rows.size].tolist() == table.y[train_rows].tolist()
        in_table = predicted[k][predicted[k] < len(table.meta)]
        truth = table.y[in_table]
        pseudo_in_table = y[-n_stream[-1] :][predicted[k] < len(table.meta)]
        assert not np.array_equal(pseudo_in_table, truth), "pseudo-labels, not the truth"
    # the scored windows' corrections are their stream's
    assert arrays["stream_windows"].tolist() == [r.size for r in predicted]
    # one score per session, named by scenario and session
    conds = scores.loc[scores["metric"] == "accuracy", "condition"].tolist()
    assert conds == [f"{scenario} session={s}" for s in SESSIONS]


@pytest.mark.parametrize("classes", [CLASSES, CLASSES[1:3]])
def test_a_session_arrives_as_a_stream(stationary, classes):
    """Every grid window whose middle lies in the session, during a movement of the
    experiment or the rest after it, in time order: transitions and rest included even
    when rest is no class of the experiment; the scored windows are among them."""
    from emgrepro.protocols.recalibration import run_movement, session_streams

    sw = stationary[1]
    table = WindowTable([sw], classes)
    grown, streams = session_streams(table, 1, [2, 3, 4, 5, 6])
    meta = grown.meta
    movement = run_movement(sw.sample_labels, sw.segment_bounds())
    for r, rows in zip([2, 3, 4, 5, 6], streams):
        start = meta["start"].to_numpy()[rows]
        assert (np.diff(start) == sw.step).any() and (np.diff(start) > 0).all(), "time order"
        middle = start + sw.length // 2
        assert (sw.sample_repetition[middle] == r).all()
        assert set(movement[middle]) <= set(c for c in classes if c != 0)
        # nothing removed by its label: every grid window of the session's runs is there
        grid = sw.grid()
        gm = grid + sw.length // 2
        want = grid[(sw.sample_repetition[gm] == r) & np.isin(movement[gm], classes)]
        assert start.tolist() == want.tolist()
        labels = meta["label"].to_numpy()[rows]
        assert 0 in set(labels), "rest windows arrive too"
        held = (table.meta["repetition"] == r).to_numpy().nonzero()[0]
        assert set(held) <= set(rows.tolist()), "every scored window is in the stream"
        assert rows.size > held.size, "transitions and rest beyond the scored windows"
        assert (grown.y[rows[~np.isin(rows, held)]] == -1).all(), "added windows: no class"


def test_scrambled_test_labels_change_nothing_but_the_scores(stationary):
    proto = PROTOCOLS.get("recalibration")
    table = WindowTable([stationary[2]], CLASSES)
    split = proto.split(table, "2-last_only", SUBJECTS, RECAL, 0)
    scrambled = copy.copy(split)
    scrambled.table = copy.copy(table)
    y = table.y.copy()
    y[split.test] = np.random.default_rng(0).permutation(y[split.test])
    scrambled.table.y = y
    a_scores, a, _ = run_fold(stationary, 2, "last_only", split=split)
    b_scores, b, _ = run_fold(stationary, 2, "last_only", split=scrambled)
    for key in ("y_pred", "y_corrected", "session", "window"):
        assert np.array_equal(a[key], b[key]), key
    assert not np.array_equal(a["y_true"], b["y_true"])
    assert not np.allclose(
        session_accuracy(a_scores, "last_only"), session_accuracy(b_scores, "last_only")
    )


def _gains(windows: dict, scenarios: list[str]) -> tuple[np.ndarray, dict]:
    """Accuracy per subject and session without recalibration, and each scenario's gain
    over it per (subject, session II-V)."""
    none = np.array([session_accuracy(run_fold(windows, s, "none")[0], "none") for s in SUBJECTS])
    out = {}
    for scenario in scenarios:
        mine = np.array(
            [session_accuracy(run_fold(windows, s, scenario)[0], scenario) for s in SUBJECTS]
        )
        out[scenario] = (mine[:, 1:] - none[:, 1:]).ravel()
    return none, out


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def test_recalibration_gains_under_drift_and_not_without(stationary, drifting):
    """Class patterns that drift across sessions: recalibration on corrected predictions
    keeps up with them; on a stationary twin it has nothing to keep up with."""
    _, still = _gains(stationary, ["all_session", "last_only"])
    for scenario, values in still.items():
        mean, se = _mean_se(values)
        # no gain beyond noise; Last-Only self-training on its own pseudo-labels may lose a
        # little on the small stationary twin, which is no gain either
        assert mean <= max(0.06, 3 * se), (scenario, mean, se)
        if scenario == "all_session":
            assert abs(mean) <= max(0.06, 3 * se), (scenario, mean, se)
    none, drift = _gains(drifting, ["all_session"])
    mean, se = _mean_se(drift["all_session"])
    assert mean > 0.05 and mean > 2 * se, (mean, se)
    # the unrecalibrated classifier itself falls behind as the patterns drift
    assert none[:, -1].mean() < none[:, 0].mean() - 0.1, none


def test_drift_zero_keeps_the_twin_and_drift_leaves_repetition_one(tmp_path):
    small = {"n_movements": 2, "n_repetitions": 3, "hold_s": 0.5, "rest_s": 0.3}
    for name, extra in (("a", {}), ("b", {"drift": 0.0}), ("c", {"drift": 0.4})):
        write_twin(
            "ninapro_db2", tmp_path / f"{name}.zip", subjects=[1], seed=9, scale={**small, **extra}
        )
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()

    def mat(name):
        with zipfile.ZipFile(tmp_path / f"{name}.zip") as zf:
            return scipy.io.loadmat(io.BytesIO(zf.read("DB2_s1/S1_E1_A1.mat")))

    a, c = mat("a"), mat("c")
    rep = a["rerepetition"].ravel()
    assert np.array_equal(a["emg"][rep == 1], c["emg"][rep == 1])
    assert not np.array_equal(a["emg"][rep == 3], c["emg"][rep == 3])


# ----------------------------------------------------------------------------- the models


def test_zhai_cnn_fits_its_pca_on_training_windows_only(stationary, tmp_path):
    table = WindowTable([stationary[1]], CLASSES)
    rep = table.meta["repetition"].to_numpy()
    train, test = np.flatnonzero(rep == 1), np.flatnonzero(rep >= 2)
    seed_everything(0)
    model = build_model(
        "zhai_cnn", 12, len(CLASSES), table.n_times, fs=2000.0, hidden=16, filters=4, seed=0
    )
    assert RECALIBRATE in capabilities(model)
    model.fit_statistics(table.subset(train))
    sw = stationary[1]
    local = table.meta["local"].to_numpy()
    spec = segment_spectrograms(sw.signal, sw.starts[local[train]], length=400, fs=2000.0)
    want = SpectrogramPCA().fit(10 * np.log10(np.maximum(spec, 1e-30)))
    got = model.inputs.pca
    np.testing.assert_allclose(got.low, want.low, rtol=1e-5)
    np.testing.assert_allclose(got.components, want.components, rtol=1e-4, atol=1e-6)
    before = got.state_dict()
    x = model.features(table.subset(test))  # transforming test windows fits nothing
    assert x.shape == (test.size, 12, 5, 5)
    for key, value in got.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    # the fitted input travels with the checkpoint
    model.save(tmp_path / "cnn.pt")
    again = build_model(
        "zhai_cnn", 12, len(CLASSES), table.n_times, fs=2000.0, hidden=16, filters=4, seed=1
    )
    again.load(tmp_path / "cnn.pt")
    np.testing.assert_allclose(again.logits(table.subset(test)), model.logits(table.subset(test)))


def test_zhai_cnn_trains_and_recalibrates(stationary):
    table = WindowTable([stationary[26]], CLASSES)
    seed_everything(0)
    model = build_model(
        "zhai_cnn",
        12,
        len(CLASSES),
        table.n_times,
        fs=2000.0,
        hidden=32,
        filters=8,
        training={"max_epochs": 30, "batch_size": 16, "lr": 0.003},
        seed=0,
    )
    scores, arrays, _ = run_fold(stationary, 26, "all_session", model=model)
    acc = session_accuracy(scores, "all_session")
    assert acc.mean() > 0.8, acc  # 4 classes: chance is 0.25
    stages = [h["stage"] for h in model.history]
    assert stages.count("recalibrate") == 4 and "fine_tune" in stages


# ----------------------------------------------------------------------------- config


def test_reference_and_demo_configuration():
    ref = load([REPO / "config" / "config.yaml"])
    ref["papers"] = ["zhai2017"]
    exps = {n: e for n, e in ref["experiments"].items() if e["paper"] == "zhai2017"}
    assert len(exps["zhai2017_db2"]["classes"]) == 50
    assert exps["zhai2017_db2_ten"]["classes"] == [5, 9, 10, 13, 14, 19, 30, 32, 34, 39]
    assert ref["preprocessing"]["ninapro_db2_zhai"]["exercises"] == [1, 2, 3]
    mine = [j for j in jobs(ref) if j.paper == "zhai2017"]
    folds = {(j.experiment, j.protocol, j.fold) for j in mine}
    assert ("zhai2017_db2", "recalibration", "40-all_session") in folds
    db3 = {
        j.fold for j in mine if j.experiment == "zhai2017_db3" and j.protocol == "within_subject"
    }
    assert db3 == {str(s) for s in range(1, 12) if s != 7}
    recal3 = {
        j.fold.split("-")[0]
        for j in mine
        if j.experiment == "zhai2017_db3" and j.protocol == "recalibration"
    }
    assert len(recal3) == 5 and "7" not in recal3
    assert all(j.model in {"zhai_cnn", "zhai_svm"} for j in mine)
    demo_config = load([REPO / "config" / "config.yaml", REPO / "config" / "demo.yaml"])
    demo_config["papers"] = ["zhai2017"]
    demo = jobs(demo_config)
    assert len(demo) <= 30, "the paper's demo is a handful of short jobs"
    assert {j.experiment for j in demo} == set(exps)


def test_within_subject_holds_out_the_end_of_each_training_trial(stationary):
    proto = PROTOCOLS.get("within_subject")
    table = WindowTable([stationary[1]], CLASSES)
    params = {"train_repetitions": [1, 3, 4, 6], "test_repetitions": [2, 5], "val_fraction": 0.2}
    split = proto.split(table, "1", SUBJECTS, params, 0)
    assert split.val.size and not set(split.val) & set(split.train)
    start, stop = table.meta["start"].to_numpy(), table.meta["stop"].to_numpy()
    rep = table.meta["repetition"].to_numpy()
    assert set(rep[split.test]) == {2, 5} and set(rep[split.val]) <= {1, 3, 4, 6}
    assert proto.folds([1, 2, 7], {**params, "subjects": [1, 7]}) == ["1", "7"]
    # every validation window lies after the training windows of its trial, none overlaps
    for r in split.val:
        trial = (rep[split.train] == rep[r]) & (table.y[split.train] == table.y[r])
        if table.y[r] != 0:  # rest trials are spread over the whole recording
            assert stop[split.train][trial].max() <= start[r]


# ----------------------------------------------------------------------------- published


TABLE1 = {  # experiment: (SVM, CNN)
    "zhai2017_db2": (77.44, 78.71),
    "zhai2017_db2_basic": (81.07, 82.22),
    "zhai2017_db2_grasp": (71.08, 72.62),
    "zhai2017_db2_force": (88.56, 89.54),
    "zhai2017_db2_ten": (87.86, 88.42),
    "zhai2017_db3": (72.01, 73.31),
}
TABLE2 = {  # (experiment, model): sessions II-V and the average
    ("zhai2017_db2", "zhai_cnn"): [6.41, 9.95, 11.47, 12.88, 10.18],
    ("zhai2017_db2", "zhai_svm"): [2.94, 4.68, 4.58, 4.59, 4.20],
    ("zhai2017_db2_ten", "zhai_cnn"): [3.33, 6.80, 7.84, 9.92, 6.97],
    ("zhai2017_db2_ten", "zhai_svm"): [2.11, 3.56, 3.58, 3.45, 3.18],
    ("zhai2017_db3", "zhai_cnn"): [2.37, 3.52, 3.31, 2.76, 2.99],
    ("zhai2017_db3", "zhai_svm"): [1.33, -1.13, -3.29, -2.86, -1.49],
}
TEXT = {  # (row, column): value
    ("Session I accuracy", "CNN"): 61.7,
    ("Drop by session V without recalibration", "CNN"): 18.66,
    ("Drop by session V without recalibration", "SVM"): 19.19,
    ("Drop by session V with All-Session", "CNN"): 2.63,
    ("Drop by session V with All-Session", "SVM"): 4.33,
    ("All-Session average gain", "CNN"): 12.08,
    ("All-Session average gain", "SVM"): 11.11,
    ("All-Session minus Last-Only", "CNN"): 1.68,
    ("All-Session minus Last-Only", "SVM"): 6.92,
    ("Three more initial repetitions", "CNN"): 10,
    ("CNN training per subject (10 movements)", "CNN"): 19.83,
    ("CNN training per subject (50 movements)", "CNN"): 66.34,
    ("CNN training of 40 subjects", "CNN"): 2640,  # about 44 min
    ("CNN one recalibration", "CNN"): 21.78,
    ("SVM training per subject (10 movements)", "SVM"): 23.71,
    ("SVM training per subject (50 movements)", "SVM"): 561.62,
    ("intact DB2 recalibration gain", "accuracy_gain"): 10.18,
    ("amputee DB3 recalibration gain", "accuracy_gain"): 2.99,
}


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(published_csv("zhai2017"), keep_default_na=False, na_values=[""])


def test_published_rows_match_reference(published):
    t1 = published[published["table"] == "table1"]
    assert len(t1) == 12 and set(t1["protocol"]) == {"within_subject"}
    for exp, (svm_acc, cnn_acc) in TABLE1.items():
        mine = t1[t1["experiment"] == exp].set_index("model")["mean"]
        assert mine.to_dict() == {"zhai_svm": svm_acc, "zhai_cnn": cnn_acc}, exp
    assert set(t1.loc[t1["experiment"] == "zhai2017_db3", "n"]) == {10}
    t2 = published[published["table"] == "table2"]
    assert len(t2) == 30 and set(t2["metric"]) == {"accuracy_gain"}
    for (exp, model), values in TABLE2.items():
        mine = t2[(t2["experiment"] == exp) & (t2["model"] == model)]
        per_session = [
            mine.loc[mine["condition"] == f"last_only session={s}", "mean"].item()
            for s in SESSIONS[1:]
        ]
        average = mine.loc[mine["condition"].str.count(r"\|") == 3, "mean"].item()
        assert per_session + [average] == values, (exp, model)
        for _, r in mine.iterrows():
            assert r["versus"] == "condition=" + r["condition"].replace("last_only", "none")
        assert set(mine["n"]) == {5 if exp == "zhai2017_db3" else 40}
    text = published[published["table"] == "text"]
    got = {(r["row"], r["column"]): r["mean"] for _, r in text.iterrows()}
    assert got == TEXT
    assert set(text.loc[text["metric"].str.endswith("seconds"), "unit"]) == {"seconds"}
    for _, r in published.iterrows():
        # read from the paper through REFERENCE.md; only the abstract's two are in 002
        abstract = r["row"].endswith("recalibration gain")
        where = "002 Zhai 2017 Abstract" if abstract else "REFERENCE.md Zhai 2017"
        assert r["source"].startswith(where) and r["n"] > 0 and pd.isna(r["sd"]), r["row"]
        if "|" in str(r["condition"]):  # averages over sessions II-V, as the note says
            assert r["condition"].count("|") == 3 and "II-V" in r["note"]


# ----------------------------------------------------------------------------- the demo


@pytest.mark.slow
def test_demo_dag_of_the_paper_renders_every_table_and_figure(demo_run):
    import nbformat

    nb = nbformat.read(demo_run / "results" / "reports" / "zhai2017.ipynb", as_version=4)
    shown = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            shown.append(cell.source)
        for out in cell.get("outputs", []):
            shown.append(out.get("text", ""))
            for mime in ("text/markdown", "text/html", "text/plain"):
                shown.append(out.get("data", {}).get(mime, ""))
    text = "\n".join(shown)
    for title in (
        "Table 1",
        "Table 2",
        "Accuracy against testing session",
        "Gain per subject",
        "CNN against SVM",
        "Training and recalibration time",
        "736.54 Hz",
    ):
        assert title in text, title
    body = text.split("## Table 1")[1].split("## Our choices")[0]
    assert "not computed" not in body, "every table and figure has values"
    images = sum(
        1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )
    figures = {p.name for p in (demo_run / "results" / "figures" / "zhai2017").glob("*.png")}
    assert {"accuracy_by_session.png", "gain_per_subject.png"} <= figures and images >= 2
    audit = pd.read_csv(demo_run / "results" / "audit.csv")
    zhai = audit[audit["paper"] == "zhai2017"]
    assert len(zhai) == len(pd.read_csv(published_csv("zhai2017")))
    assert set(zhai["verdict"]) == {"synthetic"}, "every published number of paper 2 is computed"


# ----------------------------------------------------------------------------- analysis


def test_the_analysis_pairs_gains_within_subject_and_the_cnn_with_the_svm(tmp_path):
    """Gains are a scenario's accuracy minus no recalibration's, per subject and session,
    averaged over II-V; the CNN-SVM comparison pairs subjects, from the analysis rule."""
    from emgrepro.analyses import zhai2017 as analysis

    base = {"none": 0.60, "last_only": 0.70, "all_session": 0.65}
    rows = []
    for subject in (1, 2, 3):
        for model, lift in (("zhai_cnn", 0.10), ("zhai_svm", 0.0)):
            for k, session in enumerate(analysis.SESSIONS):
                for scenario, acc in base.items():
                    # session I is met before any recalibration: every scenario alike
                    value = base["none"] if session == "I" else acc + lift * (scenario != "none")
                    rows.append({"experiment": "zhai2017_db2", "protocol": "recalibration",
                                 "model": model, "subject": subject, "seed": 0,
                                 "condition": f"{scenario} session={session}",
                                 "metric": "accuracy", "value": value + 0.01 * k})  # fmt: skip
            rows.append({"experiment": "zhai2017_db2", "protocol": "within_subject",
                         "model": model, "subject": subject, "seed": 0, "condition": "",
                         "metric": "accuracy", "value": 0.5 + lift + 0.01 * subject})  # fmt: skip
    pd.DataFrame(rows).to_csv(tmp_path / "scores.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    analysis.analyse({"audit_rule": {"bootstrap_resamples": 999}},
                     {"scores": tmp_path / "scores.csv"}, out)  # fmt: skip
    gains = pd.read_csv(out / "gains.csv")
    assert set(gains["session"]) == {*analysis.LATER, analysis.AVERAGE}
    cnn = gains[(gains["model"] == "zhai_cnn") & (gains["scenario"] == "last_only")]
    assert cnn["gain"].to_numpy() == pytest.approx(20.0)  # (0.70 + 0.10) - 0.60, in points
    svm = gains[(gains["model"] == "zhai_svm") & (gains["scenario"] == "all_session")]
    assert svm["gain"].to_numpy() == pytest.approx(5.0)
    table = pd.read_csv(out / "cnn_vs_svm.csv").set_index("comparison")
    arm = analysis.ARMS[0][0]
    assert table.loc[f"Last-Only gain, {arm}", "difference"] == pytest.approx(10.0)
    assert table.loc["Table 1 accuracy, All movements", "difference"] == pytest.approx(10.0)
    assert (table["cnn_better"] == table["subjects"]).all() and (table["subjects"] == 3).all()
    assert "Table 1 accuracy, Amputees (10 movements)" not in table.index  # not in the run
