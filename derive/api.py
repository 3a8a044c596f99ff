"""The public functions: ``derive(...)`` builds a Derivation (a plain record of formulas), ``verify(d)`` checks
it against forward-pass ground truth, ``document(d)`` writes its verified derivation document.

The verbs live here, not on the record: ``chain.Derivation`` imports nothing above the engine, and this module
sits above everything it calls (verify, gallery, render).
"""

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
        A ``chain.Derivation``: ``delta_out``, ``delta``, ``grad_act``, ``grad_weight``, ``grad_bias`` ...;
        check it with ``verify(d)``, write it out with ``document(d)``.
    """
    from .chain import derive as _derive
    from .problem import Problem
    return _derive(Problem.make(convention, loss, activation if activation is not None else output, hidden))


def verify(d, layers: int = 3, trials: int = 3, seed: int = 0, **options):
    """Check every formula of the Derivation ``d`` against forward-pass ground truth on ``trials`` random
    networks of depth ``layers``; returns a ``verify.Report``. ``options``: ``tolerance``, ``truth`` ("reverse",
    "fd", "sympy"), ``torch``, ``widths``, ``components`` (see ``verify.verify``)."""
    from .verification import verify as _verify
    return _verify(d, layers=layers, trials=trials, seed=seed, **options)


def document(d, fmt: str = "md", layers: int = 3) -> str:
    """The verified derivation document of the Derivation ``d`` as text: md, tex or tex-snippet (``derive doc``)."""
    from .conventions import PRESETS
    from .gallery import Verified
    from .gallery import document as build
    from .render import render
    conv, prob = d.problem.convention, d.problem
    doc = build(conv.name if conv.name in PRESETS else conv, prob.loss.name, prob.output.name, prob.hidden.name,
                Verified(layers=layers))
    return render(doc, fmt, "doc")
