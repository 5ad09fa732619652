"""Classical features (RMS, TD, HIST, mDWT) of windows of a stored signal: hand-computed
values, agreement with the per-window reference loop for any starts, the layout of
``classical_features``, and agreement with ``td_features``."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import pywt

from emgrepro.features import classical
from emgrepro.features.classical import (
    classical_feature_names,
    classical_features,
    classical_features_loop,
    hist,
    mav,
    mdwt,
    rms,
    ssc,
    wl,
    zc,
)
from emgrepro.features.time_domain import td_features


def col(seq) -> np.ndarray:
    return np.asarray(seq, dtype=np.float64)[:, None]


ALL = np.array([0])


# -- hand-computed ---------------------------------------------------------------------


def test_rms_mav_wl_by_hand():
    x = col([1, -2, 3, -4])
    assert rms(x, ALL, 4)[0, 0] == pytest.approx(np.sqrt(30 / 4))
    assert mav(x, ALL, 4)[0, 0] == pytest.approx(10 / 4)
    assert wl(x, ALL, 4)[0, 0] == pytest.approx(3 + 5 + 7)
    # the pair (x_3, x_4) reaches past the window [0, 4): not counted
    y = col([1, -2, 3, -4, 100])
    assert wl(y, ALL, 4)[0, 0] == pytest.approx(15.0)
    np.testing.assert_allclose(wl(y, np.array([0, 1]), 4)[:, 0], [15, 5 + 7 + 104])
    assert wl(y, np.array([4]), 1)[0, 0] == 0.0  # one sample: no pair


def test_zero_crossings_by_hand():
    x = col([0.1, -0.1, 5, -5, 0, 2, -1])
    # pairs: (.1,-.1) |.2|, (-.1,5) 5.1, (5,-5) 10, (-5,0) touches 0, (0,2) no, (2,-1) 3
    assert zc(x, ALL, 7)[0, 0] == 4
    assert zc(x, ALL, 7, threshold=1.0)[0, 0] == 3
    assert zc(x, ALL, 7, threshold=5.1)[0, 0] == 2  # inclusive
    assert zc(x, ALL, 7, threshold=20.0)[0, 0] == 0
    # window [0, 3): pairs (0,1), (1,2) only; the crossing (5, -5) lies across its end
    np.testing.assert_array_equal(zc(x, np.array([0, 1, 2, 4]), 3)[:, 0], [2, 2, 1, 1])


def test_slope_sign_changes_by_hand():
    x = col([2, -2, -1.9, -2.1, 3])  # d = -4, 0.1, -0.2, 5.1
    assert ssc(x, ALL, 5)[0, 0] == 3
    # the middle change (0.1 then -0.2) is below 0.5 on both sides: dropped; the other two
    # have one large side and are kept (Hudgins' "or")
    assert ssc(x, ALL, 5, threshold=0.5)[0, 0] == 2
    assert ssc(x, ALL, 5, threshold=10.0)[0, 0] == 0
    # the first and last samples of a window are never slope changes
    np.testing.assert_array_equal(ssc(x, np.array([0, 1, 2]), 3)[:, 0], [1, 1, 1])
    np.testing.assert_array_equal(ssc(x, np.array([0, 1, 2, 3]), 2)[:, 0], [0, 0, 0, 0])
    assert ssc(col([0, 2, 0]), ALL, 3, threshold=2.0)[0, 0] == 1  # inclusive
    assert ssc(col([1, 1, 0]), ALL, 3)[0, 0] == 0  # a flat side is no change


def test_per_channel_threshold():
    x = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(zc(x, ALL, 3, threshold=np.array([0.0, 3.0]))[0], [2, 0])


def test_histogram_by_hand():
    # r = 1, 4 bins: [-1, -.5) [-.5, 0) [0, .5) [.5, 1]; outside samples in the end bins
    x = col([-2, -0.5, 0, 0.49, 1, 3])
    got = hist(x, ALL, 6, hist_range=1.0, bins=4)[0, 0]
    np.testing.assert_allclose(got, np.array([1, 1, 2, 2]) / 6)
    # per channel ranges
    two = np.hstack([col([0.2, 0.7, -0.9]), col([0.2, 0.7, -0.9])])
    got = hist(two, ALL, 3, hist_range=[1.0, 0.1], bins=2)[0]
    np.testing.assert_allclose(got, [[1 / 3, 2 / 3], [1 / 3, 2 / 3]])
    got = hist(two, ALL, 3, hist_range=[1.0, 10.0], bins=2)[0]
    np.testing.assert_allclose(got, [[1 / 3, 2 / 3], [1 / 3, 2 / 3]])


def test_histogram_bins_match_numpy_on_edges():
    r, bins = 1.7, 10
    edges = np.linspace(-r, r, bins + 1)
    x = np.concatenate([edges, np.nextafter(edges, -9), np.nextafter(edges, 9), [0.0, -5, 5]])
    got = hist(col(x), ALL, x.size, hist_range=r, bins=bins)[0, 0] * x.size
    want = np.histogram(np.clip(x, -r, r), bins, range=(-r, r))[0]
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore:Level value of 3 is too high")
def test_mdwt_against_pywt_on_one_window():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    got = mdwt(x, ALL, 64, wavelet="db7", level=3)[0]
    for c in range(2):
        ca3, cd3, cd2, cd1 = pywt.wavedec(x[:, c], "db7", mode="periodization", level=3)
        want = [np.abs(cd1).sum(), np.abs(cd2).sum(), np.abs(cd3).sum(), np.abs(ca3).sum()]
        np.testing.assert_allclose(got[c], want, rtol=1e-12)
    assert mdwt(x, ALL, 64, wavelet="db2", level=2).shape == (1, 2, 3)
    # Haar, one level, by hand: d = (x0 - x1) / sqrt 2, a = (x0 + x1) / sqrt 2
    got = mdwt(col([3, 1, -2, 2]), ALL, 4, wavelet="haar", level=1)[0, 0]
    np.testing.assert_allclose(got, [(2 + 4) / np.sqrt(2), (4 + 0) / np.sqrt(2)])


def test_mdwt_level_beyond_the_wavelets_maximum_is_silent(recwarn):
    x = np.random.default_rng(1).standard_normal((100, 3))
    got = mdwt(x, np.arange(0, 81, 5), 20)  # db7 level 3 on 20 samples (DB1)
    assert got.shape == (17, 3, 4) and np.isfinite(got).all()
    assert not [w for w in recwarn if "too high" in str(w.message)]


# -- vectorised == loop ------------------------------------------------------------------


PARAMS = {"threshold": 0.3, "bins": 7, "level": 2, "wavelet": "db4"}


@pytest.mark.parametrize("length", [1, 2, 3, 20, 50])
def test_agrees_with_the_loop_for_any_starts(length):
    rng = np.random.default_rng(length)
    n = 1200
    signal = (rng.standard_normal((n, 3)) * np.exp(rng.normal(size=(n, 1)))).astype(np.float32)
    signal[300:340] = 0.0  # flat stretch: zeros touch but never cross
    signal[600:620, 1] = 1.5
    params = {**PARAMS, "hist_range": 2 * signal.std(axis=0), "threshold": [0.0, 0.3, 1.0]}
    names = ["rms", "td", "hist"] + (["mdwt"] if length >= 2 else [])
    top = n - length
    cases = {
        "step 1": np.arange(0, top + 1),
        "step 4 from 1": np.arange(1, top + 1, 4),
        "step = length": np.arange(0, top + 1, length),
        "sparse": np.arange(3, top + 1, 2 * length + 5),
        "random, unsorted, repeated": rng.integers(0, top + 1, 150),
        "both ends": np.array([top, 0]),
        "phases": np.concatenate([np.arange(0, 300, 6), np.arange(301, 700, 10), [top]]),
    }
    for name, starts in cases.items():
        fast = classical_features(signal, starts, length, names, params)
        slow = classical_features_loop(signal, starts, length, names, params)
        assert fast.shape == slow.shape, name
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12, err_msg=name)


def test_sets_layout_and_names():
    rng = np.random.default_rng(2)
    signal = rng.standard_normal((300, 2))
    starts = np.arange(0, 281, 10)
    params = {"hist_range": [2.0, 3.0], "bins": 5, "level": 2, "threshold": 0.1}
    names = ["td", "rms", "hist", "mdwt"]
    got = classical_features(signal, starts, 20, names, params)
    labels = classical_feature_names(names, 2, params)
    assert got.shape == (starts.size, len(labels)) == (starts.size, 2 * (4 + 1 + 5 + 3))
    assert labels[:5] == ["ch0_mav", "ch0_wl", "ch0_zc", "ch0_ssc", "ch1_mav"]
    assert labels[8:11] == ["ch0_rms", "ch1_rms", "ch0_hist0"]
    assert labels[-3:] == ["ch1_dwt_d1", "ch1_dwt_d2", "ch1_dwt_a2"]
    i = labels.index("ch1_wl")
    np.testing.assert_allclose(got[:, i], wl(signal, starts, 20)[:, 1])
    i = labels.index("ch0_hist3")
    np.testing.assert_allclose(got[:, i], hist(signal, starts, 20, [2.0, 3.0], 5)[:, 0, 3])
    one = classical_features(signal, starts, 20, ["rms"])
    np.testing.assert_allclose(one, rms(signal, starts, 20))


def test_bad_arguments():
    signal = np.zeros((50, 2))
    with pytest.raises(ValueError, match="unknown or empty"):
        classical_features(signal, ALL, 10, ["td", "wamp"])
    with pytest.raises(ValueError, match="hist_range"):
        classical_features(signal, ALL, 10, ["hist"])
    with pytest.raises(ValueError, match="> 0"):
        classical_features(signal, ALL, 10, ["hist"], {"hist_range": [1.0, 0.0]})
    with pytest.raises(ValueError, match="unknown classical feature parameters"):
        classical_features(signal, ALL, 10, ["rms"], {"treshold": 1})
    with pytest.raises(ValueError, match="do not fit"):
        classical_features(signal, np.array([41]), 10, ["rms"])
    assert classical_features(signal, np.zeros(0, int), 10, ["td", "mdwt"]).shape == (0, 16)


# -- td_features follows the same definitions ---------------------------------------------


@pytest.mark.parametrize("thr", [0.0, 0.4])
def test_td_features_agree_with_classical(thr):
    rng = np.random.default_rng(9)
    signal = rng.standard_normal((500, 3)).astype(np.float32)
    signal[100:130] = 0.0
    starts = np.sort(rng.integers(0, 460, 40))
    windows = np.lib.stride_tricks.sliding_window_view(signal, 40, axis=0)[starts]  # (n, C, L)
    td = td_features(windows, thr).reshape(starts.size, 3, 5)  # mav, wl, zc, ssc, rms
    assert td.dtype == np.float32
    np.testing.assert_array_equal(td[:, :, 2], zc(signal, starts, 40, thr))
    np.testing.assert_array_equal(td[:, :, 3], ssc(signal, starts, 40, thr))
    np.testing.assert_allclose(td[:, :, 0], mav(signal, starts, 40), rtol=1e-6)
    np.testing.assert_allclose(td[:, :, 1], wl(signal, starts, 40), rtol=1e-6)
    np.testing.assert_allclose(td[:, :, 4], rms(signal, starts, 40), rtol=1e-6)


def test_tiny_values_still_cross_zero():
    # products of neighbours would underflow to 0: the sign test does not
    x = np.array([1e-170, -1e-170, 1e-170])[:, None]
    assert zc(x, ALL, 3)[0, 0] == 2
    assert ssc(x, ALL, 3)[0, 0] == 1
    assert td_features(x.T[None], 0.0)[0, 2] == 2  # computed in float64 as well
    assert classical.crossings(np.array([1e-170]), np.array([-1e-170])).all()


def test_peak_memory_is_bounded_by_the_signal():
    rng = np.random.default_rng(0)
    signal = rng.standard_normal((200_000, 12)).astype(np.float32)
    starts = np.arange(0, 200_000 - 400 + 1, 20)
    names, params = ["rms", "td", "hist"], {"hist_range": 3.0, "threshold": 0.1}
    tracemalloc.start()
    try:
        out = classical_features(signal, starts, 400, names, params)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes < 3 * signal.nbytes
