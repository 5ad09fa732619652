"""Hudgins time-domain features on hand-computed examples, and the TD-LDA baseline."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from emgrepro.features.time_domain import TD_FEATURES, td_features
from emgrepro.models.td_lda import TDLDA, subset_features
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows, window_starts
from tiny_windows import tiny_subjects

MAV, WL, ZC, SSC, RMS = range(5)


def one(seq, threshold: float = 0.0) -> np.ndarray:
    """Features of one single-channel window."""
    return td_features(np.asarray(seq, dtype=np.float32)[None, None, :], threshold)[0]


def test_hand_computed_example():
    f = one([1, -2, 3, -4])
    assert f.shape == (5,)
    assert f[MAV] == pytest.approx(2.5)  # (1 + 2 + 3 + 4) / 4
    assert f[WL] == pytest.approx(15.0)  # |-2-1| + |3+2| + |-4-3| = 3 + 5 + 7
    assert f[ZC] == 3  # every neighbour pair changes sign
    assert f[SSC] == 2  # both inner samples are local extrema
    assert f[RMS] == pytest.approx(math.sqrt(7.5))  # (1 + 4 + 9 + 16) / 4


def test_monotone_ramp():
    f = one([-3, -1, 1, 3, 5])
    assert f[MAV] == pytest.approx(13 / 5)
    assert f[WL] == pytest.approx(8.0)
    assert f[ZC] == 1
    assert f[SSC] == 0
    assert f[RMS] == pytest.approx(math.sqrt((9 + 1 + 1 + 9 + 25) / 5))


def test_constant_and_zero_windows():
    f = one([2, 2, 2, 2])
    np.testing.assert_allclose(f, [2, 0, 0, 0, 2])
    np.testing.assert_array_equal(one([0, 0, 0]), np.zeros(5))
    # touching zero is not a crossing: the product of neighbours must be negative
    assert one([1, 0, -1])[ZC] == 0


def test_threshold_suppresses_small_zero_crossings():
    seq = [0.1, -0.1, 5, -5]  # crossings of amplitude 0.2, 5.1 and 10
    assert one(seq)[ZC] == 3
    assert one(seq, threshold=1.0)[ZC] == 2
    assert one(seq, threshold=20.0)[ZC] == 0
    # a tiny oscillation around zero: noise, not crossings
    noise = [0.01, -0.01, 0.01, -0.01, 0.01]
    assert one(noise)[ZC] == 4 and one(noise)[SSC] == 3
    assert one(noise, threshold=0.05)[ZC] == 0
    assert one(noise, threshold=0.05)[SSC] == 0


def test_threshold_suppresses_small_slope_sign_changes():
    seq = [2, -2, -1.9, -2.1, 3]  # d = -4, 0.1, -0.2, 5.1
    assert one(seq)[SSC] == 3
    # the middle change (0.1 then -0.2) is below 0.5 on both sides: dropped;
    # the other two have one large side and are kept (Hudgins' "or")
    assert one(seq, threshold=0.5)[SSC] == 2
    assert one(seq, threshold=10.0)[SSC] == 0
    # the threshold never changes MAV, WL or RMS
    np.testing.assert_array_equal(one(seq, 10.0)[[MAV, WL, RMS]], one(seq)[[MAV, WL, RMS]])
    assert one(seq, threshold=0.5)[ZC] == 2


def test_threshold_is_inclusive():
    assert one([1, -1], threshold=2.0)[ZC] == 1
    assert one([0, 2, 0], threshold=2.0)[SSC] == 1


def naive(x: np.ndarray, thr: float) -> np.ndarray:
    n, c, _ = x.shape
    out = np.zeros((n, 5 * c))
    for i in range(n):
        for ch in range(c):
            s = x[i, ch].astype(np.float64)
            zc = sum(
                1 for k in range(len(s) - 1) if s[k] * s[k + 1] < 0 and abs(s[k] - s[k + 1]) >= thr
            )
            ssc = 0
            for k in range(1, len(s) - 1):
                a, b = s[k] - s[k - 1], s[k + 1] - s[k]
                if a * b < 0 and (abs(a) >= thr or abs(b) >= thr):
                    ssc += 1
            out[i, 5 * ch : 5 * ch + 5] = [
                np.abs(s).mean(),
                np.abs(np.diff(s)).sum(),
                zc,
                ssc,
                np.sqrt((s * s).mean()),
            ]
    return out


@pytest.mark.parametrize("thr", [0.0, 0.3, 1.5])
def test_shape_layout_and_agreement_with_a_loop(thr):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4, 25)).astype(np.float32)
    f = td_features(x, thr)
    assert f.shape == (6, 5 * 4)
    assert f.dtype == np.float32
    assert len(TD_FEATURES) == 5
    np.testing.assert_allclose(f, naive(x, thr), rtol=1e-5, atol=1e-5)
    # columns are grouped by channel: (mav, wl, zc, ssc, rms) of channel 0, then 1, ...
    for ch in range(4):
        np.testing.assert_allclose(f[:, 5 * ch : 5 * ch + 5], td_features(x[:, ch : ch + 1], thr))


def test_empty_batch():
    assert td_features(np.zeros((0, 3, 10), np.float32)).shape == (0, 15)


def test_single_window_batch():
    assert td_features(np.zeros((1, 3, 10), np.float32)).shape == (1, 15)


# --------------------------------------------------------------------------- TD-LDA


def in_memory_table(seed: int = 0) -> WindowTable:
    """Two classes with different amplitude, three repetitions, two channels."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.tile([1, 2], 3), 200).astype(np.int16)
    reps = np.repeat([1, 1, 2, 2, 3, 3], 200).astype(np.int16)
    amp = np.where(labels == 1, 1.0, 4.0)[:, None]
    signal = (amp * rng.standard_normal((labels.size, 2))).astype(np.float32)
    length, step = 40, 20
    starts = window_starts(labels, reps, [(0, labels.size)], length, step)
    sw = SubjectWindows(
        subject=1,
        signal=signal,
        starts=starts,
        labels=labels[starts],
        repetition=reps[starts],
        length=length,
        fs=1000.0,
        channel_names=["a", "b"],
        sample_labels=labels,
        sample_repetition=reps,
    )
    return WindowTable([sw], [1, 2])


def test_td_lda_threshold_is_relative_to_training_sd_and_it_separates_amplitudes():
    table = in_memory_table()
    rep = table.meta["repetition"].to_numpy()
    train = table.subset(np.flatnonzero(rep != 3))
    test = table.subset(np.flatnonzero(rep == 3))
    model = TDLDA(n_chans=2, n_outputs=2, n_times=40, threshold=0.1)
    model.fit(train)
    _, sd = train.channel_stats()
    assert model._abs_threshold == pytest.approx(0.1 * float(np.mean(sd)))
    pred = model.predict(test)
    assert pred.shape == (len(test),)
    assert (pred == test.y).mean() > 0.9
    feats = subset_features(test, model._abs_threshold, batch_size=3)
    assert feats.shape == (len(test), 10)
    np.testing.assert_allclose(feats, td_features(table.batch(test.rows), model._abs_threshold))
    assert subset_features(table.subset(np.zeros(0, np.int64)), 0.0).shape == (0, 10)


def test_a_classical_job_computes_without_importing_torch(tmp_path):
    """TD+LDA and SVM jobs are many and short: torch's import would be most of their time.
    Their fit, prediction and scores never import it; saving the model does, through
    skops's audit of scikit-learn's types (sklearn.utils.all_estimators walks its array-API
    shims), the price of a checkpoint that loads without running code."""
    tiny_subjects(tmp_path, n_subjects=1)
    spec = {
        "paper": "baseline", "experiment": "e", "dataset": "khushaba_2ch", "protocol":
        "within_subject", "model": "td_lda", "fold": "1", "seed": 0, "classes": [1, 2, 3],
        "subjects": [1], "model_params": {"threshold": 0.01}, "training": {},
        "protocol_params": {
            "train_repetitions": [1, 2, 3, 4], "val_repetitions": [4], "test_repetitions": [5, 6]
        },
    }  # fmt: skip
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from emgrepro.evaluation.run import run_job\n"
        "from emgrepro.job_plan import JobFiles\n"
        "from emgrepro.models.classical import ClassicalEstimator\n"
        "save = ClassicalEstimator.save\n"
        "def measured_save(self, path):\n"
        "    print('torch' in sys.modules)\n"  # everything before the checkpoint
        "    save(self, path)\n"
        "ClassicalEstimator.save = measured_save\n"
        f"spec = json.loads({json.dumps(json.dumps(spec))})\n"
        "d = Path(sys.argv[1])\n"
        "sub = d / 'sub-1'\n"
        "files = JobFiles((str(sub / 'windows.npz'),), (str(sub / 'signal.npy'),), None, {},\n"
        "                 str(d / 's.csv'),\n"
        "                 str(d / 'p.npz'), str(d / 's.json'), str(d / 'm.skops'))\n"
        "run_job(spec, files)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "False"
    scores = pd.read_csv(tmp_path / "s.csv")
    assert (scores.metric == "f1_macro").any()
