"""Tiny learnable windows on disk for model tests: class sets the frequency, subject the gain."""

from __future__ import annotations

import json

import numpy as np

from emgrepro.preprocess.windows import SubjectWindows


def tiny_subjects(tmp_path, n_subjects=2, n_classes=3, reps=6, length=200, seed=0):
    """Tiny learnable windows: class sets the frequency, subject the gain."""
    rng = np.random.default_rng(seed)
    subjects = []
    for s in range(1, n_subjects + 1):
        pieces, labels, rep = [], [], []
        for r in range(1, reps + 1):
            for c in range(1, n_classes + 1):
                t = np.arange(1000)
                x = np.stack([np.sin(2 * np.pi * (0.02 + 0.03 * c) * t + ch) for ch in range(2)], 1)
                pieces.append(x * (1 + 0.3 * s) + 0.1 * rng.standard_normal(x.shape))
                labels += [c] * 1000
                rep += [r] * 1000
        sig = np.concatenate(pieces).astype(np.float32)
        labels, rep = np.array(labels, np.int16), np.array(rep, np.int16)
        folder = tmp_path / f"sub-{s}"
        folder.mkdir()
        np.save(folder / "signal.npy", sig)
        starts = np.array(
            [
                b
                for b in range(0, len(sig) - length, 100)
                if labels[b] == labels[b + length - 1] and rep[b] == rep[b + length - 1]
            ]
        )
        meta = {
            "subject": s,
            "fs": 1000.0,
            "length": length,
            "channel_names": ["a", "b"],
            "signal": "signal.npy",
        }
        np.savez(
            folder / "windows.npz",
            starts=starts,
            labels=labels[starts],
            repetition=rep[starts],
            sample_labels=labels,
            sample_repetition=rep,
            segments=np.array([0]),
            meta=np.array(json.dumps(meta)),
        )
        subjects.append(SubjectWindows.load(folder))
    return subjects
