"""Band-pass and notch filtering: MNE designs the filters, applied zero-phase per segment.

Filtering per segment keeps file boundaries from leaking into each other. IIR filters are
designed once per (sampling rate, band) with ``mne.filter.create_filter`` and applied
forward-backward exactly as ``mne.filter.filter_data`` / ``notch_filter`` apply them, a few
channels at a time, so peak memory stays near one float64 block on top of the signal.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import mne
import numpy as np
from scipy.signal import sosfiltfilt

from emgrepro.recording import Recording

BLOCK_SAMPLES = 2**17  # samples x channels filtered in one call


@lru_cache(maxsize=64)
def _iir(fs: float, l_freq: float | None, h_freq: float | None, order: int):
    params = {"order": order, "ftype": "butter", "output": "sos"}
    design = mne.filter.create_filter(
        None, fs, l_freq, h_freq, method="iir", iir_params=params, verbose="error"
    )
    return design["sos"], int(design["padlen"])


def iir_stages(fs: float, spec: dict[str, Any]) -> list[tuple[np.ndarray, int]]:
    """The (sos, padlen) stages of a spec, as MNE would design them.

    Notches follow ``mne.filter.notch_filter``'s IIR defaults: width f/200 plus a 1 Hz
    transition band.
    """
    order = int(spec.get("order", 4))
    stages = []
    l_freq, h_freq = spec.get("l_freq"), spec.get("h_freq")
    if h_freq is not None and h_freq >= fs / 2:
        h_freq = None
    if l_freq is not None or h_freq is not None:
        stages.append(_iir(fs, l_freq, h_freq, order))
    for f in spec.get("notch") or []:
        if f + f / 400.0 + 0.5 < fs / 2:
            stages.append(_iir(fs, f + f / 400.0 + 0.5, f - f / 400.0 - 0.5, order))
    return stages


def _fir(x: np.ndarray, fs: float, spec: dict[str, Any]) -> np.ndarray:
    y = x.T.astype(np.float64)
    l_freq, h_freq = spec.get("l_freq"), spec.get("h_freq")
    if l_freq is not None or h_freq is not None:
        y = mne.filter.filter_data(y, fs, l_freq, h_freq, method="fir", verbose="error")
    notch = [f for f in spec.get("notch") or [] if f < fs / 2]
    if notch:
        y = mne.filter.notch_filter(y, fs, np.asarray(notch), method="fir", verbose="error")
    return y.T


def filter_recording(rec: Recording, spec: dict[str, Any] | None, out: np.ndarray) -> None:
    """Write the filtered signal of ``rec`` into ``out`` (same shape, e.g. a memmap).

    ``spec`` keys: ``l_freq``, ``h_freq`` (Hz, null to skip), ``notch`` (list of Hz),
    ``method`` (``iir`` zero-phase Butterworth or ``fir``), ``order``. ``None`` copies.
    """
    if out.shape != rec.signal.shape:
        raise ValueError(f"output shape {out.shape} differs from signal {rec.signal.shape}")
    if not spec:
        out[:] = rec.signal
        return
    method = spec.get("method", "iir")
    stages = iir_stages(rec.fs, spec) if method == "iir" else []
    min_len = int(spec.get("min_segment_samples", 64))
    for start, stop in rec.segment_bounds():
        n = stop - start
        step = max(1, BLOCK_SAMPLES // max(n, 1))
        for c0 in range(0, rec.n_channels, step):
            cols = slice(c0, min(c0 + step, rec.n_channels))
            block = rec.signal[start:stop, cols]
            if n < min_len:  # too short to pad: left as recorded
                out[start:stop, cols] = block
                continue
            if method != "iir":
                out[start:stop, cols] = _fir(block, rec.fs, spec)
                continue
            y = block.astype(np.float64)
            for sos, padlen in stages:
                y = sosfiltfilt(sos, y, axis=0, padlen=min(padlen, n - 1))
            out[start:stop, cols] = y
