"""Models, registered by name. One file per model; each file registers itself.

Every model factory takes the signal shape first, ``(n_chans, n_outputs, n_times)``, then
its hyper-parameters, then ``fs``, ``training``, ``device`` and ``seed``, and returns an
estimator with ``fit(train, val)`` and ``predict(data)`` over window subsets.
"""

from emgrepro.registry import Registry

MODELS = Registry("model", "emgrepro.models")
register_model = MODELS.register


def build_model(name: str, n_chans: int, n_outputs: int, n_times: int, **kwargs):
    """Instantiate the registered model ``name`` for windows of (n_chans, n_times)."""
    return MODELS.get(name)(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, **kwargs)


__all__ = ["MODELS", "build_model", "register_model"]
