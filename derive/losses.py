"""The loss registry (per example, over the output components) and the batch reductions.

Each loss is a per-component term l(yhat_k, y_k) with its derivative dl/dyhat_k beside it; the per-example
loss is the sum over the K outputs, times the loss's ``scale(K)`` (1, or 1/K for a mean over the outputs).
Which output activations a loss accepts follows from the range of the activation (ln yhat needs yhat > 0),
so impossible pairs are refused from data, not special cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ._lazy import sp
from .activations import POSITIVE, SIMPLEX, UNIT

ANY = None


def _summed(k):
    """The factor in front of sum_k term for a loss summed over the outputs: 1."""
    return 1


@dataclass(frozen=True)
class Loss:
    """One per-example loss: E = scale(K) * sum_k term(yhat_k, y_k), K the number of outputs."""

    name: str
    term: Callable         # (yhat, y) -> l
    dterm: Callable        # (yhat, y) -> dl/dyhat
    latex: str             # the per-example definition, with \hat{y}_k and y_k
    target: str            # what valid targets look like: real, unit, onehot, count
    accepts: frozenset | None  # output ranges the loss is defined on (None: any)
    summary: str
    negated: Callable | None = None  # -term, kept unevaluated, where sources write the loss as -sum_k [...]
    scale: Callable = _summed  # K outputs -> the factor in front of the sum over them (1/K: their mean)


LOSSES: dict[str, Loss] = {loss.name: loss for loss in [
    # the textbooks' quadratic cost with the 1/2: dl/dyhat = yhat - y
    Loss("mse", lambda yh, y: (yh - y) ** 2 / 2, lambda yh, y: yh - y,
         r"\tfrac12 \sum_k (\hat{y}_k - y_k)^2", "real", ANY, "1/2 sum (yhat - y)^2"),
    # the quadratic cost averaged over the K outputs, C = 1/(2 n_L) sum_j (a_j - y_j)^2: dE/dyhat_k = (yhat_k - y_k)/K,
    # so dE/dz^L is never yhat - y (with an identity output it is (yhat - y)/n_L)
    Loss("mse_mean", lambda yh, y: (yh - y) ** 2 / 2, lambda yh, y: yh - y,
         r"\frac{1}{2K} \sum_k (\hat{y}_k - y_k)^2", "real", ANY, "1/(2K) sum (yhat - y)^2, the mse's mean over the "
         "K outputs", scale=lambda k: 1 / k),
    # the squared error without the 1/2, as many notes write it: dl/dyhat = 2 (yhat - y), so dE/dz^L is never
    # yhat - y (it is 2 (yhat - y) with an identity output)
    Loss("sse", lambda yh, y: (yh - y) ** 2, lambda yh, y: 2 * (yh - y),
         r"\sum_k (\hat{y}_k - y_k)^2", "real", ANY, "sum (yhat - y)^2, no 1/2"),
    # dl/dyhat = -y/yhat + (1 - y)/(1 - yhat) = (yhat - y) / (yhat (1 - yhat))
    Loss("bce", lambda yh, y: -(y * sp.log(yh) + (1 - y) * sp.log(1 - yh)),
         lambda yh, y: -y / yh + (1 - y) / (1 - yh),
         r"-\sum_k \bigl[y_k \ln \hat{y}_k + (1 - y_k)\ln(1 - \hat{y}_k)\bigr]", "unit",
         frozenset({UNIT, SIMPLEX}), "binary cross-entropy",
         lambda yh, y: sp.Add(y * sp.log(yh), (1 - y) * sp.log(1 - yh), evaluate=False)),
    Loss("cce", lambda yh, y: -y * sp.log(yh), lambda yh, y: -y / yh,
         r"-\sum_k y_k \ln \hat{y}_k", "onehot", frozenset({UNIT, SIMPLEX, POSITIVE}),
         "categorical cross-entropy", lambda yh, y: y * sp.log(yh)),
    # Poisson negative log-likelihood without the ln y! constant: dl/dyhat = 1 - y/yhat
    Loss("poisson", lambda yh, y: yh - y * sp.log(yh), lambda yh, y: 1 - y / yh,
         r"\sum_k (\hat{y}_k - y_k \ln \hat{y}_k)", "count", frozenset({UNIT, SIMPLEX, POSITIVE}),
         "Poisson negative log-likelihood"),
]}


# other names people type for the same losses (any case; - or a space for _), read by lookup
LOSS_ALIASES = {"crossentropy": "cce", "cross_entropy": "cce", "categorical_crossentropy": "cce",
                "categorical_cross_entropy": "cce", "binary_crossentropy": "bce", "binary_cross_entropy": "bce",
                "logistic": "bce", "log_loss": "bce", "quadratic": "mse", "squared_error": "mse",
                "mse_per_output": "mse_mean", "mse_over_outputs": "mse_mean",
                "poisson_nll": "poisson",
                "sum_squared_error": "sse", "sum_of_squares": "sse", "squared_error_sum": "sse"}


@dataclass(frozen=True)
class Reduction:
    """How per-example losses combine into the cost: cost = scale(m, K) * sum over examples."""

    name: str
    scale: Callable        # (m examples, K outputs) -> factor
    summary: str


REDUCTIONS: dict[str, Reduction] = {r.name: r for r in [
    Reduction("sum", lambda m, k: 1, "sum over examples"),
    Reduction("mean", lambda m, k: 1 / m, "mean over the m examples (1/m)"),
    Reduction("elementwise_mean", lambda m, k: 1 / (m * k),
              "mean over all m*K output elements, as PyTorch's reduction='mean'"),
]}


def loss(name: str) -> Loss:
    """Look a loss up by name."""
    from .errors import lookup
    return lookup(LOSSES, "loss", name, LOSS_ALIASES)


def reduction(name: str) -> Reduction:
    """Look a reduction up by name."""
    from .errors import lookup
    return lookup(REDUCTIONS, "reduction", name)


def accepts(loss_rec: Loss, act_range: str) -> bool:
    """Whether the loss is defined on every output an activation of this range can give."""
    return loss_rec.accepts is None or act_range in loss_rec.accepts
