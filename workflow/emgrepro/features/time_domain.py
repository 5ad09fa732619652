"""Hudgins time-domain features plus RMS, vectorised over (n, channels, samples)."""

from __future__ import annotations

import numpy as np

from emgrepro.features.classical import crossings, slope_changes

TD_FEATURES = ("mav", "wl", "zc", "ssc", "rms")


def td_features(x: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """MAV, WL, ZC, SSC and RMS of each channel, shape (n, 5 * channels), float32.

    The definitions of ``emgrepro.features.classical`` (pairs and triples inside the window,
    strictly opposite signs, inclusive threshold with Hudgins' "or" for SSC), computed in
    float64 from the given windows and returned as float32. ``threshold`` (in signal units)
    suppresses zero crossings and slope-sign changes caused by noise, as in Hudgins et al.
    1993.
    """
    x = np.asarray(x, dtype=np.float64)
    mav = np.abs(x).mean(axis=-1)
    wl = np.abs(np.diff(x, axis=-1)).sum(axis=-1)
    zc = crossings(x[..., :-1], x[..., 1:], threshold).sum(axis=-1)
    ssc = slope_changes(x[..., :-2], x[..., 1:-1], x[..., 2:], threshold).sum(axis=-1)
    rms = np.sqrt((x * x).mean(axis=-1))
    feats = np.stack([mav, wl, zc, ssc, rms], axis=-1).astype(np.float32)
    return feats.reshape(x.shape[0], 5 * x.shape[1])
