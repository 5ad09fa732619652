"""Checkpoints that load without running code.

A pickle runs whatever it names when it is loaded, so an auditor who loads a shared
checkpoint would run whatever it holds. PyTorch checkpoints are therefore read with
``torch.load(weights_only=True)``, which admits tensors and plain containers only: numpy
arrays are stored as tensors (or, for text, as lists) and turned back on load.
scikit-learn checkpoints are written with skops, whose loader refuses any type that is not
on its list of trusted scikit-learn, numpy and scipy types. skops leaves some of
scikit-learn's own compiled types off that list (a decision tree's ``Tree``, the
neighbours' ``KDTree`` and distance metrics): types of the ``sklearn`` package are trusted
here too; a type of any other package is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from emgrepro.errors import EmgreproError

_ARRAY = "__ndarray__"
_SKLEARN = "sklearn."  # scikit-learn's own types, trusted beyond skops' default list


def _to_safe(obj: Any) -> Any:
    import torch

    if isinstance(obj, dict):
        return {k: _to_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_safe(v) for v in obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biuf":
            return {_ARRAY: torch.from_numpy(np.array(obj, order="C"))}  # a copy; 0-d stays 0-d
        if obj.dtype.kind == "U":
            return {_ARRAY: obj.tolist(), "dtype": obj.dtype.str}
        raise EmgreproError(f"cannot checkpoint a numpy array of dtype {obj.dtype}")
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _from_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        if _ARRAY in obj:
            value = obj[_ARRAY]
            if "dtype" in obj:
                return np.array(value, dtype=obj["dtype"])
            return value.numpy()
        return {k: _from_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_from_safe(v) for v in obj)
    return obj


def save_torch(state: dict, path: Path) -> None:
    """Write a PyTorch checkpoint that ``load_torch`` reads back without unpickling code."""
    import torch

    torch.save(_to_safe(state), path)


def load_torch(path: Path, map_location: Any = "cpu") -> dict:
    """Read a PyTorch checkpoint: tensors and plain containers only, or a one-line error."""
    import pickle

    import torch

    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).splitlines()[-1].strip() if str(exc) else type(exc).__name__
        raise EmgreproError(
            f"{path}: refused: the checkpoint holds more than weights ({first}); only "
            "checkpoints written by this pipeline are loaded. Retrain the job that makes it"
        ) from None
    except (OSError, RuntimeError, EOFError) as exc:
        raise EmgreproError(
            f"{path}: not a readable PyTorch checkpoint ({exc}); retrain the job that makes it"
        ) from None
    if not isinstance(ckpt, dict):
        raise EmgreproError(f"{path}: not a checkpoint of this pipeline (a {type(ckpt).__name__})")
    return _from_safe(ckpt)


def save_sklearn(state: dict, path: Path) -> None:
    """Write a scikit-learn checkpoint with skops (no pickle)."""
    import skops.io

    skops.io.dump(state, path)


def load_sklearn(path: Path) -> dict:
    """Read a scikit-learn checkpoint; skops refuses every type it does not trust."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a foreign file
        raise EmgreproError(
            f"{path}: not a readable skops checkpoint ({type(exc).__name__}: {exc}); retrain "
            "the job that makes it"
        ) from None
    foreign = sorted(name for name in untrusted if not name.startswith(_SKLEARN))
    if foreign:
        raise EmgreproError(
            f"{path}: refused: the checkpoint holds untrusted type(s) {foreign}; "
            "only checkpoints of scikit-learn, numpy and scipy objects are loaded"
        )
    state = skops.io.load(path, trusted=list(untrusted))
    if not isinstance(state, dict):
        raise EmgreproError(f"{path}: not a checkpoint of this pipeline (a {type(state).__name__})")
    return state
