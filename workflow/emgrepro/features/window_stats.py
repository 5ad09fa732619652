"""ENT, RMS, VAR and SSI of every channel-window: the four features Wu et al. 2024 imitate.

Definitions (from the authors' code; REFERENCE.md), over the window's standardised samples
x_1..x_L of one channel:

* ENT = Shannon entropy (natural log) of softmax(x), i.e. -sum p_i log p_i, p = softmax(x)
* RMS = sqrt(mean x^2)
* VAR = population variance (ddof 0)
* SSI = sum x^2

Windows overlap heavily (300 ms every 10 ms), so ``window_features`` never adds up a
window's samples one by one: with the block scheme of ``sliding`` (a window is the suffix
of one block of L samples plus the prefix of the next), every window's sums come from
two per-position prefix/suffix values, and the cost grows with the signal's length, not
with windows x L. RMS, VAR and SSI use the window's sum x and sum x^2 (VAR = sum x^2 / L
- (sum x / L)^2, exact to float64 rounding while |window mean| / window sd stays below
about 1e4, which standardised signals meet). The entropy uses the stable form
``ENT = log Z + sum (M - x) exp(x - M) / Z`` with ``M = max x`` and ``Z = sum exp(x - M)``:
both terms are non-negative (no cancellation) and nothing overflows. Prefix and suffix
parts keep their running max, sum exp(x - R) and sum (running max - x) exp(x - R) relative
to their block's max R, accumulated with non-negative terms only, and are rescaled to
the window's max when combined (``_scan``). A block whose samples span more than
``_RANGE`` standardised units (a 600 sd artefact) would underflow exp(x - R): the windows
touching it get their entropy from their own samples instead, with the same formula.
``window_features_loop`` is the plain per-window reference the tests and the benchmarks
compare against.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax
from scipy.stats import entropy

from emgrepro.features import sliding

FEATURES = ("ent", "rms", "var", "ssi")
_RANGE = 600.0  # exp(-600) is still a normal float64


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


def window_features(
    signal: np.ndarray, starts: np.ndarray, length: int, mean: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """ENT, RMS, VAR, SSI of the windows at ``starts`` of a (T, C) signal, (n, 4, C).

    ``mean`` and ``sd`` standardise each channel first (statistics of the training split).
    Starts may come in any order, repeat, or lie far apart: windows that overlap share
    the work, so the cost grows with the samples the windows cover plus one gather per
    window, not with windows x L; memory stays at a few chunk-sized arrays plus the output.
    """
    starts = sliding.check_starts(signal, starts, length)
    out = np.empty((starts.size, len(FEATURES), signal.shape[1]))
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    for stream in sliding.streams(starts, length):
        for chunk in sliding.chunks(signal, stream):
            x = chunk.x.astype(np.float64)
            x -= mean
            x /= sd
            out[chunk.index] = _chunk_features(x, stream.g, chunk.block, chunk.sub)
    return out


def _scan(m: np.ndarray, c: np.ndarray, w: np.ndarray | None):
    """Inclusive scans along sub-blocks of (max, sum exp(x - R), sum (max - x) exp(x - R)).

    ``m``, ``c`` and ``w`` are each sub-block's max, sum exp(x - R) and sum (m - x) exp(x - R),
    R the block's max. With the running max M, the running sum of (M - x) exp(x - R) gains
    at each step the sub-block's own terms, (M - m) times its exponential sum, and the rise
    of M times the exponential sum so far: every term is non-negative.
    """
    run_max = np.maximum.accumulate(m, axis=1)
    run_c = np.cumsum(c, axis=1)
    v = run_max - m
    v *= c
    if w is not None:
        v += w
    v[:, 1:] += (run_max[:, 1:] - run_max[:, :-1]) * run_c[:, :-1]
    return run_max, run_c, np.cumsum(v, axis=1)


def _chunk_features(x: np.ndarray, g: int, block: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Features of the windows starting at (``block``, ``sub``) of standardised blocks ``x``."""
    nb, length, n_ch = x.shape
    n_sub = length // g
    out = np.empty((block.size, len(FEATURES), n_ch))
    if g == 1:
        s1, s2, m = x, x * x, x
    else:
        xs = x.reshape(nb, n_sub, g, n_ch)
        s1 = np.einsum("abgc->abc", xs)
        s2 = np.einsum("abgc,abgc->abc", xs, xs)
        m = sliding.sub_max(xs)
    sum1 = sliding.window_sum(*sliding.prefix_suffix(s1), block, sub, n_sub)
    sum2 = sliding.window_sum(*sliding.prefix_suffix(s2), block, sub, n_sub)
    del s1, s2
    sum1 /= length
    out[:, 3] = sum2
    sum2 /= length
    out[:, 1] = np.sqrt(sum2)
    sum2 -= sum1 * sum1
    out[:, 2] = np.maximum(sum2, 0.0)
    del sum1, sum2

    top = m.max(axis=1)  # R: each block's max
    if g == 1:
        c, w = np.subtract(x, top[:, None]), None
        np.exp(c, out=c)
    else:  # exponential sums relative to the sub-block's max m first, then rescaled to R
        d = np.subtract(xs, m[:, :, None])  # x - m <= 0
        e = np.exp(d)
        c = np.einsum("abgc->abc", e)
        w = np.einsum("abgc,abgc->abc", d, e)  # -sum (m - x) exp(x - m)
        del d, e
        scale = np.exp(m - top[:, None])
        c *= scale
        w *= scale
        np.negative(w, out=w)

    # entropy: the window's suffix part (A) from its start's block, prefix part (B) from the
    # next block; each part's sums are relative to its block's max and rescaled to the
    # window's max M, where both terms of log Z + W / Z are non-negative.
    rev = _scan(m[:, ::-1], c[:, ::-1], None if w is None else w[:, ::-1])
    m_a, c_a, v_a = (a[:, ::-1][block, sub] for a in rev)
    del rev
    has_b = (sub > 0)[:, None]
    nxt, last = np.minimum(block + 1, nb - 1), np.maximum(sub - 1, 0)
    fwd = _scan(m, c, w)
    m_b, c_b, v_b = (a[nxt, last] for a in fwd)
    del fwd
    # a window starting a block has no part B: M = M_A and zero sums
    np.copyto(m_b, m_a, where=~has_b)
    c_b *= has_b
    v_b *= has_b
    big = np.maximum(m_a, m_b)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # wide blocks: below
        f_a = top[block]
        f_a -= big
        np.exp(f_a, out=f_a)
        f_b = np.where(has_b, top[nxt], top[block])
        f_b -= big
        np.exp(f_b, out=f_b)
        m_a -= big  # now -(M - M_A)
        m_a *= c_a
        v_a -= m_a
        v_a *= f_a  # (V_A + (M - M_A) C_A) e^(R_A - M)
        c_a *= f_a
        m_b -= big
        m_b *= c_b
        v_b -= m_b
        v_b *= f_b
        c_b *= f_b
        c_a += c_b  # Z
        v_a += v_b  # W
        v_a /= c_a
        np.log(c_a, out=c_a)
        c_a += v_a
        out[:, 0] = c_a
    del m_a, c_a, v_a, m_b, c_b, v_b, big, f_a, f_b

    # A block whose sub-block maxima span more than _RANGE would underflow exp(x - R): its
    # windows' entropies are computed directly from their samples instead.
    wide = top - m.min(axis=1) > _RANGE
    if wide.any():
        bad = np.flatnonzero((wide[block] | (has_b & wide[nxt])).any(axis=1))
        if bad.size:
            flat = x.reshape(nb * length, n_ch)
            pos = block[bad] * length + sub[bad] * g
            out[bad, 0] = _direct_entropy(flat, pos, length)
    return out


def _direct_entropy(flat: np.ndarray, pos: np.ndarray, length: int) -> np.ndarray:
    """Entropy of the windows [p, p + length) of ``flat`` (samples, C), a batch at a time."""
    view = np.lib.stride_tricks.sliding_window_view(flat, length, axis=0)
    per = max(1, sliding.CHUNK // (length * flat.shape[1]))
    out = np.empty((pos.size, flat.shape[1]))
    for a in range(0, pos.size, per):
        xw = view[pos[a : a + per]]  # (n, C, L)
        big = xw.max(axis=2, keepdims=True)
        e = np.exp(xw - big)
        z = e.sum(axis=2)
        out[a : a + per] = np.log(z) + np.einsum("ncl,ncl->nc", big - xw, e) / z
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
