"""The public functions: ``derive(...)`` builds a Derivation (a plain record of formulas), ``verify(d)`` checks
it against forward-pass ground truth, ``document(d)`` writes its verified derivation document.

The verbs live here, not on the record: ``chain.Derivation`` imports nothing above the engine, and this module
sits above everything it calls (verify, gallery, render).
"""

from __future__ import annotations

from .conventions import Convention
from .errors import DeriveError


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


def layer(kind: str = "batchnorm", convention: str | None = None, unbiased: bool = False):
    """Derive the backward pass of one layer on its own (``derive doc --layer``): batchnorm, layernorm, dropout.

    Args:
        kind: the layer kind.
        convention: whose letters (batchnorm: ioffe, cs231n; layernorm: ba, cs231n; dropout: cs231n); default
            the kind's first.
        unbiased: normalise by the n - 1 variance instead of the 1/n one (batchnorm, layernorm).

    Returns:
        A ``backward.KindDerivation``: every adjoint's chain-rule equation and the closed form; check it with
        ``verify(d)``, write it out with ``document(d)``.
    """
    from .backward import derive_kind
    from .layers import kind as build
    if convention is not None and not isinstance(convention, str | dict):
        raise DeriveError(f"convention must be a notation's name, a .toml file or a dict, not "
                          f"{type(convention).__name__}")
    from .layer_inputs import kind_for
    return derive_kind(build(kind_for(kind, convention), unbiased), convention, unbiased)


def architecture(spec: str, inputs: int = 3, unbiased: bool = False):
    """Derive the backward pass of a network written as layer kinds (``derive doc --architecture``).

    Args:
        spec: the layers in order, as "dense(4), batchnorm, relu, residual(dense(4), batchnorm, relu), dense(2)":
            dense(H), batchnorm, layernorm, dropout, softmax, logsoftmax, any elementwise activation, and the
            blocks residual(...) (y = F(x) + x) and projected(...) (y = F(x) + x W_s).
        inputs: the input's features.
        unbiased: the normalisations' n - 1 variance instead of the 1/n one.

    Returns:
        An ``arch_backward.ArchDerivation``: each step's kind derivation and where its output's gradient comes
        from; check it with ``verify(d)``, write it out with ``document(d)``.
    """
    from .arch_backward import derive_architecture
    from .architectures import parse
    return derive_architecture(parse(spec, inputs, unbiased))


def verify(d, layers: int = 3, trials: int = 3, seed: int = 0, **options):
    """Check every formula of the Derivation ``d`` against forward-pass ground truth on ``trials`` random
    networks of depth ``layers``; returns a ``verify.Report``. ``options``: ``tolerance``, ``truth`` ("reverse",
    "fd", "sympy"), ``torch``, ``widths``, ``components`` (see ``verify.verify``). A layer's derivation
    (``layer(...)``) is checked on ``trials`` random batches (``layers`` and ``options`` do not apply)."""
    from .arch_backward import ArchDerivation
    from .backward import KindDerivation
    if isinstance(d, ArchDerivation):
        if options:
            raise DeriveError(f"verify of an architecture takes trials and seed only, not {', '.join(sorted(options))}")
        from .arch_verification import verify_architecture
        return verify_architecture(d, trials=trials, seed=seed)
    if isinstance(d, KindDerivation):
        if options:
            raise DeriveError(f"verify of one layer takes trials and seed only, not {', '.join(sorted(options))}")
        from .kind_verification import verify_kind
        return verify_kind(d, trials=trials, seed=seed)
    from .verification import verify as _verify
    return _verify(d, layers=layers, trials=trials, seed=seed, **options)


def document(d, fmt: str = "md", layers: int = 3) -> str:
    """The verified derivation document of the Derivation ``d`` as text: md, tex or tex-snippet (``derive doc``)."""
    from .arch_backward import ArchDerivation
    from .backward import KindDerivation
    if isinstance(d, ArchDerivation):
        from .arch_doc import document as arch_document
        return arch_document(d, fmt)
    if isinstance(d, KindDerivation):
        from .kind_doc import document as layer_document
        return layer_document(d, fmt)
    from .conventions import PRESETS
    from .gallery import Verified
    from .gallery import document as build
    from .render import render
    conv, prob = d.problem.convention, d.problem
    doc = build(conv.name if conv.name in PRESETS else conv, prob.loss.name, prob.output.name, prob.hidden.name,
                Verified(layers=layers))
    return render(doc, fmt, "doc")
