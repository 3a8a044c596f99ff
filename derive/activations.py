"""The activation registry: one record per activation, the local derivative beside the definition.

Each elementwise record gives the SymPy definition f(z), its derivative f'(z), and where one exists the
derivative written with the output a = f(z) (sigmoid: a(1 - a)). Softmax and log-softmax are vector-valued: each
record gives the whole vector map and its Jacobian written with the outputs (diag(s) - s s^T; I - 1 (e^a)^T), never
an elementwise stand-in, and the probabilities its output stands for (s itself; e^a for log-probabilities a).
Tests loop over this table and check every derivative against SymPy's own differentiation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ._lazy import sp

# What an activation's outputs can be; losses say which ranges they accept (ln needs a > 0).
REAL, POSITIVE, NONNEG, UNIT, SIGNED_UNIT, ABOVE_MINUS_ONE, SIMPLEX, LOG_SIMPLEX = (
    "real", "positive", "nonnegative", "(0,1)", "(-1,1)", "(-1,inf)", "simplex", "log-simplex")
# the ranges of outputs that are values themselves; a log-simplex output is log-probabilities (log-softmax's),
# read only by a loss that says so (nll)
VALUES = frozenset({REAL, POSITIVE, NONNEG, UNIT, SIGNED_UNIT, ABOVE_MINUS_ONE, SIMPLEX})

LEAK = (1, 100)  # leaky_relu slope for z < 0, exactly 0.01 (PyTorch's default)


def _sig(z):
    return 1 / (1 + sp.exp(-z))


def _step(x, low=0):
    # 1 for x > 0, `low` otherwise; ReLU-type derivatives at the kink take the z < 0 branch, as PyTorch does
    return sp.Piecewise((1, x > 0), (low, True))


@dataclass(frozen=True)
class Activation:
    """One elementwise activation: definition, derivative, derivative in terms of the output, LaTeX name."""

    name: str
    f: Callable            # z -> f(z)
    df: Callable           # z -> f'(z)
    df_out: Callable | None  # a -> f'(z) written with a = f(z), where the activation allows
    latex: str             # the function's name in LaTeX
    range: str             # what f(z) can be
    summary: str
    kinks: tuple = ()      # points where f' jumps (undefined there): verification avoids them
    elementwise: bool = True


def _itself(s):
    return s


def _softmax_jacobian(a: str, aT: str) -> str:
    """diag(a) - a a^T in a document's letters for the output."""
    return rf"\mathrm{{diag}}({a}) - {a} {aT}"


@dataclass(frozen=True)
class VectorActivation:
    """A vector-valued activation: s = f(z) as a whole vector, Jacobian ds_k/dz_j (not diagonal)."""

    name: str
    f: Callable            # list of z_k -> list of s_k
    jac_out: Callable      # (s, k, j) -> ds_k/dz_j written with the outputs
    latex: str
    range: str
    summary: str
    jacobian: str = r"\mathrm{diag}(s) - s s^T"  # the Jacobian in LaTeX, as messages name it
    written: Callable = _softmax_jacobian  # (output, its transpose) in LaTeX -> the Jacobian, in a document
    probability: Callable = _itself  # an output component -> the probability it stands for (e^a for log-softmax)
    kinks: tuple = ()
    elementwise: bool = False


def _softmax(zs):
    e = [sp.exp(z) for z in zs]
    total = sp.Add(*e)
    return [x / total for x in e]


def _logsoftmax(zs):
    # a_k = z_k - ln sum_j e^{z_j}, written as defined (no max shift: truth runs at 50 digits)
    log_total = sp.log(sp.Add(*[sp.exp(z) for z in zs]))
    return [z - log_total for z in zs]


# ---------------------------------------------------------------- elementwise activations
_RECORDS: list[Activation | VectorActivation] = [
    Activation("identity", lambda z: z, lambda z: sp.Integer(1), lambda a: sp.Integer(1),
               r"\operatorname{id}", REAL, "f(z) = z; f' = 1"),
    # d/dz sigmoid(z) = sigmoid(z)(1 - sigmoid(z))
    Activation("sigmoid", _sig, lambda z: _sig(z) * (1 - _sig(z)), lambda a: a * (1 - a),
               r"\sigma", UNIT, "1/(1+e^-z); f' = a(1-a)"),
    # d/dz tanh(z) = 1 - tanh(z)^2
    Activation("tanh", lambda z: sp.tanh(z), lambda z: 1 - sp.tanh(z) ** 2,
               lambda a: 1 - a ** 2, r"\tanh", SIGNED_UNIT, "tanh z; f' = 1 - a^2"),
    Activation("relu", lambda z: sp.Piecewise((z, z > 0), (0, True)), lambda z: _step(z),
               lambda a: _step(a), r"\operatorname{ReLU}", NONNEG, "max(0, z); f' = [z > 0]", kinks=(0,)),
    Activation("leaky_relu", lambda z: sp.Piecewise((z, z > 0), (sp.Rational(*LEAK) * z, True)),
               lambda z: _step(z, sp.Rational(*LEAK)), lambda a: _step(a, sp.Rational(*LEAK)),
               r"\operatorname{LReLU}", REAL, "z if z > 0 else 0.01 z", kinks=(0,)),
    # d/dz softplus(z) = sigmoid(z) = 1 - e^{-a}
    Activation("softplus", lambda z: sp.log(1 + sp.exp(z)), _sig, lambda a: 1 - sp.exp(-a),
               r"\operatorname{softplus}", POSITIVE, "ln(1 + e^z); f' = sigmoid(z)"),
    # d/dz elu(z) = e^z = a + 1 for z <= 0
    Activation("elu", lambda z: sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)),
               lambda z: sp.Piecewise((1, z > 0), (sp.exp(z), True)),
               lambda a: sp.Piecewise((1, a > 0), (a + 1, True)),
               r"\operatorname{ELU}", ABOVE_MINUS_ONE, "z if z > 0 else e^z - 1 (alpha = 1)"),
    # d/dz z sigmoid(z) = sigmoid(z)(1 + z(1 - sigmoid(z)))
    Activation("silu", lambda z: z * _sig(z), lambda z: _sig(z) * (1 + z * (1 - _sig(z))), None,
               r"\operatorname{SiLU}", REAL, "z sigmoid(z)"),
    # exact GELU z Phi(z); d/dz = Phi(z) + z phi(z)
    Activation("gelu", lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2,
               lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2 + z * sp.exp(-z ** 2 / 2) / sp.sqrt(2 * sp.pi),
               None, r"\operatorname{GELU}", REAL, "z Phi(z) (exact, erf form)"),
    Activation("exp", lambda z: sp.exp(z), lambda z: sp.exp(z), lambda a: a,
               r"\exp", POSITIVE, "e^z; f' = a"),
    # ds_k/dz_j = s_k (delta_kj - s_j): diag(s) - s s^T
    VectorActivation("softmax", _softmax,
                     lambda s, k, j: s[k] * (sp.KroneckerDelta(k, j) - s[j]),
                     r"\operatorname{softmax}", SIMPLEX, "e^z_k / sum_j e^z_j; J = diag(s) - s s^T"),
    # da_k/dz_j = delta_kj - softmax(z)_j = delta_kj - e^{a_j}: I - 1 (e^a)^T
    VectorActivation("logsoftmax", _logsoftmax,
                     lambda a, k, j: sp.KroneckerDelta(k, j) - sp.exp(a[j]),
                     r"\operatorname{logsoftmax}", LOG_SIMPLEX,
                     "z_k - ln sum_j e^z_j (log-probabilities); J = I - 1 (e^a)^T",
                     jacobian=r"I - \mathbf{1}\,(e^{a})^T", probability=lambda a: sp.exp(a),
                     written=lambda a, aT: rf"I - \mathbf{{1}}\,(e^{{{a}}})^T"),
]
ACTIVATIONS = {a.name: a for a in _RECORDS}


# other names people type for the same activations (any case; - or a space for _), read by lookup
ACTIVATION_ALIASES = {"logistic": "sigmoid", "linear": "identity", "none": "identity", "lrelu": "leaky_relu",
                      "leakyrelu": "leaky_relu", "swish": "silu", "exponential": "exp",
                      "log_softmax": "logsoftmax"}


def activation(name: str) -> Activation | VectorActivation:
    """Look an activation up by name (UnknownName with suggestions if absent)."""
    from .errors import lookup
    return lookup(ACTIVATIONS, "activation", name, ACTIVATION_ALIASES)
