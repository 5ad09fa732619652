"""Models, registered by name. One file per model; each file registers itself.

Every model takes the signal shape first, ``(n_chans, n_outputs, n_times)``, then its
hyper-parameters (keyword arguments with defaults: the declaration the config is checked
against), then ``fs``, ``training``, ``device`` and ``seed``, and returns an estimator with
``fit(train, val)`` and ``predict(data)`` over window subsets.

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

from emgrepro.params import signature_params
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
    """The declared hyper-parameters of model ``name`` (its constructor signature)."""
    return signature_params(MODELS.get(name), exclude=COMMON_ARGS)


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
]
