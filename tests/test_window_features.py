"""ENT, RMS, VAR, SSI of overlapping windows (``window_stats``) and the block machinery
behind them (``sliding``): hand-computed values, agreement with the per-window loop for any
starts, the entropy's stability under huge spikes, and bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import entropy

from emgrepro.features import sliding, window_stats
from emgrepro.features.window_stats import window_features, window_features_loop

ENT, RMS, VAR, SSI = range(4)


def stable_entropy(signal, starts, length, mean, sd) -> np.ndarray:
    """Per window: log Z + sum (M - x) exp(x - M) / Z with the window's own max M."""
    out = []
    for s in starts:
        x = (np.asarray(signal[s : s + length], dtype=np.float64) - mean) / sd
        big = x.max(axis=0)
        e = np.exp(x - big)
        z = e.sum(axis=0)
        out.append(np.log(z) + ((big - x) * e).sum(axis=0) / z)
    return np.array(out)


def check(signal, starts, length, mean=None, sd=None):
    n_ch = signal.shape[1]
    mean = np.zeros(n_ch) if mean is None else mean
    sd = np.ones(n_ch) if sd is None else sd
    fast = window_features(signal, starts, length, mean, sd)
    slow = window_features_loop(signal, starts, length, mean, sd)
    assert fast.shape == (len(starts), 4, n_ch)
    # entropies that vanish (one sample dominating the softmax) are compared absolutely
    np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-12)
    # ... and relatively, even when tiny, against the stable per-window form
    np.testing.assert_allclose(
        fast[:, ENT], stable_entropy(signal, starts, length, mean, sd), rtol=1e-9, atol=0
    )
    return fast


# -- hand-computed ---------------------------------------------------------------------


def test_hand_computed_values():
    # one channel; windows of 3 at 0, 1 and 3 of x = (0, ln 2, 0, 1, -1, 1)
    ln2 = np.log(2.0)
    signal = np.array([[0.0], [ln2], [0.0], [1.0], [-1.0], [1.0]])
    got = window_features(signal, np.array([0, 1, 3]), 3, np.zeros(1), np.ones(1))[:, :, 0]
    # (0, ln2, 0): softmax = (1, 2, 1) / 4 -> entropy = 2 * ln4 / 4 + ln2 / 2 = 1.5 ln 2
    np.testing.assert_allclose(
        got[0], [1.5 * ln2, np.sqrt(ln2**2 / 3), ln2**2 / 3 - (ln2 / 3) ** 2, ln2**2], rtol=1e-12
    )
    # (ln2, 0, 1): sums only
    np.testing.assert_allclose(got[1, 3], ln2**2 + 1, rtol=1e-12)
    # (1, -1, 1): mean 1/3, mean square 1, variance 8/9
    np.testing.assert_allclose(got[2, 1:], [1.0, 8 / 9, 3.0], rtol=1e-12)
    p = softmax(np.array([1.0, -1.0, 1.0]))
    np.testing.assert_allclose(got[2, 0], entropy(p), rtol=1e-12)
    np.testing.assert_allclose(got[2, 0], -np.sum(p * np.log(p)), rtol=1e-12)


def test_entropy_against_scipy_on_tiny_signals():
    rng = np.random.default_rng(5)
    signal = rng.normal(size=(9, 2)) * 3
    for length in (1, 2, 5, 9):
        starts = np.arange(0, 10 - length)
        got = window_features(signal, starts, length, np.zeros(2), np.ones(2))[:, ENT]
        want = [entropy(softmax(signal[s : s + length], axis=0), axis=0) for s in starts]
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    # one sample per window: a softmax of one value has zero entropy
    assert np.all(window_features(signal, np.arange(9), 1, np.zeros(2), np.ones(2))[:, ENT] == 0)


def test_constant_window_has_entropy_log_length_and_zero_variance():
    signal = np.full((50, 1), 7.0)
    got = window_features(signal, np.array([0, 13, 30]), 20, np.zeros(1), np.ones(1))[:, :, 0]
    np.testing.assert_allclose(got[:, ENT], np.log(20), rtol=1e-14)
    np.testing.assert_allclose(got[:, VAR], 0.0, atol=1e-12)
    np.testing.assert_allclose(got[:, SSI], 20 * 49.0, rtol=1e-14)


# -- vectorised == loop ------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 7, 40, 64])
def test_agrees_with_the_loop_for_any_starts(length):
    rng = np.random.default_rng(length)
    n = 1500
    burst = np.exp(rng.normal(0.0, 1.0, size=(n, 1)))  # heavy tails
    signal = (2 * rng.standard_normal((n, 3)) * burst + 0.5).astype(np.float32)
    mean, sd = signal.mean(axis=0), signal.std(axis=0)
    top = n - length
    cases = {
        "step 1": np.arange(0, top + 1),
        "step 3 from 2": np.arange(2, top + 1, 3),
        "step = length": np.arange(0, top + 1, length),
        "step > length (sparse)": np.arange(5, top + 1, 2 * length + 3),
        "random, unsorted, repeated": rng.integers(0, top + 1, 200),
        "both ends": np.array([top, 0, top, 0]),
        "phases": np.concatenate([np.arange(0, 400, 10), np.arange(401, 900, 10) + 3, [top]]),
        "subset shuffled": rng.permutation(np.arange(1, top + 1, 4))[: top // 8 + 1],
    }
    for name, starts in cases.items():
        fast = check(signal, starts, length, mean, sd)
        assert np.isfinite(fast).all(), name


@pytest.fixture
def direct_calls(monkeypatch) -> list[int]:
    """Counts the windows whose entropy took the direct (wide-block) path."""
    calls: list[int] = []
    original = window_stats._direct_entropy

    def counting(flat, pos, length):
        calls.append(pos.size)
        return original(flat, pos, length)

    monkeypatch.setattr(window_stats, "_direct_entropy", counting)
    return calls


def test_huge_spikes_keep_every_entropy_exact(direct_calls):
    rng = np.random.default_rng(3)
    signal = rng.standard_normal((3000, 2)).astype(np.float32)
    signal[1234, 0] = 400.0  # 400 sd: inside the blocks' range, no fallback
    signal[700, 1] = -400.0
    signal[2500, 1] = 300.0
    for length, step in [(200, 10), (200, 1), (37, 5), (64, 64)]:
        starts = np.arange(0, 3000 - length + 1, step)
        fast = check(signal, starts, length)
        near = (starts <= 1234) & (starts + length > 1234)
        assert fast[near, ENT, 0].max() < 1e-100  # the spike takes all the probability
        assert fast[~near, ENT, 0].min() > 1.0
    assert not direct_calls


def test_spikes_beyond_the_block_range_use_the_direct_path(direct_calls):
    rng = np.random.default_rng(4)
    signal = rng.standard_normal((2000, 2))
    signal[900, 0] = 1000.0  # sub-block maxima 1000 apart: exp(x - R) would underflow
    signal[1500, 1] = -5000.0
    starts = rng.permutation(np.arange(0, 2000 - 120 + 1, 3))
    check(signal, starts, 120)
    # only the windows whose blocks hold the spikes: a few blocks' worth, not all
    assert 0 < sum(direct_calls) < starts.size / 3


def test_windows_at_the_start_and_end_of_the_signal():
    rng = np.random.default_rng(8)
    signal = rng.standard_normal((101, 2))
    for length in (1, 10, 50, 100, 101):
        starts = np.unique([0, 101 - length, (101 - length) // 2])
        check(signal, starts, length)
    # a signal one window long, read from a memory-map-like read-only array
    ro = signal.copy()
    ro.setflags(write=False)
    check(ro, np.array([0]), 101)


def test_empty_and_invalid_starts():
    signal, mean, sd = np.zeros((10, 3)), np.zeros(3), np.ones(3)
    assert window_features(signal, np.array([], int), 4, mean, sd).shape == (0, 4, 3)
    for bad in ([-1], [7], [0, 7]):
        with pytest.raises(ValueError, match="do not fit"):
            window_features(signal, np.array(bad), 4, mean, sd)


# -- the block machinery ---------------------------------------------------------------


def test_streams_group_runs_by_sub_block_size():
    starts = np.array([500, 0, 20, 40, 1000, 1003, 60, 3000])  # unsorted
    streams = sliding.streams(starts, 100)
    by_g = {s.g: s for s in streams}
    # run 0..60 every 20 -> g 20; run 500 alone and 3000 alone -> g 100; 1000, 1003 -> g 1
    assert sorted(by_g) == [1, 20, 100]
    s20 = by_g[20]
    assert list(starts[s20.index]) == [0, 20, 40, 60]
    assert list(s20.block_starts) == [0, 100]
    assert list(s20.sub) == [0, 1, 2, 3]
    assert list(by_g[100].block_starts) == [500, 3000]
    assert list(by_g[1].block_starts) == [1000, 1100]
    assert list(by_g[1].sub) == [0, 3]
    # every window appears once
    assert sorted(np.concatenate([s.index for s in streams])) == list(range(starts.size))


def test_window_sum_of_prefix_and_suffix():
    a = np.arange(1.0, 13.0).reshape(3, 4)  # 3 blocks of 4 sub-blocks
    pre, suf = sliding.prefix_suffix(a)
    flat = a.reshape(-1)
    block, sub = np.array([0, 0, 1, 1]), np.array([0, 3, 1, 2])
    for width in (3, 4):
        got = sliding.window_sum(pre, suf, block, sub, width)
        want = [flat[4 * b + q : 4 * b + q + width].sum() for b, q in zip(block, sub)]
        np.testing.assert_array_equal(got, want)


def test_peak_memory_is_bounded_by_the_signal():
    rng = np.random.default_rng(0)
    signal = rng.standard_normal((200_000, 12)).astype(np.float32)
    starts = np.arange(0, 200_000 - 600 + 1)  # step 1: 199,401 windows of 600
    tracemalloc.start()
    try:
        out = window_features(signal, starts, 600, np.zeros(12), np.ones(12))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # materialised windows would take 600 x the signal; beyond its own output the
    # computation holds a few chunk-sized arrays and index arrays of the windows
    assert peak - out.nbytes < 3 * signal.nbytes
