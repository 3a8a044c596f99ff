"""The Python entry point: ``derive(...)`` returns a Derivation with every formula and ``.verify()``."""

from __future__ import annotations

from .conventions import Convention


def derive(convention: str | Convention = "nielsen", loss: str = "mse", output: str = "sigmoid",
           hidden: str = "sigmoid", *, activation: str | None = None):
    """Derive the backprop formulas of a network written in ``convention``.

    Args:
        convention: a preset name, a ``.toml`` path, or a Convention record.
        loss: per-example loss (mse, mse_mean, sse, bce, cce, poisson: `derive list`).
        output: the output layer's activation, paired with the loss; ``activation=`` is the same argument
            under the command line's name (``--activation``).
        hidden: the hidden layers' activation.

    Returns:
        A ``chain.Derivation``: ``delta_out``, ``delta``, ``grad_act``, ``grad_weight``, ``grad_bias`` ...
        and ``verify(layers=..., trials=..., seed=...)``.
    """
    from .chain import derive as _derive
    from .problem import Problem
    return _derive(Problem.make(convention, loss, activation if activation is not None else output, hidden))
