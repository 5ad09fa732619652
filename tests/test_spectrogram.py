"""Zhai 2017 input: segment spectrograms against scipy, and the train-only SpectrogramPCA."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from emgrepro.errors import ConfigError
from emgrepro.features.spectrogram import (
    SpectrogramPCA,
    grid_order,
    segment_spectrograms,
    segment_spectrograms_loop,
    spectrogram_axes,
)

FS = 2000.0


@pytest.fixture(scope="module")
def signal(tmp_path_factory) -> np.ndarray:
    """A memory-mapped (T, 12) float32 signal, as the pipeline stores it."""
    rng = np.random.default_rng(7)
    t = np.arange(30_000) / FS
    x = rng.standard_normal((t.size, 12)) * (1.0 + np.arange(12))
    x += 3.0 * np.sin(2 * np.pi * 120.0 * t)[:, None] + 0.5  # a tone and an offset
    path = tmp_path_factory.mktemp("zhai") / "signal.npy"
    np.save(path, x.astype(np.float32))
    return np.load(path, mmap_mode="r")


def scipy_segment(signal: np.ndarray, start: int) -> np.ndarray:
    seg = np.asarray(signal[start : start + 400], dtype=np.float64).T
    freqs, times, sxx = scipy.signal.spectrogram(
        seg,
        fs=FS,
        window="hamming",
        nperseg=256,
        noverlap=184,
        nfft=256,
        detrend="constant",
        scaling="density",
        mode="psd",
    )
    assert freqs.shape == (129,) and times.shape == (3,)
    return sxx[:, :95]


def test_one_segment_equals_scipy(signal):
    got = segment_spectrograms(signal, np.array([1000]), dtype=np.float64)
    assert got.shape == (1, 12, 95, 3)
    np.testing.assert_allclose(got[0], scipy_segment(signal, 1000), rtol=1e-6, atol=0)


def test_irregular_segments_equal_scipy(signal):
    rng = np.random.default_rng(3)
    starts = np.concatenate(
        [[0, signal.shape[0] - 400, 200, 400, 401], rng.integers(0, 29_600, 40)]
    )
    expected = np.stack([scipy_segment(signal, s) for s in starts])
    for dtype, chunk in ((np.float64, 7), (np.float32, 256)):
        got = segment_spectrograms(signal, starts, dtype=dtype, chunk=chunk)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(segment_spectrograms_loop(signal, starts), expected, rtol=1e-12)


def test_shape_and_axes():
    freqs, times = spectrogram_axes(fs=FS)
    assert freqs.shape == (95,) and times.shape == (3,)
    # bin 94 of a 256-point FFT at 2 kHz; the paper writes 736.54 Hz (see the module)
    assert freqs[-1] == pytest.approx(734.375)
    ref_f, ref_t, _ = scipy.signal.spectrogram(np.zeros(400), fs=FS, nperseg=256, noverlap=184)
    np.testing.assert_allclose(freqs, ref_f[:95])
    np.testing.assert_allclose(times, ref_t)
    empty = segment_spectrograms(np.zeros((500, 2), np.float32), np.zeros(0, np.int64))
    assert empty.shape == (0, 2, 95, 3)
    with pytest.raises(ConfigError):
        segment_spectrograms(np.zeros((500, 2), np.float32), np.array([101]))


def spectra(rng, n: int, shift: float = 0.0, n_ch: int = 3) -> np.ndarray:
    """Random (n, C, 95, 3) intensities with a low-rank structure per channel."""
    basis = np.random.default_rng(0).standard_normal((n_ch, 4, 285))
    z = rng.standard_normal((n, n_ch, 4)) * np.array([5.0, 3.0, 2.0, 1.0])
    x = np.einsum("nck,ckd->ncd", z, basis) + 0.1 * rng.standard_normal((n, n_ch, 285))
    return (np.exp(x / 4) + shift).reshape(n, n_ch, 95, 3)


def ungrid(cells: np.ndarray) -> np.ndarray:
    """(n, 5, 5) grid of one channel back to the 25 scores in component order."""
    return cells.reshape(len(cells), 25)[:, np.argsort(grid_order().ravel())]


def test_percentile_normalisation_and_clipping():
    rng = np.random.default_rng(1)
    train = spectra(rng, 200)
    pca = SpectrogramPCA().fit(train)
    for c in range(train.shape[1]):
        lo, hi = np.percentile(train[:, c], [1, 99])
        assert pca.low[c] == lo and pca.high[c] == hi
        norm = pca._normalise(train, c)
        assert norm.min() == 0.0 and norm.max() == 1.0
        inside = (train[:, c] > lo) & (train[:, c] < hi)
        assert 0.97 < inside.mean() < 0.99  # 1 % clipped at each end, up to ties
        np.testing.assert_allclose(
            norm[inside.reshape(len(train), -1)], ((train[:, c] - lo) / (hi - lo))[inside]
        )
    # values far outside the training range clip to 0 and 1
    far = np.concatenate([train[:1] * 0 - 1e6, train[:1] * 0 + 1e6])
    assert (pca._normalise(far, 0)[0] == 0).all() and (pca._normalise(far, 0)[1] == 1).all()


def test_fit_uses_training_data_only():
    rng = np.random.default_rng(2)
    train, test = spectra(rng, 150), spectra(rng, 60, shift=1e4)
    train_copy, test_copy = train.copy(), test.copy()
    pca = SpectrogramPCA().fit(train)
    before = {k: v.copy() for k, v in pca.state_dict().items()}
    alone = SpectrogramPCA().fit(train)  # the same fit, without the test set anywhere
    out = pca.transform(test)
    np.testing.assert_array_equal(train, train_copy)  # inputs are never modified
    np.testing.assert_array_equal(test, test_copy)
    assert out.shape == (60, 3, 5, 5) and out.dtype == np.float32
    after = pca.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
        np.testing.assert_array_equal(alone.state_dict()[key], value)
    # the test set is far above the training range: everything clips to 1, and the
    # parameters stay those of the training data
    assert (pca.low < 1e3).all() and (pca.high < 1e3).all()
    expected = (np.ones(285) - pca.mean[0]) @ pca.components[0].T
    np.testing.assert_allclose(ungrid(out[:, 0]), np.tile(expected, (60, 1)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ConfigError):
        SpectrogramPCA().transform(test)


def test_grid_centre_holds_the_first_component():
    order = grid_order(5)
    assert order[2, 2] == 0
    assert sorted(order.ravel()) == list(range(25))
    assert set(order[1:4, 1:4].ravel()) == set(range(9))  # ring 1 before ring 2
    assert [order[1, 2], order[2, 3], order[3, 2], order[2, 1]] == [1, 2, 3, 4]
    rng = np.random.default_rng(4)
    train = spectra(rng, 120)
    pca = SpectrogramPCA().fit(train)
    out = pca.transform(train)
    for c in range(3):
        x = pca._normalise(train, c)
        first = (x - pca.mean[c]) @ pca.components[c, 0]
        np.testing.assert_allclose(out[:, c, 2, 2], first, rtol=1e-5, atol=1e-5)
        # the centre carries the largest variance of all cells
        var = out[:, c].reshape(len(train), 25).var(axis=0)
        assert var.argmax() == 12
        assert np.all(np.diff(pca.explained_variance[c]) <= 0)


def test_determinism_and_state_round_trip():
    rng = np.random.default_rng(5)
    train, test = spectra(rng, 100), spectra(rng, 20)
    a, b = SpectrogramPCA().fit(train), SpectrogramPCA().fit(train)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value)
    np.testing.assert_array_equal(a.transform(test), b.transform(test))
    state = {k: np.asarray(v) for k, v in a.state_dict().items()}
    assert all(isinstance(v, np.ndarray) for v in state.values())
    np.testing.assert_array_equal(
        SpectrogramPCA.from_state(state).transform(test), a.transform(test)
    )
    eigh = SpectrogramPCA(svd_solver="covariance_eigh").fit(train)
    np.testing.assert_allclose(np.abs(eigh.transform(test)), np.abs(a.transform(test)), atol=1e-4)


def test_bad_parameters():
    with pytest.raises(ConfigError):
        SpectrogramPCA(n_components=20)
    with pytest.raises(ConfigError):
        SpectrogramPCA(n_components=16, grid=4)
    with pytest.raises(ConfigError):
        SpectrogramPCA(percentiles=(99, 1))
    with pytest.raises(ConfigError):
        SpectrogramPCA().fit(np.ones((10, 2, 95, 3)))
