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

BLOCK_SAMPLES = 2**17  # samples x channels filtered in one call (1 MiB of float64)


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
    min_len = int(spec.get("min_segment_samples", 64))
    if method != "iir":
        for start, stop in rec.segment_bounds():
            if stop - start >= min_len:
                out[start:stop] = _fir(rec.signal[start:stop], rec.fs, spec)
            else:
                out[start:stop] = rec.signal[start:stop]
        return
    stages = iir_stages(rec.fs, spec)
    # Columns (segment, channel) of equal-length segments are filtered together: one
    # sosfiltfilt call per block instead of one per segment, identical results.
    by_length: dict[int, list[int]] = {}
    for start, stop in rec.segment_bounds():
        by_length.setdefault(stop - start, []).append(start)
    for n, starts in by_length.items():
        columns = [(a, c) for a in starts for c in range(rec.n_channels)]
        per_call = max(1, BLOCK_SAMPLES // max(n, 1))
        for i in range(0, len(columns), per_call):
            chunk = columns[i : i + per_call]
            block = np.empty((n, len(chunk)), dtype=np.float64)
            for j, (a, c) in enumerate(chunk):
                block[:, j] = rec.signal[a : a + n, c]
            if n >= min_len:
                for sos, padlen in stages:
                    block = sosfiltfilt(sos, block, axis=0, padlen=min(padlen, n - 1))
            for j, (a, c) in enumerate(chunk):
                out[a : a + n, c] = block[:, j]
