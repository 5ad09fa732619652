"""Filtering equals MNE's own filter_data / notch_filter, segment by segment."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from emgrepro.preprocess.filtering import filter_recording
from emgrepro.recording import Recording

IIR = {"order": 4, "ftype": "butter", "output": "sos"}


def _mne_reference(x: np.ndarray, fs: float, spec: dict) -> np.ndarray:
    y = mne.filter.filter_data(
        x.T.astype(float),
        fs,
        spec["l_freq"],
        spec["h_freq"],
        method="iir",
        iir_params=dict(IIR),
        verbose="error",
    )
    if spec.get("notch"):
        y = mne.filter.notch_filter(
            y, fs, spec["notch"], method="iir", iir_params=dict(IIR), verbose="error"
        )
    return y.T.astype(np.float32)


@pytest.mark.parametrize("segments", [[0], [0, 20000, 40000, 50000], [0, 30, 9000]])
def test_iir_filter_matches_mne_per_segment(segments):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60000, 3)).astype(np.float32)
    rec = Recording(
        "d",
        1,
        x.copy(),
        4000.0,
        np.zeros(60000, np.int16),
        np.zeros(60000, np.int16),
        ["a", "b", "c"],
        segments=np.array(segments),
    )
    spec = {"l_freq": 20.0, "h_freq": 450.0, "notch": [50.0], "method": "iir", "order": 4}
    filter_recording(rec, spec, rec.signal)  # in place, as preprocessing does
    for a, b in rec.segment_bounds():
        if b - a < 64:
            np.testing.assert_array_equal(rec.signal[a:b], x[a:b])  # too short: untouched
        else:
            np.testing.assert_array_equal(rec.signal[a:b], _mne_reference(x[a:b], 4000.0, spec))


def test_no_filter_copies():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    rec = Recording("d", 1, x, 100.0, np.zeros(10, np.int16), np.zeros(10, np.int16), ["a", "b"])
    out = np.empty_like(x)
    filter_recording(rec, None, out)
    np.testing.assert_array_equal(out, x)
