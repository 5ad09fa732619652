"""Models, registered by name. One file per model; each file registers itself.

Every model takes the signal shape first, ``(n_chans, n_outputs, n_times)``, then its
hyper-parameters and ``fs``, ``training``, ``device`` and ``seed`` as keyword arguments
(``split_arguments`` tells them apart), and returns an estimator with ``fit(train, val)``
and ``predict(data)`` over window subsets. A family declares its hyper-parameters once, as
a frozen dataclass whose instance is the class's ``defaults`` (each variant replaces some
of them; a family built from parts inherits theirs): the declaration the config is checked
against.

What else a model can do is declared in its ``capabilities``; protocols name what they
require (``Protocol.requires``) and the job runner asks, never probes:

* ``fine_tune``: adapt chosen layers on a little data (few-shot transfer);
* ``extend``: add output classes without retraining (incremental learning);
* ``evaluate``: the model scores itself (it does not classify, e.g. feature imitation);
* ``initialise``: load pre-trained parts of other jobs (``init_from``);
* ``recalibrate``: give per-class scores of windows (``class_scores(data)``, (n, n_outputs),
  argmax = prediction) and update itself on labelled windows
  (``recalibrate(data, epochs=..., lr=...)``; the labels are ``data.y``), e.g. on its own
  corrected predictions of a testing session.
"""

import dataclasses
from typing import Any

from emgrepro.params import defaults_params
from emgrepro.registry import Registry

MODELS = Registry("model", "emgrepro.models")
register_model = MODELS.register

FINE_TUNE = "fine_tune"
EXTEND = "extend"
EVALUATE = "evaluate"
INITIALISE = "initialise"
RECALIBRATE = "recalibrate"
CAPABILITIES = frozenset({FINE_TUNE, EXTEND, EVALUATE, INITIALISE, RECALIBRATE})

# Passed by the job runner to every model; not hyper-parameters of the config.
COMMON_ARGS = frozenset({"n_chans", "n_outputs", "n_times", "fs", "training", "device", "seed"})


def capabilities(model) -> frozenset[str]:
    """What a model (class or instance) declares it can do beyond fit and predict."""
    return frozenset(getattr(model, "capabilities", frozenset()))


def model_parameters(name: str) -> dict:
    """The declared hyper-parameters of model ``name``: its family's ``defaults`` (a
    frozen dataclass instance, the one declaration the config is checked against)."""
    cls = MODELS.get(name)
    defaults = getattr(cls, "defaults", None)
    if not dataclasses.is_dataclass(defaults):
        raise TypeError(
            f"model '{name}' ({cls.__name__}) declares no parameters: give it a class "
            "attribute `defaults`, an instance of a frozen dataclass of its hyper-parameters"
        )
    return defaults_params(defaults)


def split_arguments(defaults: Any, arguments: dict) -> tuple[Any, dict]:
    """A family's parameters from a constructor's keyword arguments (an unknown name is a
    TypeError, as for any constructor) and the arguments every model gets."""
    common = {k: v for k, v in arguments.items() if k in COMMON_ARGS}
    own = {k: v for k, v in arguments.items() if k not in COMMON_ARGS}
    return dataclasses.replace(defaults, **own), common


def build_model(name: str, n_chans: int, n_outputs: int, n_times: int, **kwargs):
    """Instantiate the registered model ``name`` for windows of (n_chans, n_times)."""
    return MODELS.get(name)(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, **kwargs)


__all__ = [
    "CAPABILITIES",
    "COMMON_ARGS",
    "EVALUATE",
    "EXTEND",
    "FINE_TUNE",
    "INITIALISE",
    "MODELS",
    "RECALIBRATE",
    "build_model",
    "capabilities",
    "model_parameters",
    "register_model",
    "split_arguments",
]
