"""Zhai et al. 2017 input: per-channel spectrograms of 200 ms segments, reduced by PCA to 5 x 5.

The paper (Front. Neurosci. 11:379; REFERENCE.md "Zhai 2017") computes for every channel of
a 200 ms segment (400 samples at 2 kHz) a spectrogram with a 256-point FFT, a Hamming window
and 184 points of overlap: 3 time bins of 129 frequencies, of which the first 95 are kept.
Each channel's spectrogram values are mapped to [0, 1] by the 1st and 99th percentiles of the
training data (clipped outside), vectorised (95 x 3 = 285 values), reduced by a PCA per
channel to 25 components, and the 25 scores are laid out on a 5 x 5 grid with the first
component at the centre.

Spectrogram: ``segment_spectrograms`` equals, segment by segment,
``scipy.signal.spectrogram(x, fs, window="hamming", nperseg=256, noverlap=184, nfft=256,
detrend="constant", scaling="density", mode="psd")`` of the segment in float64.
Our choice, as the paper names neither: each 256-sample frame has its mean removed
(``detrend="constant"``), the values are a one-sided power spectral density
(``scaling="density"``, ``mode="psd"``), and ``"hamming"`` is scipy's periodic Hamming
window (MATLAB's ``hamming(256)`` is the symmetric one; pass ``window=("hamming", ...)`` or
an array to change it). The percentile normalisation makes the density scale irrelevant, but
power versus magnitude and the detrending are not.

Frequencies: the 95 kept bins are k * fs / nfft, k = 0..94, i.e. 0 to 734.375 Hz at 2 kHz.
The paper says 0-736.54 Hz; no bin of a 256-point FFT at 2 kHz lies at 736.54 Hz, so we keep
the 95 points the paper counts and report the frequency they really have.

The segments overlap (400 samples every 200), so they are not copied: every 256-sample frame
of the memory-mapped (T, C) signal is a row of a strided view, and only the frames of a
chunk of segments are gathered, detrended, windowed and transformed (``scipy.fft.rfft``) at
once. ``segment_spectrograms_loop`` is the per-segment reference that calls
``scipy.signal.spectrogram`` directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft
import scipy.signal
from sklearn.decomposition import PCA

from emgrepro.errors import ConfigError

LENGTH, NFFT, NOVERLAP, N_FREQ = 400, 256, 184, 95
INTENSITIES = ("power", "db")  # the spectrogram's values, or 10 log10 of them
DB_FLOOR = 1e-30  # power below this (an all-zero frame) counts as -300 dB
SCIPY_OPTIONS = {"detrend": "constant", "scaling": "density", "mode": "psd"}


def n_time_bins(length: int = LENGTH, nfft: int = NFFT, noverlap: int = NOVERLAP) -> int:
    """Frames per segment, as scipy counts them (no padding, no boundary extension)."""
    hop = nfft - noverlap
    if hop < 1 or length < nfft:
        raise ConfigError(f"need noverlap < nfft <= length; got {noverlap}, {nfft}, {length}")
    return (length - nfft) // hop + 1


def spectrogram_axes(
    length: int = LENGTH,
    nfft: int = NFFT,
    noverlap: int = NOVERLAP,
    n_freq: int = N_FREQ,
    fs: float = 2000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) of the kept bins and frame centres (s from the segment start)."""
    freqs = np.arange(n_freq) * fs / nfft
    times = (nfft / 2 + (nfft - noverlap) * np.arange(n_time_bins(length, nfft, noverlap))) / fs
    return freqs, times


def _window(window: Any, nfft: int) -> np.ndarray:
    if isinstance(window, np.ndarray):
        if window.shape != (nfft,):
            raise ConfigError(f"window array must have shape ({nfft},), not {window.shape}")
        return window.astype(np.float64)
    return scipy.signal.get_window(window, nfft).astype(np.float64)


def segment_spectrograms_loop(
    signal: np.ndarray,
    starts: np.ndarray,
    length: int = LENGTH,
    nfft: int = NFFT,
    noverlap: int = NOVERLAP,
    n_freq: int = N_FREQ,
    fs: float = 2000.0,
    window: Any = "hamming",
) -> np.ndarray:
    """Reference: ``scipy.signal.spectrogram`` of one segment at a time, (n, C, n_freq, T)."""
    n_t = n_time_bins(length, nfft, noverlap)
    out = np.empty((len(starts), signal.shape[1], n_freq, n_t))
    for i, s in enumerate(np.asarray(starts, dtype=np.int64)):
        seg = np.asarray(signal[s : s + length], dtype=np.float64).T  # (C, length)
        _, _, sxx = scipy.signal.spectrogram(
            seg, fs=fs, window=window, nperseg=nfft, noverlap=noverlap, nfft=nfft, **SCIPY_OPTIONS
        )
        out[i] = sxx[:, :n_freq]
    return out


def segment_spectrograms(
    signal: np.ndarray,
    starts: np.ndarray,
    length: int = LENGTH,
    nfft: int = NFFT,
    noverlap: int = NOVERLAP,
    n_freq: int = N_FREQ,
    fs: float = 2000.0,
    window: Any = "hamming",
    dtype: Any = np.float32,
    chunk: int = 16,
) -> np.ndarray:
    """Spectrograms of the segments ``signal[s : s + length]``, (n, C, n_freq, n_time).

    ``signal`` is a (T, C) array (typically the memory-mapped ``signal.npy``); ``starts``
    may be unsorted and irregular. Computed in float64 and stored as ``dtype``; at most
    ``chunk`` segments' frames are in memory at a time (16: the float64 work buffer, 1.2 MB
    for 12 channels, stays in a 2 MB L2 cache, which measured faster than larger chunks).
    """
    starts = np.asarray(starts, dtype=np.int64)
    n_ch = signal.shape[1]
    n_t = n_time_bins(length, nfft, noverlap)
    if not 1 <= n_freq <= nfft // 2 + 1:
        raise ConfigError(f"n_freq must be in 1..{nfft // 2 + 1}, not {n_freq}")
    out = np.empty((starts.size, n_ch, n_freq, n_t), dtype=dtype)
    if starts.size == 0:
        return out
    if starts.min() < 0 or starts.max() + length > signal.shape[0]:
        raise ConfigError(f"segments of {length} samples run outside the signal")
    win = _window(window, nfft)
    scale = np.full(n_freq, 1.0 / (fs * np.sum(win * win)))  # scaling="density"
    scale[1 : min(n_freq, nfft // 2 + (nfft % 2))] *= 2.0  # one-sided: all but DC (and Nyquist)
    # (T - nfft + 1, nfft, C): every frame position of the signal, a zero-copy view whose
    # rows stay contiguous, so gathering a frame copies one block of the stored signal
    frames = np.lib.stride_tricks.sliding_window_view(signal, nfft, axis=0).transpose(0, 2, 1)
    offsets = (nfft - noverlap) * np.arange(n_t)
    ones = np.ones(nfft)
    x = np.empty((min(chunk, starts.size), n_t, nfft, n_ch))  # reused float64 work buffer
    w = win[:, None]
    for a in range(0, starts.size, chunk):
        pos = starts[a : a + chunk, None] + offsets  # (n, n_t)
        raw = frames[pos]  # (n, n_t, nfft, C): the only copy of the signal, in its dtype
        buf = x[: len(pos)]
        mean = np.matmul(ones, raw)[:, :, None, :]  # frame sums in float64
        mean /= nfft
        np.subtract(raw, mean, out=buf)  # detrend="constant"
        buf *= w
        spec = scipy.fft.rfft(buf, n=nfft, axis=-2)[:, :, :n_freq]  # (n, n_t, n_freq, C)
        re_im = spec.view(np.float64)  # (..., 2C): real and imaginary parts interleaved
        re_im = re_im * re_im
        power = re_im[..., 0::2] + re_im[..., 1::2]
        power *= scale[:, None]
        out[a : a + chunk] = power.transpose(0, 3, 2, 1)  # (n, C, n_freq, n_t)
    return out


def grid_order(grid: int = 5) -> np.ndarray:
    """Rank (0 = largest variance) of the PCA component placed at each cell, (grid, grid).

    Our choice (the paper only puts the top component at the centre): cells are taken by
    square ring around the centre (Chebyshev distance), inside a ring by Euclidean distance,
    and at equal distance clockwise starting from the cell above the centre. For 5 x 5::

        24 20  9 13 21
        19  8  1  5 14
        12  4  0  2 10
        18  7  3  6 15
        23 17 11 16 22
    """
    if grid < 1 or grid % 2 == 0:
        raise ConfigError(f"the grid needs a centre cell: odd size, not {grid}")
    c = grid // 2
    rows, cols = np.divmod(np.arange(grid * grid), grid)
    dr, dc = rows - c, cols - c
    angle = np.mod(np.arctan2(dc, -dr), 2 * np.pi)  # 0 above the centre, clockwise
    cells = np.lexsort((angle, dr * dr + dc * dc, np.maximum(abs(dr), abs(dc))))
    order = np.empty(grid * grid, dtype=np.int64)
    order[cells] = np.arange(grid * grid)
    return order.reshape(grid, grid)


class SpectrogramPCA:
    """Percentile normalisation + PCA per channel + 5 x 5 layout, fitted on training data.

    ``fit`` takes the training segments' spectrograms (n, C, F, T) only: the percentiles
    (``np.percentile``, linear interpolation, over all of a channel's training values), the
    PCA means and components all come from them; ``transform`` only applies them. A channel
    whose two percentiles coincide maps to 0. The PCA is scikit-learn's, on the normalised
    vectors in float64 (F-major: ``spec[c].reshape(F * T)``); ``svd_solver="full"`` (LAPACK
    SVD) by default, deterministic, as is ``"covariance_eigh"``. Scores are not whitened.
    """

    def __init__(
        self,
        n_components: int = 25,
        grid: int = 5,
        percentiles: tuple[float, float] = (1.0, 99.0),
        svd_solver: str = "full",
    ):
        if n_components != grid * grid:
            raise ConfigError(f"{n_components} components do not fill a {grid} x {grid} grid")
        lo, hi = percentiles
        if not 0.0 <= lo < hi <= 100.0:
            raise ConfigError(f"percentiles must satisfy 0 <= low < high <= 100: {percentiles}")
        self.n_components = int(n_components)
        self.grid = int(grid)
        self.percentiles = (float(lo), float(hi))
        self.svd_solver = svd_solver
        self.order = grid_order(self.grid)
        self.low: np.ndarray | None = None  # (C,) intensity mapped to 0
        self.high: np.ndarray | None = None  # (C,) intensity mapped to 1
        self.mean: np.ndarray | None = None  # (C, F*T)
        self.components: np.ndarray | None = None  # (C, n_components, F*T)
        self.explained_variance: np.ndarray | None = None  # (C, n_components)

    @property
    def fitted(self) -> bool:
        return self.components is not None

    def _normalise(self, spec: np.ndarray, c: int) -> np.ndarray:
        """Channel ``c`` of (n, C, F, T) as (n, F*T) float64 in [0, 1]."""
        x = np.array(spec[:, c], dtype=np.float64).reshape(spec.shape[0], -1)  # a copy
        span = self.high[c] - self.low[c]
        x -= self.low[c]
        x *= 1.0 / span if span > 0 else 0.0
        return np.clip(x, 0.0, 1.0, out=x)

    def fit(self, spectrograms: np.ndarray) -> SpectrogramPCA:
        """Fit on the training segments' spectrograms (n, C, F, T), and nothing else."""
        spec = np.asarray(spectrograms)
        if spec.ndim != 4:
            raise ConfigError(f"spectrograms must be (n, C, F, T), not {spec.shape}")
        n, n_ch = spec.shape[:2]
        dim = spec.shape[2] * spec.shape[3]
        if n < self.n_components or dim < self.n_components:
            raise ConfigError(
                f"{self.n_components} components need >= that many segments "
                f"and values; got {n} segments of {dim}"
            )
        self.low, self.high = np.empty(n_ch), np.empty(n_ch)
        self.mean = np.empty((n_ch, dim))
        self.components = np.empty((n_ch, self.n_components, dim))
        self.explained_variance = np.empty((n_ch, self.n_components))
        for c in range(n_ch):
            values = np.asarray(spec[:, c], dtype=np.float64)
            self.low[c], self.high[c] = np.percentile(values, self.percentiles)
            pca = PCA(self.n_components, svd_solver=self.svd_solver)
            pca.fit(self._normalise(spec, c))
            self.mean[c] = pca.mean_
            self.components[c] = pca.components_
            self.explained_variance[c] = pca.explained_variance_
        return self

    def transform(self, spectrograms: np.ndarray) -> np.ndarray:
        """Scores of (n, C, F, T) on the fitted components, laid out as (n, C, grid, grid)."""
        if not self.fitted:
            raise ConfigError("SpectrogramPCA.transform before fit")
        spec = np.asarray(spectrograms)
        n, n_ch = spec.shape[:2]
        if n_ch != self.mean.shape[0] or spec.shape[2] * spec.shape[3] != self.mean.shape[1]:
            raise ConfigError(f"spectrograms {spec.shape} do not match the fitted shape")
        out = np.empty((n, n_ch, self.grid, self.grid), dtype=np.float32)
        for c in range(n_ch):
            scores = (self._normalise(spec, c) - self.mean[c]) @ self.components[c].T
            out[:, c] = scores[:, self.order]
        return out

    def fit_transform(self, spectrograms: np.ndarray) -> np.ndarray:
        return self.fit(spectrograms).transform(spectrograms)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything ``from_state`` needs, as plain numpy arrays (for a checkpoint)."""
        if not self.fitted:
            raise ConfigError("SpectrogramPCA.state_dict before fit")
        return {
            "n_components": np.array(self.n_components),
            "grid": np.array(self.grid),
            "percentiles": np.array(self.percentiles),
            "svd_solver": np.array(self.svd_solver),
            "low": self.low.copy(),
            "high": self.high.copy(),
            "mean": self.mean.copy(),
            "components": self.components.copy(),
            "explained_variance": self.explained_variance.copy(),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> SpectrogramPCA:
        obj = cls(
            n_components=int(state["n_components"]),
            grid=int(state["grid"]),
            percentiles=tuple(float(p) for p in np.asarray(state["percentiles"])),
            svd_solver=str(state["svd_solver"]),
        )
        for key in ("low", "high", "mean", "components", "explained_variance"):
            setattr(obj, key, np.array(state[key], dtype=np.float64))
        return obj


class SpectrogramInputs:
    """The Zhai et al. 2017 input of a window subset: segment spectrograms of every
    channel, then a ``SpectrogramPCA`` fitted on training windows only.

    ``fit(train)`` computes the training windows' spectrograms straight from each subject's
    stored signal and fits the normalisation and PCA on them, and on nothing else;
    ``transform(data)`` gives (n, C, grid, grid) float32 scores in the subset's row order.
    ``intensity``: the normalisation and PCA see the spectrogram's power spectral density
    (``"power"``) or its decibels, ``10 log10`` of it (``"db"``).
    Transformed windows are cached per subject window (the same window in another subset,
    or in a blind copy of the table, is computed once); a new ``fit`` empties the cache.
    """

    def __init__(
        self,
        fs: float,
        length: int,
        nfft: int = NFFT,
        noverlap: int = NOVERLAP,
        n_freq: int = N_FREQ,
        n_components: int = 25,
        percentiles: tuple[float, float] = (1.0, 99.0),
        intensity: str = "power",
        chunk: int = 2048,
    ) -> None:
        if intensity not in INTENSITIES:
            raise ConfigError(f"intensity is one of {INTENSITIES}, not {intensity!r}")
        self.intensity = intensity
        grid = int(round(np.sqrt(n_components)))
        if grid * grid != n_components:
            raise ConfigError(f"n_components must be a square (9, 25, ...), not {n_components}")
        n_time_bins(length, nfft, noverlap)  # checks the segment holds a frame
        self.fs, self.length = float(fs), int(length)
        self.nfft, self.noverlap, self.n_freq = int(nfft), int(noverlap), int(n_freq)
        self.pca = SpectrogramPCA(n_components, grid, tuple(percentiles))
        self.chunk = int(chunk)
        self._cache: dict[int, tuple[Any, np.ndarray, np.ndarray]] = {}

    @property
    def grid(self) -> int:
        return self.pca.grid

    def spectrograms(self, data) -> np.ndarray:
        """(n, C, n_freq, T) spectrograms of a subset's windows, in its row order."""
        table = data.table
        subj = table.meta["subject"].to_numpy()[data.rows]
        local = table.meta["local"].to_numpy()[data.rows]
        n_t = n_time_bins(self.length, self.nfft, self.noverlap)
        out = np.empty((len(data), table.n_chans, self.n_freq, n_t), dtype=np.float32)
        for s in np.unique(subj):
            pos = np.flatnonzero(subj == s)
            sw = table.subjects[int(s)]
            out[pos] = self._segments(sw, local[pos])
        return out

    def _segments(self, sw, local: np.ndarray) -> np.ndarray:
        spec = segment_spectrograms(
            sw.signal,
            sw.starts[local],
            length=self.length,
            nfft=self.nfft,
            noverlap=self.noverlap,
            n_freq=self.n_freq,
            fs=self.fs,
        )
        if self.intensity == "db":
            np.maximum(spec, DB_FLOOR, out=spec)
            np.log10(spec, out=spec)
            spec *= 10.0
        return spec

    def fit(self, train) -> SpectrogramInputs:
        """Fit the normalisation and PCA on the training windows' spectrograms only."""
        self.pca.fit(self.spectrograms(train))
        self._cache = {}
        return self

    def transform(self, data) -> np.ndarray:
        """(n, C, grid, grid) PCA scores of a subset's windows, in its row order."""
        table = data.table
        subj = table.meta["subject"].to_numpy()[data.rows]
        local = table.meta["local"].to_numpy()[data.rows]
        g = self.grid
        out = np.empty((len(data), table.n_chans, g, g), dtype=np.float32)
        for s in np.unique(subj):
            sw = table.subjects[int(s)]
            if id(sw) not in self._cache:
                feats = np.empty((sw.n_windows, sw.n_chans, g, g), dtype=np.float32)
                self._cache[id(sw)] = (sw, feats, np.zeros(sw.n_windows, dtype=bool))
            _, feats, done = self._cache[id(sw)]
            pos = np.flatnonzero(subj == s)
            todo = np.unique(local[pos][~done[local[pos]]])
            for a in range(0, todo.size, self.chunk):
                part = todo[a : a + self.chunk]
                feats[part] = self.pca.transform(self._segments(sw, part))
                done[part] = True
            out[pos] = feats[local[pos]]
        return out

    def state_dict(self) -> dict:
        return {
            "pca": self.pca.state_dict(),
            "fs": self.fs,
            "length": self.length,
            "nfft": self.nfft,
            "noverlap": self.noverlap,
            "n_freq": self.n_freq,
            "intensity": self.intensity,
        }

    def load_state_dict(self, state: dict) -> None:
        self.pca = SpectrogramPCA.from_state(state["pca"])
        self.fs, self.length = float(state["fs"]), int(state["length"])
        self.nfft, self.noverlap = int(state["nfft"]), int(state["noverlap"])
        self.n_freq = int(state["n_freq"])
        self.intensity = str(state.get("intensity", "power"))
        self._cache = {}
