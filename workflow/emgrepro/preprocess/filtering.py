"""Band-pass and notch filtering with MNE, one segment and one channel at a time.

Filtering per segment keeps file boundaries from leaking into each other; filtering
per channel bounds peak memory to one float64 channel on top of the signal itself.
"""

from __future__ import annotations

from typing import Any

import mne
import numpy as np

from emgrepro.recording import Recording


def _filter_1d(x: np.ndarray, fs: float, spec: dict[str, Any]) -> np.ndarray:
    y = x.astype(np.float64)[np.newaxis, :]
    method = spec.get("method", "iir")
    iir_params = {"order": int(spec.get("order", 4)), "ftype": "butter", "output": "sos"}
    kw: dict[str, Any] = {"verbose": "error"}
    if method == "iir":
        kw["iir_params"] = iir_params
    l_freq, h_freq = spec.get("l_freq"), spec.get("h_freq")
    if l_freq is not None or h_freq is not None:
        y = mne.filter.filter_data(y, fs, l_freq, h_freq, method=method, **kw)
    notch = spec.get("notch") or []
    if notch:
        freqs = np.asarray([f for f in notch if f < fs / 2], dtype=float)
        if freqs.size:
            y = mne.filter.notch_filter(y, fs, freqs, method=method, **kw)
    return y[0]


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
    # IIR padding needs a few hundred samples; shorter pieces are left unfiltered.
    min_len = int(spec.get("min_segment_samples", 64))
    for start, stop in rec.segment_bounds():
        for ch in range(rec.n_channels):
            seg = rec.signal[start:stop, ch]
            out[start:stop, ch] = _filter_1d(seg, rec.fs, spec) if seg.size >= min_len else seg
