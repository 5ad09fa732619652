"""ENT, RMS, VAR and SSI of every channel-window: the four features Wu et al. 2024 imitate.

Definitions (from the authors' code; REFERENCE.md), over the window's standardised samples
x_1..x_L of one channel:

* ENT = Shannon entropy (natural log) of softmax(x), i.e. -sum p_i log p_i, p = softmax(x)
* RMS = sqrt(mean x^2)
* VAR = population variance (ddof 0)
* SSI = sum x^2

Windows overlap heavily (300 ms every 10 ms), so ``window_features`` never looks at a
window's samples one by one: it sums fixed blocks of samples once (block = the greatest
common divisor of the window length and the distances between window starts) and adds
up a window's blocks. The entropy uses the log-sum-exp form
``ENT = log Z + sum (M - x) exp(x - M) / Z`` with ``M = max x`` and ``Z = sum exp(x - M)``:
both terms are non-negative (no cancellation) and nothing overflows; each block's sums
are kept relative to the block's own maximum and rescaled to the window's.
``window_features_loop`` is the plain per-window reference the tests and the benchmark
compare against.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.special import softmax
from scipy.stats import entropy

FEATURES = ("ent", "rms", "var", "ssi")


def window_features_loop(
    signal: np.ndarray, starts: np.ndarray, length: int, mean: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """Reference: one window at a time with scipy's softmax and entropy, (n, 4, C)."""
    out = np.empty((len(starts), len(FEATURES), signal.shape[1]))
    for i, s in enumerate(starts):
        x = (np.asarray(signal[s : s + length], dtype=np.float64) - mean) / sd
        out[i, 0] = entropy(softmax(x, axis=0), axis=0)
        out[i, 1] = np.sqrt(np.mean(x * x, axis=0))
        out[i, 2] = np.var(x, axis=0)
        out[i, 3] = np.sum(x * x, axis=0)
    return out


def _block_size(starts: np.ndarray, length: int) -> int:
    g = length
    if starts.size > 1:
        g = gcd(g, int(np.gcd.reduce(np.diff(np.unique(starts)))))
    return max(g, 1)


def _block_sums(
    signal: np.ndarray, offset: int, block: int, n_blocks: int, mean, sd, chunk: int = 4096
) -> tuple[np.ndarray, ...]:
    """Per block and channel: sum x, sum x^2, max m, sum exp(x-m), sum (m-x) exp(x-m)."""
    n_ch = signal.shape[1]
    s1, s2, mx, se, sde = (np.empty((n_blocks, n_ch)) for _ in range(5))
    for a in range(0, n_blocks, chunk):
        b = min(a + chunk, n_blocks)
        raw = np.asarray(signal[offset + a * block : offset + b * block], dtype=np.float64)
        x = ((raw - mean) / sd).reshape(b - a, block, n_ch)
        s1[a:b] = x.sum(axis=1)
        s2[a:b] = np.einsum("ijk,ijk->ik", x, x)
        m = x.max(axis=1)
        d = m[:, None, :] - x
        e = np.exp(-d)
        mx[a:b], se[a:b] = m, e.sum(axis=1)
        sde[a:b] = np.einsum("ijk,ijk->ik", d, e)
    return s1, s2, mx, se, sde


def window_features(
    signal: np.ndarray, starts: np.ndarray, length: int, mean: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """ENT, RMS, VAR, SSI of the windows at ``starts`` of a (T, C) signal, (n, 4, C).

    ``mean`` and ``sd`` standardise each channel first (statistics of the training split).
    Windows are taken in runs of overlapping ones, so scattered windows (one repetition
    of every movement) cost only the samples they cover.
    """
    starts = np.asarray(starts, dtype=np.int64)
    out = np.empty((starts.size, len(FEATURES), signal.shape[1]))
    if starts.size == 0:
        return out
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    order = np.argsort(starts, kind="stable")
    ordered = starts[order]
    cuts = np.flatnonzero(np.diff(ordered) > length) + 1
    for run in np.split(np.arange(ordered.size), cuts):
        out[order[run]] = _run_features(signal, ordered[run], length, mean, sd)
    return out


def _run_features(
    signal: np.ndarray,
    starts: np.ndarray,
    length: int,
    mean: np.ndarray,
    sd: np.ndarray,
    chunk: int = 2048,
) -> np.ndarray:
    n_ch = signal.shape[1]
    out = np.empty((starts.size, len(FEATURES), n_ch))
    block = _block_size(starts, length)
    offset = int(starts.min())  # blocks start at the run's first window
    per_window = length // block
    n_blocks = (int(starts.max()) + length - offset) // block
    s1, s2, mx, se, sde = _block_sums(signal, offset, block, n_blocks, mean, sd)
    first = (starts - offset) // block
    # Cumulative sums of the non-negative / signed block sums give exact-enough window
    # sums in float64; the exponential sums need a per-window maximum, so they are added
    # from the window's own blocks below.
    c1 = np.vstack([np.zeros((1, n_ch)), np.cumsum(s1, axis=0)])
    c2 = np.vstack([np.zeros((1, n_ch)), np.cumsum(s2, axis=0)])
    sum1 = c1[first + per_window] - c1[first]
    sum2 = c2[first + per_window] - c2[first]
    out[:, 1] = np.sqrt(np.maximum(sum2, 0.0) / length)
    out[:, 2] = np.maximum(sum2 / length - (sum1 / length) ** 2, 0.0)
    out[:, 3] = sum2
    span = np.arange(per_window)
    for a in range(0, starts.size, chunk):
        idx = first[a : a + chunk, None] + span  # (n, blocks of the window)
        m_blocks = mx[idx]  # (n, blocks, C)
        m = m_blocks.max(axis=1)
        gap = m[:, None, :] - m_blocks  # >= 0
        w = np.exp(-gap)
        e = se[idx]
        z = (e * w).sum(axis=1)
        spread = ((gap * e + sde[idx]) * w).sum(axis=1)
        out[a : a + chunk, 0] = np.log(z) + spread / z
    return out


def subset_window_features(data, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Features (n, 4, C) of the windows of a ``Subset``, in its row order.

    Each subject's windows are computed together straight from its stored signal.
    """
    table = data.table
    subj = table.meta["subject"].to_numpy()[data.rows]
    local = table.meta["local"].to_numpy()[data.rows]
    out = np.empty((len(data), len(FEATURES), table.n_chans), dtype=np.float64)
    for s in np.unique(subj):
        pos = np.flatnonzero(subj == s)
        sw = table.subjects[int(s)]
        out[pos] = window_features(sw.signal, sw.starts[local[pos]], sw.length, mean, sd)
    return out
