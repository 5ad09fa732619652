"""Checkpoints load without executing code: crafted ones are refused, genuine ones round-trip."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emgrepro.checkpoint import load_sklearn, load_torch, save_sklearn, save_torch
from emgrepro.errors import EmgreproError


class _Payload:
    """Unpickling this runs ``touch <marker>``: what a hostile checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_torch_checkpoint_round_trips_arrays_text_and_history(tmp_path):
    state = {
        "state": {"w": torch.arange(6.0).reshape(2, 3)},
        "mean": np.array([1.5, 2.5], dtype=np.float32),
        "pca": {"svd_solver": np.array("full"), "grid": np.array(5), "low": np.zeros((2, 3))},
        "history": [{"epoch": 1, "loss": np.float64(0.25)}],
        "features": ["rms", "var"],
        "n_new": 0,
    }
    save_torch(state, tmp_path / "m.pt")
    back = load_torch(tmp_path / "m.pt")
    assert torch.equal(back["state"]["w"], state["state"]["w"])
    assert back["mean"].dtype == np.float32 and np.array_equal(back["mean"], state["mean"])
    assert str(back["pca"]["svd_solver"]) == "full" and int(back["pca"]["grid"]) == 5
    assert back["pca"]["low"].shape == (2, 3)
    assert back["history"] == [{"epoch": 1, "loss": 0.25}] and back["features"] == ["rms", "var"]


def test_a_torch_checkpoint_crafted_to_run_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"state": {}, "evil": _Payload(marker)}, tmp_path / "evil.pt")
    with pytest.raises(EmgreproError, match=r"evil\.pt: refused"):
        load_torch(tmp_path / "evil.pt")
    assert not marker.exists(), "loading the checkpoint ran its code"


def test_a_plain_pickle_is_refused_as_a_torch_checkpoint(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(EmgreproError, match=r"evil\.pt"):
        load_torch(tmp_path / "evil.pt")
    assert not marker.exists()


def test_sklearn_checkpoint_round_trips_a_fitted_pipeline(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 4)), np.repeat([0, 1, 2], 20)
    pipe = make_pipeline(StandardScaler(), LinearDiscriminantAnalysis()).fit(x, y)
    save_sklearn({"pipeline": pipe, "mean": x.mean(0), "threshold": 0.5}, tmp_path / "m.skops")
    back = load_sklearn(tmp_path / "m.skops")
    assert np.array_equal(back["pipeline"].predict(x), pipe.predict(x))
    assert back["threshold"] == 0.5


def test_sklearn_types_skops_leaves_untrusted_still_load(tmp_path):
    """Random forests and KNN (Atzori's classical grid) hold scikit-learn's compiled
    ``Tree`` and ``KDTree``, which skops does not trust by default."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), np.repeat([0, 1], 20)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y)
    knn = KNeighborsClassifier(algorithm="kd_tree").fit(x, y)
    save_sklearn({"cells": [forest, knn]}, tmp_path / "grid.skops")
    back = load_sklearn(tmp_path / "grid.skops")["cells"]
    assert np.array_equal(back[0].predict(x), forest.predict(x))
    assert np.array_equal(back[1].predict(x), knn.predict(x))


def test_a_sklearn_checkpoint_with_an_untrusted_type_is_refused(tmp_path):
    """A skops file naming a type outside scikit-learn, numpy and scipy (here a class of the
    test, which could as well run code when built) is refused before anything is built."""
    import skops.io

    marker = tmp_path / "pwned"
    skops.io.dump({"pipeline": _Holder(str(marker))}, tmp_path / "evil.skops")
    with pytest.raises(EmgreproError, match=r"evil\.skops: refused: .*untrusted type"):
        load_sklearn(tmp_path / "evil.skops")
    assert not marker.exists()


def test_a_pickle_named_like_a_sklearn_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.skops").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(EmgreproError, match=r"evil\.skops: not a readable skops checkpoint"):
        load_sklearn(tmp_path / "evil.skops")
    assert not marker.exists()
    with zipfile.ZipFile(tmp_path / "zip.skops", "w") as zf:
        zf.writestr("data.pkl", pickle.dumps(_Payload(marker)))
    with pytest.raises(EmgreproError, match=r"zip\.skops"):
        load_sklearn(tmp_path / "zip.skops")
    assert not marker.exists()


class _Holder:
    """A plain object whose construction on load would be the attacker's code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state):  # what would run if the type were trusted
        from pathlib import Path

        Path(state["marker"]).touch()
        self.__dict__.update(state)
