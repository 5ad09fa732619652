"""Window indexing (label rules, segment boundaries) and zero-copy access to stored windows."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emgrepro.errors import ConfigError, DataFormatError
from emgrepro.preprocess.filtering import filter_recording
from emgrepro.preprocess.windows import (
    LABEL_RULES,
    SubjectWindows,
    ms_to_samples,
    window_starts,
    write_windows,
)
from emgrepro.recording import Recording

FS = 1000.0


def make_recording(
    labels, repetition, signal=None, segments=(0,), n_chans: int = 2, subject: int = 1
) -> Recording:
    labels = np.asarray(labels, dtype=np.int16)
    repetition = np.asarray(repetition, dtype=np.int16)
    n = labels.size
    if signal is None:
        # Channel c of sample i holds i + 0.25 * c: the value identifies the sample.
        signal = np.arange(n, dtype=np.float32)[:, None] + 0.25 * np.arange(n_chans)
    signal = np.asarray(signal, dtype=np.float32)
    return Recording(
        dataset="synthetic",
        subject=subject,
        signal=signal,
        fs=FS,
        labels=labels,
        repetition=repetition,
        channel_names=[f"ch{c}" for c in range(signal.shape[1])],
        segments=np.asarray(segments, dtype=np.int64),
    )


def store(rec: Recording, folder: Path, length_ms: float, step_ms: float, rule="constant"):
    """Write signal.npy and windows.npz the way preprocess_subject does; load them back."""
    folder.mkdir(parents=True, exist_ok=True)
    signal_path = folder / "signal.npy"
    out = np.lib.format.open_memmap(
        signal_path, mode="w+", dtype=np.float32, shape=rec.signal.shape
    )
    filter_recording(rec, None, out)  # no filter spec: a straight copy into the memmap
    out.flush()
    del out
    window = {"length_ms": length_ms, "step_ms": step_ms, "label_rule": rule}
    n = write_windows(rec, signal_path, folder / "windows.npz", window)
    sw = SubjectWindows.load(folder)
    assert sw.n_windows == n
    return sw


def brute_force_starts(labels, repetition, segments, length, step, rule):
    keep = []
    for a, b in segments:
        for s in range(a, b - length + 1, step):
            w = slice(s, s + length)
            if rule == "constant":
                ok = np.all(labels[w] == labels[s]) and np.all(repetition[w] == repetition[s])
            else:
                e = s + length - 1
                ok = labels[s] == labels[e] and repetition[s] == repetition[e]
            if ok:
                keep.append(s)
    return np.asarray(keep, dtype=np.int64)


# --------------------------------------------------------------------------- rules


def test_constant_rule_drops_a_window_with_an_inner_label_change():
    # label 1 everywhere except a blip of 2 at samples 4..5; one repetition.
    labels = np.array([1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1])
    rep = np.ones_like(labels)
    segs = [(0, labels.size)]
    # The window at 2..9 starts and ends on label 1 but contains the blip.
    constant = window_starts(labels, rep, segs, length=8, step=2, rule="constant")
    endpoints = window_starts(labels, rep, segs, length=8, step=2, rule="endpoints")
    assert labels[2] == labels[9] == 1
    assert 2 not in constant
    assert 2 in endpoints
    assert constant.tolist() == []
    assert endpoints.tolist() == [0, 2]  # 4..11 starts on label 2: dropped by both rules


def test_constant_rule_drops_an_inner_repetition_change():
    labels = np.ones(10, dtype=np.int16)
    rep = np.array([1, 1, 1, 2, 2, 1, 1, 1, 1, 1])
    segs = [(0, 10)]
    got = window_starts(labels, rep, segs, 5, 1, "constant")
    assert got.tolist() == [5]
    # endpoints keeps 1..5 and 2..6: repetition 1 at both ends although 3..4 is repetition 2
    assert window_starts(labels, rep, segs, 5, 1, "endpoints").tolist() == [1, 2, 5]


def test_constant_rule_keeps_whole_runs_on_the_step_grid():
    labels = np.array([0] * 10 + [3] * 10 + [0] * 10)
    rep = np.array([0] * 10 + [2] * 10 + [0] * 10)
    got = window_starts(labels, rep, [(0, 30)], length=4, step=3, rule="constant")
    assert got.tolist() == [0, 3, 6, 12, 15, 21, 24]
    for s in got:
        assert np.unique(labels[s : s + 4]).size == 1
        assert np.unique(rep[s : s + 4]).size == 1


def test_endpoints_rule():
    labels = np.array([1, 2, 1, 1, 3, 3, 1, 1])
    rep = np.ones(8, dtype=np.int16)
    got = window_starts(labels, rep, [(0, 8)], length=3, step=1, rule="endpoints")
    # starts 0..5; windows (0,2): 1,1 ok; (1,3): 2,1 no; (2,4): 1,3 no; (3,5): 1,3 no;
    # (4,6): 3,1 no; (5,7): 3,1 no.
    assert got.tolist() == [0]
    rep2 = np.array([1, 1, 2, 1, 1, 1, 1, 1])
    got2 = window_starts(np.ones(8), rep2, [(0, 8)], length=3, step=1, rule="endpoints")
    # 0..2 ends on repetition 2; 2..4 starts on it; 1..3 has 2 only inside: kept.
    assert got2.tolist() == [1, 3, 4, 5]


def test_windows_never_cross_a_segment_boundary():
    n = 50
    labels = np.ones(n, dtype=np.int16)  # same label and repetition across the boundary
    rep = np.ones(n, dtype=np.int16)
    segs = [(0, 23), (23, 41), (41, 50)]
    for rule in LABEL_RULES:
        got = window_starts(labels, rep, segs, length=8, step=1, rule=rule)
        assert got.size > 0
        for s in got:
            e = s + 8  # exclusive
            assert any(a <= s and e <= b for a, b in segs), (rule, s)
        # every allowed position is kept (labels are constant)
        expected = [s for a, b in segs for s in range(a, b - 8 + 1)]
        assert got.tolist() == expected
    # the step grid restarts at each segment
    got = window_starts(labels, rep, segs, length=4, step=5, rule="constant")
    assert got.tolist() == [0, 5, 10, 15, 23, 28, 33, 41, 46]


def test_segment_shorter_than_a_window_gives_nothing():
    labels = np.ones(20, dtype=np.int16)
    got = window_starts(labels, labels, [(0, 3), (3, 20)], length=5, step=5)
    assert got.tolist() == [3, 8, 13]
    assert window_starts(labels, labels, [(0, 20)], length=25, step=1).size == 0


def test_window_starts_are_int64_and_sorted():
    labels = np.repeat([1, 2, 1], 30)
    got = window_starts(labels, np.ones_like(labels), [(0, 45), (45, 90)], 7, 3)
    assert got.dtype == np.int64
    assert np.all(np.diff(got) > 0)


def test_unknown_rule_is_a_config_error():
    labels = np.ones(10, dtype=np.int16)
    with pytest.raises(ConfigError, match="label rule"):
        window_starts(labels, labels, [(0, 10)], 3, 1, rule="majority")


def test_write_windows_rejects_unknown_rule(tmp_path):
    rec = make_recording(np.ones(30), np.ones(30))
    window = {"length_ms": 5, "step_ms": 1, "label_rule": "middle"}
    with pytest.raises(ConfigError):
        write_windows(rec, tmp_path / "signal.npy", tmp_path / "windows.npz", window)
    assert not (tmp_path / "windows.npz").exists()


def test_a_trial_shorter_than_the_window_is_an_error_naming_the_window(tmp_path):
    # label 2 repetition 1 lasts 3 samples (FS = 1 kHz): a 5 ms window never fits in it
    labels = [1] * 10 + [2] * 3 + [1] * 10
    repetition = [1] * 10 + [1] * 3 + [2] * 10
    rec = make_recording(labels, repetition)
    window = {"length_ms": 5, "step_ms": 1, "label_rule": "constant"}
    with pytest.raises(DataFormatError, match=r"5 ms \(5 samples.*label 2 repetition 1"):
        write_windows(rec, tmp_path / "signal.npy", tmp_path / "windows.npz", window)
    assert not (tmp_path / "windows.npz").exists()
    # with a window that fits every trial, the same recording is accepted
    window["length_ms"] = 3
    assert write_windows(rec, tmp_path / "signal.npy", tmp_path / "windows.npz", window) > 0


@pytest.mark.parametrize(
    ("ms", "fs", "n"),
    [
        (200, 2000, 400),
        (250, 100, 25),
        (1, 1000, 1),
        (10, 1926, 19),
        (2.5, 2000, 5),
        (1.5, 1000, 2),
    ],
)
def test_ms_to_samples(ms, fs, n):
    assert ms_to_samples(ms, fs) == n
    assert isinstance(ms_to_samples(ms, fs), int)


@pytest.mark.parametrize(("ms", "fs"), [(0, 1000), (0.4, 1000), (1, 100), (-5, 2000)])
def test_ms_to_samples_below_one_sample_is_a_config_error(ms, fs):
    with pytest.raises(ConfigError):
        ms_to_samples(ms, fs)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 15)), min_size=1, max_size=12
    ),
    cuts=st.lists(st.integers(1, 150), max_size=3),
    length=st.integers(1, 12),
    step=st.integers(1, 6),
)
def test_window_starts_match_brute_force(runs, cuts, length, step):
    labels = np.concatenate([np.full(k, lab, dtype=np.int16) for lab, _, k in runs])
    rep = np.concatenate([np.full(k, r, dtype=np.int16) for _, r, k in runs])
    n = labels.size
    bounds = sorted({0, *[c for c in cuts if c < n]})
    segs = list(zip(bounds, bounds[1:] + [n]))
    for rule in LABEL_RULES:
        got = window_starts(labels, rep, segs, length, step, rule)
        assert got.tolist() == brute_force_starts(labels, rep, segs, length, step, rule).tolist()
        if rule == "constant":
            for s in got:
                assert np.all(labels[s : s + length] == labels[s])
                assert np.all(rep[s : s + length] == rep[s])
    # every constant-rule window also satisfies the endpoints rule
    assert set(window_starts(labels, rep, segs, length, step, "constant").tolist()) <= set(
        window_starts(labels, rep, segs, length, step, "endpoints").tolist()
    )


# --------------------------------------------------------------------------- stored windows


@pytest.fixture
def stored(tmp_path):
    """A two-segment recording with rest and two movements over three repetitions."""
    blocks = []
    for r in (1, 2, 3):
        for lab in (4, 7):
            blocks.append((0, 0, 13))
            blocks.append((lab, r, 29))
    labels = np.concatenate([np.full(k, lab) for lab, _, k in blocks])
    rep = np.concatenate([np.full(k, r) for _, r, k in blocks])
    n = labels.size
    rec = make_recording(labels, rep, segments=[0, n // 2 + 3], n_chans=3, subject=5)
    sw = store(rec, tmp_path / "sub-5", length_ms=8, step_ms=3)
    return rec, sw


def test_load_round_trip(stored):
    rec, sw = stored
    assert sw.subject == 5
    assert sw.length == 8
    assert sw.fs == FS
    assert sw.channel_names == ["ch0", "ch1", "ch2"]
    assert sw.n_chans == 3
    np.testing.assert_array_equal(sw.signal, rec.signal)
    np.testing.assert_array_equal(sw.sample_labels, rec.labels)
    np.testing.assert_array_equal(sw.sample_repetition, rec.repetition)
    expected = window_starts(rec.labels, rec.repetition, rec.segment_bounds(), 8, 3)
    np.testing.assert_array_equal(sw.starts, expected)
    np.testing.assert_array_equal(sw.labels, rec.labels[expected])
    np.testing.assert_array_equal(sw.repetition, rec.repetition[expected])


def test_signal_is_memory_mapped_and_view_is_zero_copy(stored):
    _, sw = stored
    assert isinstance(sw.signal, np.memmap)
    assert not sw.signal.flags.writeable
    v = sw.view()
    assert v.shape == (sw.signal.shape[0] - sw.length + 1, sw.n_chans, sw.length)
    assert np.shares_memory(v, sw.signal)
    assert not v.flags.owndata
    assert v.__array_interface__["data"][0] == sw.signal.__array_interface__["data"][0]
    # The .base chain of the view reaches the memmap itself: nothing was copied on the way.
    chain, b = [], v
    while b is not None:
        chain.append(b)
        b = getattr(b, "base", None)
    assert any(b is sw.signal for b in chain)
    owners = [b for b in chain if isinstance(b, np.ndarray) and b is not v]
    assert owners and owners[-1].nbytes == sw.signal.nbytes
    assert all(b.nbytes <= sw.signal.nbytes for b in owners)


def test_view_does_not_allocate(tmp_path):
    n, c = 200_000, 8  # 6.4 MB of float32
    rec = make_recording(np.ones(n), np.ones(n), signal=np.zeros((n, c), np.float32))
    sw = store(rec, tmp_path / "big", length_ms=50, step_ms=25)
    tracemalloc.start()
    try:
        v = sw.view()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert v.shape == (n - 49, c, 50)
    assert peak < 64 * 1024, peak


def test_batch_equals_transposed_slices(stored):
    _, sw = stored
    idx = np.array([0, 3, sw.n_windows - 1, 1, 3])
    x = sw.batch(idx)
    assert x.shape == (idx.size, sw.n_chans, sw.length)
    assert x.dtype == np.float32
    assert x.flags.c_contiguous and x.flags.owndata
    assert not np.shares_memory(x, sw.signal)
    for k, i in enumerate(idx):
        s = sw.starts[i]
        np.testing.assert_array_equal(x[k], np.asarray(sw.signal[s : s + sw.length]).T)
    assert sw.batch(np.zeros(0, dtype=np.int64)).shape == (0, sw.n_chans, sw.length)


def test_window_labels_are_aligned_with_the_samples(stored):
    rec, sw = stored
    x = sw.batch(np.arange(sw.n_windows))
    # channel 0 holds the sample index: recover every sample each window contains
    sample_idx = x[:, 0, :].astype(np.int64)
    np.testing.assert_array_equal(sample_idx[:, 0], sw.starts)
    np.testing.assert_array_equal(sample_idx, sw.starts[:, None] + np.arange(sw.length))
    np.testing.assert_allclose(x[:, 2, :], sample_idx + 0.5)
    for w in range(sw.n_windows):
        assert np.all(rec.labels[sample_idx[w]] == sw.labels[w])
        assert np.all(rec.repetition[sample_idx[w]] == sw.repetition[w])
        assert np.all(sw.sample_labels[sample_idx[w]] == sw.labels[w])
    assert set(sw.labels.tolist()) == {0, 4, 7}


def test_sample_mask_is_the_union_of_window_samples(stored):
    _, sw = stored
    rng = np.random.default_rng(0)
    n = sw.signal.shape[0]
    for idx in (
        np.arange(sw.n_windows),
        np.zeros(0, dtype=np.int64),
        np.array([sw.n_windows - 1]),
        rng.choice(sw.n_windows, size=sw.n_windows // 3, replace=False),
        np.array([2, 2, 2]),
    ):
        expected = np.zeros(n, dtype=bool)
        for s in sw.starts[idx]:
            expected[s : s + sw.length] = True
        mask = sw.sample_mask(idx)
        assert mask.shape == (n,) and mask.dtype == bool
        np.testing.assert_array_equal(mask, expected)


def test_sample_mask_last_window_reaches_the_end(tmp_path):
    rec = make_recording(np.ones(20), np.ones(20))
    sw = store(rec, tmp_path / "s", length_ms=5, step_ms=5)
    assert sw.starts.tolist() == [0, 5, 10, 15]
    assert sw.sample_mask(np.array([3])).tolist() == [False] * 15 + [True] * 5
    assert sw.sample_mask(np.arange(4)).all()


def test_write_windows_records_meta(tmp_path):
    rec = make_recording(np.ones(40), np.ones(40), segments=[0, 17])
    signal_path = tmp_path / "signal.npy"
    np.save(signal_path, rec.signal)
    window = {"length_ms": 4, "step_ms": 2, "label_rule": "endpoints"}
    n = write_windows(rec, signal_path, tmp_path / "windows.npz", window, extra={"prep": "x"})
    with np.load(tmp_path / "windows.npz") as z:
        meta = json.loads(str(z["meta"]))
        np.testing.assert_array_equal(z["segments"], [0, 17])
        assert z["starts"].size == n
    assert meta["label_rule"] == "endpoints"
    assert meta["length"] == 4 and meta["step"] == 2
    assert meta["signal"] == "signal.npy"
    assert meta["prep"] == "x"
    sw = SubjectWindows.load(tmp_path)
    assert isinstance(sw.signal, np.memmap)
    assert sw.starts.tolist() == [0, 2, 4, 6, 8, 10, 12, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35]
