"""Hudgins time-domain features plus RMS, vectorised over (n, channels, samples)."""

from __future__ import annotations

import numpy as np

TD_FEATURES = ("mav", "wl", "zc", "ssc", "rms")


def td_features(x: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """MAV, WL, ZC, SSC and RMS of each channel, shape (n, 5 * channels).

    ``threshold`` (in signal units) suppresses zero crossings and slope-sign changes
    caused by noise, as in Hudgins et al. 1993.
    """
    x = np.asarray(x, dtype=np.float32)
    d = np.diff(x, axis=-1)
    mav = np.abs(x).mean(axis=-1)
    wl = np.abs(d).sum(axis=-1)
    a, b = x[..., :-1], x[..., 1:]
    zc = ((a * b < 0) & (np.abs(a - b) >= threshold)).sum(axis=-1)
    d1, d2 = d[..., :-1], d[..., 1:]
    ssc = ((d1 * d2 < 0) & ((np.abs(d1) >= threshold) | (np.abs(d2) >= threshold))).sum(axis=-1)
    rms = np.sqrt((x * x).mean(axis=-1))
    feats = np.stack([mav, wl, zc.astype(np.float32), ssc.astype(np.float32), rms], axis=-1)
    return feats.reshape(x.shape[0], 5 * x.shape[1])
