"""Classical sEMG features (Hudgins et al. 1993; Atzori et al. 2014, 2016) of the windows at
given starts of a stored (T, C) signal, per channel.

Over the L samples x_0 .. x_{L-1} of one channel of the window [s, s + L):

* RMS  = sqrt(sum_i x_i^2 / L)
* MAV  = sum_i |x_i| / L
* WL   = sum_{i=0}^{L-2} |x_{i+1} - x_i|: the L - 1 neighbour pairs inside the window
* ZC   = #{i in 0..L-2 : x_i, x_{i+1} of opposite signs and |x_i - x_{i+1}| >= threshold}
* SSC  = #{i in 1..L-2 : x_i above both or below both neighbours and
  (|x_i - x_{i-1}| >= threshold or |x_i - x_{i+1}| >= threshold)}
* HIST = counts / L of the samples in ``bins`` equal bins over [-r, r] (r per channel)
* mDWT = per level, the sum of |detail coefficients|, then the sum of |approximation|

Pairs and triples reach no sample outside the window: the window's last sample has no
right neighbour for ZC or WL, and its first and last samples are never slope changes.
A sample exactly 0 crosses nothing (the signs must be strictly opposite). The threshold
(signal units, a scalar or one per channel) suppresses noise, as in Hudgins et al.; it is
inclusive, and Hudgins' "or" keeps a slope change with one large side.

RMS, MAV, WL, ZC, SSC and HIST are windowed sums, computed for all windows at once with the
overlap-independent block machinery of ``sliding`` (cost set by the signal's length, not by
windows x L); counts are exact integers. mDWT is not a windowed sum: it runs PyWavelets on
batches of windows. All arithmetic is float64. ``classical_features_loop`` and
``REFERENCE`` are the plain per-window definitions the tests compare against.
"""

from __future__ import annotations

import warnings

import numpy as np

from emgrepro.features import sliding

SETS = ("rms", "td", "hist", "mdwt")
TD = ("mav", "wl", "zc", "ssc")
DEFAULTS = {"threshold": 0.0, "bins": 20, "hist_range": None, "wavelet": "db7", "level": 3}
_SUMS = ("rms", "mav", "wl", "zc", "ssc", "hist")


# -- predicates shared with time_domain.td_features -----------------------------------------


def crossings(a: np.ndarray, b: np.ndarray, threshold=0.0) -> np.ndarray:
    """Zero crossing between neighbours a and b: signs strictly opposite, |a - b| >= threshold."""
    return (np.sign(a) * np.sign(b) < 0) & (np.abs(a - b) >= threshold)


def slope_changes(prev: np.ndarray, mid: np.ndarray, nxt: np.ndarray, threshold=0.0) -> np.ndarray:
    """Slope sign change at ``mid``: above or below both neighbours, one side >= threshold."""
    d1, d2 = mid - prev, nxt - mid
    big = (np.abs(d1) >= threshold) | (np.abs(d2) >= threshold)
    return (np.sign(d1) * np.sign(d2) < 0) & big


def bin_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each sample of x (..., C): edges[b] <= x < edges[b + 1], the last bin closed,
    values below the first edge in bin 0 and above the last in the last bin.

    ``edges`` (C, bins + 1) are equal bins per channel; the arithmetic estimate is corrected
    against the edges, so the bins are exactly np.histogram's on the clipped samples.
    """
    bins, n_ch = edges.shape[1] - 1, edges.shape[0]
    lo, hi = edges[:, 0], edges[:, -1]
    xc = np.maximum(x, lo)  # in-place steps below: fresh temporaries cost page faults
    np.minimum(xc, hi, out=xc)
    est = np.subtract(xc, lo)
    est *= bins / (hi - lo)
    idx = est.astype(np.intp)
    np.minimum(idx, bins - 1, out=idx)
    pos = idx * n_ch
    pos += np.arange(n_ch)
    flat = edges.T.reshape(-1)  # edge e of channel c at e * C + c
    np.take(flat, pos, out=est)  # the estimate's lower edge
    below = xc < est
    pos += n_ch
    np.take(flat, pos, out=est)  # and its upper edge
    above = xc >= est
    above &= idx < bins - 1
    idx += above
    idx -= below
    return idx


def hist_edges(hist_range, n_chans: int, bins: int) -> np.ndarray:
    """(C, bins + 1) equal bin edges over [-r, r] of each channel."""
    if hist_range is None:
        raise ValueError("HIST needs params['hist_range']: r > 0 per channel (e.g. 3 sd)")
    r = np.broadcast_to(np.asarray(hist_range, dtype=np.float64), (n_chans,))
    if not np.all(r > 0) or not np.all(np.isfinite(r)):
        raise ValueError(f"hist_range must be finite and > 0, got {r}")
    if bins < 1:
        raise ValueError(f"bins must be positive, got {bins}")
    return np.stack([np.linspace(-rc, rc, bins + 1) for rc in r])


# -- windowed sums ---------------------------------------------------------------------


def _window_sums(
    signal: np.ndarray,
    starts: np.ndarray,
    length: int,
    want: set[str],
    threshold=0.0,
    hist_range=None,
    bins: int = 20,
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The requested windowed-sum features of every window, in one pass over the signal.

    Results go to ``out`` (name -> (n, C) array, or (n, C, bins) for "hist"; views of a
    larger array are fine) or to new arrays.
    """
    starts = sliding.check_starts(signal, starts, length)
    n, n_ch = starts.size, signal.shape[1]
    thr = np.asarray(threshold, dtype=np.float64)
    res = dict(out or {})
    for k in _SUMS[:5]:
        if k in want and k not in res:
            res[k] = np.empty((n, n_ch))
    edges = None
    if "hist" in want:
        edges = hist_edges(hist_range, n_ch, bins)
        if "hist" not in res:
            res["hist"] = np.empty((n, n_ch, bins))
    extra = 2 if want & {"wl", "zc", "ssc"} else 0
    for stream in sliding.streams(starts, length):
        g = stream.g
        budget = sliding.CHUNK
        if edges is not None:  # per-sub-block bin counts: bins / g values per sample
            budget = max(1, min(budget, 4 * budget * g // bins))
        for chunk in sliding.chunks(signal, stream, extra, budget):
            xe = chunk.x.astype(np.float64)
            part = _chunk_sums(xe, length, g, chunk.block, chunk.sub, want, thr, edges)
            for k, v in part.items():
                if k in ("rms", "mav", "hist"):  # per chunk: in place on a strided view of
                    v = v / length  # a large output, numpy may copy that whole view
                if k == "rms":
                    np.sqrt(v, out=v)
                res[k][chunk.index] = v
    return res


def _sub_sums(a: np.ndarray, g: int) -> np.ndarray:
    """Sums over sub-blocks of g samples of (blocks, L, ...) -> (blocks, L // g, ...)."""
    if g == 1:
        return a
    nb, length = a.shape[:2]
    return a.reshape(nb, length // g, g, *a.shape[2:]).sum(axis=2)


def _chunk_sums(xe, length, g, block, sub, want, thr, edges) -> dict[str, np.ndarray]:
    nb, n_ch = xe.shape[0], xe.shape[2]
    n_sub = length // g
    x = xe[:, :length]
    out = {}

    def window(a: np.ndarray) -> np.ndarray:  # float sums over whole windows
        return sliding.window_sum(*sliding.prefix_suffix(_sub_sums(a, g)), block, sub, n_sub)

    # counts: exact integers, so a cumulative sum over the chunk's sub-blocks may subtract
    first = block * n_sub + sub  # the window's first sub-block, counted over the chunk
    last_sample = block * length + sub * g + length - 1  # its last sample, over the chunk

    def count(ind: np.ndarray, drop: int) -> np.ndarray:
        """Windowed counts of an indicator set at each pair's/triple's first sample, less the
        ``drop`` pairs/triples at the window's end that reach past it."""
        per = _sub_sums(ind.astype(np.int32), g).reshape(nb * n_sub, *ind.shape[2:])
        cum = np.zeros((per.shape[0] + 1, *per.shape[1:]), dtype=np.int64)
        np.cumsum(per, axis=0, out=cum[1:])
        got = cum[first + n_sub] - cum[first]
        flat = ind.reshape(nb * length, *ind.shape[2:])
        for j in range(min(drop, length)):
            got -= flat[last_sample - j]
        return got

    if "rms" in want:
        out["rms"] = window(x * x)
    if "mav" in want:
        out["mav"] = window(np.abs(x))
    if "wl" in want:
        # WL over the window's L - 1 pairs without subtracting: whole sub-blocks of pairs up
        # to the one holding the window's last sample, plus that sub-block's first g - 1
        d = np.abs(xe[:, 1 : length + 1] - x).reshape(nb, n_sub, g, n_ch)
        head = d[:, :, : g - 1].sum(axis=2)  # zeros when g == 1
        full = head + d[:, :, g - 1]
        wl = sliding.window_sum(*sliding.prefix_suffix(full), block, sub, n_sub - 1)
        end_block = np.where(sub > 0, block + 1, block)
        end_sub = np.where(sub > 0, sub - 1, n_sub - 1)
        out["wl"] = wl + head[end_block, end_sub]
    if "zc" in want:
        out["zc"] = count(crossings(x, xe[:, 1 : length + 1], thr), 1)
    if "ssc" in want:
        # a triple (x_i, x_i+1, x_i+2) is counted at i: the change at i + 1
        ind = slope_changes(x, xe[:, 1 : length + 1], xe[:, 2 : length + 2], thr)
        out["ssc"] = count(ind, 2)
    if edges is not None:
        bins = edges.shape[1] - 1
        idx = bin_index(x, edges)  # (nb, L, C)
        key = idx.reshape(nb, n_sub, g, n_ch)  # bins counted per (sub-block, channel)
        key += (np.arange(nb * n_sub * n_ch) * bins).reshape(nb, n_sub, 1, n_ch)
        per = np.bincount(key.reshape(-1), minlength=nb * n_sub * n_ch * bins)
        per = per.reshape(nb * n_sub, n_ch, bins)
        cum = np.zeros((per.shape[0] + 1, n_ch, bins), dtype=np.int64)
        np.cumsum(per, axis=0, out=cum[1:])
        out["hist"] = cum[first + n_sub] - cum[first]
    return out


# -- the features ----------------------------------------------------------------------


def rms(signal: np.ndarray, starts, length: int) -> np.ndarray:
    """RMS = sqrt(sum x^2 / L) of each window and channel, (n, C)."""
    return _window_sums(signal, starts, length, {"rms"})["rms"]


def mav(signal: np.ndarray, starts, length: int) -> np.ndarray:
    """MAV = sum |x| / L of each window and channel, (n, C)."""
    return _window_sums(signal, starts, length, {"mav"})["mav"]


def wl(signal: np.ndarray, starts, length: int) -> np.ndarray:
    """WL = sum of |x[i+1] - x[i]| over the L - 1 neighbour pairs inside the window, (n, C)."""
    return _window_sums(signal, starts, length, {"wl"})["wl"]


def zc(signal: np.ndarray, starts, length: int, threshold=0.0) -> np.ndarray:
    """ZC = pairs i = 0..L-2 with x[i] x[i+1] < 0 and |x[i] - x[i+1]| >= threshold, (n, C)."""
    return _window_sums(signal, starts, length, {"zc"}, threshold)["zc"]


def ssc(signal: np.ndarray, starts, length: int, threshold=0.0) -> np.ndarray:
    """SSC = local extrema x[i], i = 1..L-2, with a side |x[i] - x[i+-1]| >= threshold, (n, C)."""
    return _window_sums(signal, starts, length, {"ssc"}, threshold)["ssc"]


def hist(signal: np.ndarray, starts, length: int, hist_range, bins: int = 20) -> np.ndarray:
    """HIST = counts / L in ``bins`` equal bins over [-r, r], outliers in end bins, (n, C, bins).

    ``hist_range`` is r, one per channel or a scalar (e.g. 3 sd of the training signal).
    Bin b holds edges[b] <= x < edges[b + 1] (the last bin also x = r); samples below -r
    count in the first bin and samples above r in the last.
    """
    return _window_sums(signal, starts, length, {"hist"}, hist_range=hist_range, bins=bins)["hist"]


def mdwt(
    signal: np.ndarray,
    starts,
    length: int,
    wavelet: str = "db7",
    level: int = 3,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """mDWT = sum |cD_1|, ..., sum |cD_level|, sum |cA_level| of each window, (n, C, level + 1).

    ``pywt.wavedec(mode="periodization")`` on batches of windows at once (axis=-1). A level
    beyond PyWavelets' maximum for the window length (db7 on 20 samples) is allowed in this
    mode: its warning that every coefficient then sees the periodic boundary is silenced.
    ``out`` (n, C, level + 1), a view of a larger array if need be, receives the result.
    """
    import pywt

    starts = sliding.check_starts(signal, starts, length)
    n_ch = signal.shape[1]
    if out is None:
        out = np.empty((starts.size, n_ch, level + 1))
    if starts.size == 0:
        return out
    order = np.argsort(starts, kind="stable")
    view = np.lib.stride_tricks.sliding_window_view(signal, length, axis=0)  # (T-L+1, C, L)
    per = max(1, 2 * sliding.CHUNK // (n_ch * length))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Level value of .* is too high")
        for a in range(0, starts.size, per):
            idx = order[a : a + per]
            xw = np.asarray(view[starts[idx]], dtype=np.float64)
            coeffs = pywt.wavedec(xw, wavelet, mode="periodization", level=level, axis=-1)
            for j, c in enumerate(coeffs[:0:-1]):  # cD_1 .. cD_level
                out[idx, :, j] = np.abs(c).sum(axis=-1)
            out[idx, :, level] = np.abs(coeffs[0]).sum(axis=-1)
    return out


def _params(params: dict | None) -> dict:
    p = {**DEFAULTS, **(params or {})}
    unknown = set(p) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown classical feature parameters {sorted(unknown)}")
    return p


def _check_names(names) -> list[str]:
    names = list(names)
    bad = [n for n in names if n not in SETS]
    if bad or not names:
        raise ValueError(f"feature sets {bad or names} unknown or empty; choose from {SETS}")
    return names


def classical_feature_names(names, n_chans: int, params: dict | None = None) -> list[str]:
    """Column labels of ``classical_features``: ``<channel>_<feature>``, e.g. ``ch0_wl``."""
    p = _params(params)
    per = {
        "rms": ["rms"],
        "td": list(TD),
        "hist": [f"hist{b}" for b in range(int(p["bins"]))],
        "mdwt": [f"dwt_d{j}" for j in range(1, int(p["level"]) + 1)] + [f"dwt_a{p['level']}"],
    }
    return [f"ch{c}_{f}" for name in _check_names(names) for c in range(n_chans) for f in per[name]]


def classical_features(signal: np.ndarray, starts, length: int, names, params=None) -> np.ndarray:
    """The feature sets ``names`` (from SETS) of the windows at ``starts``, (n, total) float64.

    Sets are stacked in the order given; inside a set, columns are grouped by channel (all
    of channel 0's features, then channel 1's): "rms" 1 per channel, "td" MAV, WL, ZC, SSC,
    "hist" ``bins``, "mdwt" ``level`` + 1. ``params`` (see DEFAULTS): ``threshold`` for ZC
    and SSC, ``hist_range`` (r per channel, required for "hist") and ``bins``, ``wavelet``
    and ``level``. ``classical_feature_names`` labels the columns.
    """
    names, p = _check_names(names), _params(params)
    starts = sliding.check_starts(signal, starts, length)
    n, n_ch = starts.size, signal.shape[1]
    widths = {"rms": 1, "td": len(TD), "hist": int(p["bins"]), "mdwt": int(p["level"]) + 1}
    out = np.empty((n, n_ch * sum(widths[name] for name in names)))
    dest, col = {}, 0  # every feature is written straight into its columns of ``out``
    for name in names:
        view = out[:, col : col + n_ch * widths[name]].reshape(n, n_ch, widths[name])
        col += n_ch * widths[name]
        if name == "td":
            dest.update({k: view[:, :, j] for j, k in enumerate(TD)})
        else:
            dest[name] = view[:, :, 0] if name == "rms" else view
    want = set(dest) - {"mdwt"}
    if want:
        _window_sums(signal, starts, length, want, p["threshold"], p["hist_range"], p["bins"], dest)
    if "mdwt" in dest:
        mdwt(signal, starts, length, p["wavelet"], p["level"], out=dest["mdwt"])
    return out


# -- per-window reference --------------------------------------------------------------


def _ref_rms(x, p):
    return np.sqrt(np.mean(x * x, axis=0))


def _ref_mav(x, p):
    return np.mean(np.abs(x), axis=0)


def _ref_wl(x, p):
    return np.sum(np.abs(np.diff(x, axis=0)), axis=0)


def _ref_zc(x, p):
    a, b = x[:-1], x[1:]
    opposite = ((a > 0) & (b < 0)) | ((a < 0) & (b > 0))
    return np.sum(opposite & (np.abs(a - b) >= p["threshold"]), axis=0).astype(np.float64)


def _ref_ssc(x, p):
    prev, mid, nxt = x[:-2], x[1:-1], x[2:]
    extremum = ((mid > prev) & (mid > nxt)) | ((mid < prev) & (mid < nxt))
    thr = p["threshold"]
    big = (np.abs(mid - prev) >= thr) | (np.abs(mid - nxt) >= thr)
    return np.sum(extremum & big, axis=0).astype(np.float64)


def _ref_hist(x, p):
    r = np.broadcast_to(np.asarray(p["hist_range"], dtype=np.float64), (x.shape[1],))
    out = np.empty((x.shape[1], int(p["bins"])))
    for c in range(x.shape[1]):
        clipped = np.clip(x[:, c], -r[c], r[c])
        out[c] = np.histogram(clipped, int(p["bins"]), range=(-r[c], r[c]))[0] / x.shape[0]
    return out


def _ref_mdwt(x, p):
    import pywt

    out = np.empty((x.shape[1], int(p["level"]) + 1))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Level value of .* is too high")
        for c in range(x.shape[1]):
            coeffs = pywt.wavedec(x[:, c], p["wavelet"], mode="periodization", level=p["level"])
            out[c] = [np.abs(a).sum() for a in coeffs[:0:-1]] + [np.abs(coeffs[0]).sum()]
    return out


# one window (L, C) float64 and the parameters -> (C,) or (C, k)
REFERENCE = {
    "rms": _ref_rms,
    "mav": _ref_mav,
    "wl": _ref_wl,
    "zc": _ref_zc,
    "ssc": _ref_ssc,
    "hist": _ref_hist,
    "mdwt": _ref_mdwt,
}


def classical_features_loop(
    signal: np.ndarray, starts, length: int, names, params=None
) -> np.ndarray:
    """Reference for ``classical_features``: one window at a time, the plain definitions."""
    names, p = _check_names(names), _params(params)
    if "hist" in names:
        hist_edges(p["hist_range"], signal.shape[1], int(p["bins"]))  # same checks
    starts = sliding.check_starts(signal, starts, length)
    rows = []
    for s in starts:
        x = np.asarray(signal[s : s + length], dtype=np.float64)
        row = []
        for name in names:
            keys = TD if name == "td" else (name,)
            feats = [np.asarray(REFERENCE[k](x, p)).reshape(x.shape[1], -1) for k in keys]
            row.append(np.concatenate(feats, axis=1).reshape(-1))
        rows.append(np.concatenate(row))
    width = len(classical_feature_names(names, signal.shape[1], p))
    return np.array(rows, dtype=np.float64).reshape(len(starts), width)
