"""The loss registry (per example, over the output components), the kinds of targets, and the batch reductions.

Each loss is a per-component term l(yhat_k, y_k) with its derivative dl/dyhat_k beside it; the per-example
loss is the sum over the K outputs, times the loss's ``scale(K)`` (1, or 1/K for a mean over the outputs).
A loss that reads its targets through a map of (y_k, K) (label smoothing's (1 - alpha) y_k + alpha/K) says so in
``target_map``: ``at`` and ``d_at`` are the term and its derivative on the mapped targets, what every caller uses.
Which output activations a loss accepts follows from the range of the activation (ln yhat needs yhat > 0; a
log-probability output is read by nll only), so impossible pairs are refused from data, not special cases.

A loss that reads the whole output vector of an example (CS231n's multiclass SVM: every class's margin over the
correct class's score) is a ``VectorLoss``: its value and its gradient are written once, with three operations on
vectors (an entrywise map, the sum over the classes, that sum spread back over every class), so that the same
definition is one example's list of numbers or symbols (``Lists``: the truth, the forward pass, the output layer's
analysis), one component written with sums over the classes (``Components``: the documents' index form), or the
engine's matrices (``algebra.ClassOps``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from operator import add
from typing import Callable

from ._lazy import sp
from .activations import ABOVE_MINUS_ONE, LOG_SIMPLEX, NONNEG, POSITIVE, REAL, SIMPLEX, UNIT, VALUES

ANY = None  # every output that is a value itself (activations.VALUES: not log-softmax's log-probabilities)
SMOOTHING = (1, 10)  # label smoothing's alpha, exactly 0.1 (Szegedy et al. 2016, sec. 7; PyTorch's common choice)
FOCAL_GAMMA = 2      # the focal loss's gamma (Lin et al. 2017, the paper's best value), no alpha weighting


def _summed(k):
    """The factor in front of sum_k term for a loss summed over the outputs: 1."""
    return 1


def _plain(y, k):
    """The target a term reads: y_k itself."""
    return y


@dataclass(frozen=True)
class Loss:
    """One per-example loss: E = scale(K) * sum_k term(yhat_k, target_map(y_k, K)), K the number of outputs."""

    name: str
    term: Callable         # (yhat, y) -> l
    dterm: Callable        # (yhat, y) -> dl/dyhat
    latex: str             # the per-example definition, with \hat{y}_k and y_k
    target: str            # what valid targets look like: a kind of TARGETS
    accepts: frozenset | None  # output ranges the loss is defined on (ANY: every range of values)
    summary: str
    negated: Callable | None = None  # -term, kept unevaluated, where sources write the loss as -sum_k [...]
    scale: Callable = _summed  # K outputs -> the factor in front of the sum over them (1/K: their mean)
    target_map: Callable = _plain  # (y_k, K) -> the target the term reads (label smoothing's (1 - alpha) y_k + alpha/K)
    # a piecewise term's pieces, each a condition on (yhat, y) numbers: a drawn network's outputs meet every one
    # somewhere (verification.draw_network), so a formula right on one piece only cannot pass unseen
    pieces: tuple = ()
    spread: int = 1  # the output layer's weights and biases drawn this many times wider (a power of 2: exact), so
    # that its outputs reach every piece (the hinge's y yhat > 1 as well as < 1)
    elementwise = True  # a class attribute, not a field: every component its own term (a VectorLoss's is False)

    def at(self, yh, y, k):
        """The term of one component of K outputs, on the mapped target."""
        return self.term(yh, self.target_map(y, k))

    def d_at(self, yh, y, k):
        """dl/dyhat of one component of K outputs, on the mapped target."""
        return self.dterm(yh, self.target_map(y, k))


@dataclass(frozen=True)
class VectorLoss:
    """One per-example loss of the whole output vector s of K classes: E = value(ops, s, y), its gradient dE/ds =
    grad(ops, s, y) beside it, each written with ``ops``' map, total and across (``Lists``, ``Components``,
    ``algebra.ClassOps``). ``margins`` (s, y numbers) gives the numbers whose sign picks the piece each example is on
    (the SVM's margins of the classes other than the correct one): a drawn network keeps every one away from 0,
    where the loss has no derivative, and meets both signs somewhere."""

    name: str
    value: Callable        # (ops, s, y) -> E, one example's loss
    grad: Callable         # (ops, s, y) -> dE/ds, a vector like s
    latex: str             # the per-example definition, with \hat{y}_k and y_k
    target: str
    accepts: frozenset | None
    summary: str
    margins: Callable      # (s, y) lists of numbers -> the numbers whose sign picks each piece
    spread: int = 1
    elementwise = False    # a class attribute, as VectorActivation's: not a field
    scale: Callable = _summed  # no mean over the outputs (the value says what it sums)
    target_map: Callable = _plain
    negated: Callable | None = None
    pieces: tuple = ()     # the pieces are the margins' signs (``margins``), not conditions on one component


class Lists:
    """A VectorLoss's operations on one example's K components as a list (of numbers, of SymPy symbols, of tape
    nodes): map is a comprehension, the total a sum."""

    @staticmethod
    def map(f, *vectors):
        return [f(*xs) for xs in zip(*vectors, strict=True)]

    @staticmethod
    def total(vector):
        return reduce(add, vector)

    def across(self, vector):
        return [self.total(vector)] * len(vector)


class Components:
    """A VectorLoss's operations on one component at a time: a vector is a function of its index, the total a sum
    over the K classes with an index of its own (k, then i, q, r in the order the sums are made)."""

    def __init__(self, size, letters=("k", "i", "q", "r")) -> None:
        self.size, self.letters = size, list(letters)

    def _index(self):
        return sp.Symbol(self.letters.pop(0), integer=True, nonnegative=True)

    @staticmethod
    def map(f, *vectors):
        return lambda u: f(*(v(u) for v in vectors))

    def total(self, vector):
        index = self._index()
        return sp.Sum(vector(index), (index, 0, self.size - 1))

    def across(self, vector):
        value = self.total(vector)
        return lambda u: value


# ---------------------------------------------------------------- the kinds of targets

def _real(rng, k, m):
    return [[rng.uniform(-1, 1) for _ in range(k)] for _ in range(m)]


def _unit(rng, k, m):
    return [[rng.uniform(0.05, 0.95) for _ in range(k)] for _ in range(m)]


def _onehot(rng, k, m):
    hot = [rng.randrange(k) for _ in range(m)]
    return [[float(i == h) for i in range(k)] for h in hot]


def _count(rng, k, m):
    return [[float(rng.randint(0, 3)) for _ in range(k)] for _ in range(m)]


def _distribution(rng, k, m, total=64):
    """K positive multiples of 1/64 that sum to exactly 1 (binary fractions: the sum is exact), no entry 0."""
    out = []
    for _ in range(m):
        cuts = sorted(rng.sample(range(1, total), k - 1)) if k > 1 else []
        bounds = [0, *cuts, total]
        out.append([(b - a) / total for a, b in zip(bounds, bounds[1:])])
    return out


def _binary(rng, k, m):
    return [[float(rng.randrange(2)) for _ in range(k)] for _ in range(m)]


def _sign(rng, k, m):
    return [[rng.choice((-1.0, 1.0)) for _ in range(k)] for _ in range(m)]


def _outlier(rng, k, m):
    """Real targets on three pieces in turn along the batch (example t, component k: (t + k) mod 3): small ones in
    [0, 0.5], which an output near them is within 1 of, and outliers in +-[2.5, 3.5], which it is not."""
    pick = (lambda: rng.uniform(0, 0.5), lambda: rng.uniform(2.5, 3.5), lambda: -rng.uniform(2.5, 3.5))
    return [[pick[(t + i) % 3]() for i in range(k)] for t in range(m)]


@dataclass(frozen=True)
class Targets:
    """A kind of target: how a batch is drawn, and the exact values a witness point takes (one component; a
    vector of three for a softmax output)."""

    name: str
    draw: Callable         # (rng, K, m) -> m target vectors of K floats
    points: tuple          # target values of one component, for a witness of an elementwise pair
    vector: tuple          # a target vector of three components, for a witness of a vector-valued output
    summary: str


_R = Fraction  # exact witness values, made SymPy numbers where they are used (importing this module imports no SymPy)
TARGETS: dict[str, Targets] = {t.name: t for t in [
    Targets("real", _real, (_R(3, 10), _R(-1, 2)), (_R(1, 2), _R(-1, 3), _R(1, 5)), "real, in [-1, 1]"),
    Targets("unit", _unit, (_R(3, 10), _R(4, 5)), (_R(3, 10),) * 3, "in [0, 1]"),
    Targets("onehot", _onehot, (0, 1), (1, 0, 0), "one-hot"),
    Targets("count", _count, (0, 2), (2, 0, 1), "counts 0, 1, 2, 3"),
    Targets("distribution", _distribution, (_R(3, 10), _R(1, 2)), (_R(3, 10), _R(1, 2), _R(1, 5)),
            "a probability vector with no zero entry"),
    Targets("binary", _binary, (0, 1), (1, 0, 1), "0 or 1"),
    Targets("sign", _sign, (1, -1), (1, -1, 1), "-1 or 1"),
    Targets("outlier", _outlier, (_R(3, 10), 3, -3), (_R(3, 10), 3, -3),
            "real, in turn in [0, 0.5] and in +-[2.5, 3.5] (every piece of huber's term)"),
]}


def draw_targets(kind: str, rng: random.Random, k: int, m: int) -> list[list[float]]:
    """One target vector per example, valid for a loss whose ``target`` is ``kind``."""
    from .errors import DeriveError
    if kind not in TARGETS:
        raise DeriveError(f"no random targets for target kind {kind!r}")
    return TARGETS[kind].draw(rng, k, m)


# ---------------------------------------------------------------- the losses

def _smoothed(y, k):
    # Szegedy et al. 2016, sec. 7, with u(k) = 1/K, as torch.nn.CrossEntropyLoss(label_smoothing=alpha):
    # y' = (1 - alpha) y + alpha / K (not the (1 - alpha) y + alpha/(K - 1) (1 - y) of spreading alpha over the others)
    alpha = sp.Rational(*SMOOTHING)
    return (1 - alpha) * y + alpha / k


def _huber(yh, y):
    d = yh - y
    return sp.Piecewise((d ** 2 / 2, sp.Abs(d) <= 1), (sp.Abs(d) - sp.Rational(1, 2), True))


def _huber_d(yh, y):
    # d/dyhat: yhat - y inside, its sign outside: clip(yhat - y, -1, 1)
    d = yh - y
    return sp.Piecewise((d, sp.Abs(d) <= 1), (sp.sign(d), True))


def _focal(yh, y):
    g = FOCAL_GAMMA
    return sp.Add(y * (1 - yh) ** g * sp.log(yh), (1 - y) * yh ** g * sp.log(1 - yh), evaluate=False)


def _focal_d(yh, y):
    # -d/dyhat [y (1 - yhat)^g ln yhat + (1 - y) yhat^g ln(1 - yhat)]
    g = FOCAL_GAMMA
    return -(y * (-g * (1 - yh) ** (g - 1) * sp.log(yh) + (1 - yh) ** g / yh)
             + (1 - y) * (g * yh ** (g - 1) * sp.log(1 - yh) - yh ** g / (1 - yh)))


def _margins(o, s, y):
    # margin_j = s_j - s_{y_i} + Delta, Delta = 1, the correct class's score s_{y_i} = sum_k y_k s_k (y one-hot)
    correct = o.across(o.map(lambda sk, yk: yk * sk, s, y))
    return o.map(lambda sj, c: sj - c + 1, s, correct)


def _svm(o, s, y):
    # CS231n, "Linear classification": L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + 1); (1 - y_j) leaves out j = y_i
    return o.total(o.map(lambda yj, m: (1 - yj) * sp.Max(0, m), y, _margins(o, s, y)))


def _svm_d(o, s, y):
    # dL_i/ds_j = [margin_j > 0] for j != y_i; dL_i/ds_{y_i} = -sum_{j != y_i} [margin_j > 0] (svm_loss_naive's dW)
    # [m > 0] is Heaviside's step H(m), the derivative of max(0, m), printed as the bracket; H(0) is never read (a
    # drawn network keeps every margin away from 0, where the loss has no derivative)
    hit = o.map(lambda yj, m: (1 - yj) * sp.Heaviside(m), y, _margins(o, s, y))
    return o.map(lambda h, yj, n: h - yj * n, hit, y, o.across(hit))


def _svm_margins(s, y):
    """The margins of the classes other than the correct one: numbers, one example's."""
    return [m for m, yj in zip(_margins(Lists(), s, y), y, strict=True) if not yj]


LOSSES: dict[str, Loss | VectorLoss] = {loss.name: loss for loss in list[Loss | VectorLoss]([
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
    # Huber 1964 with delta = 1 (torch.nn.HuberLoss's default): dl/dyhat = clip(yhat - y, -1, 1), yhat - y only
    # where |yhat - y| <= 1
    Loss("huber", _huber, _huber_d,
         r"\sum_k \begin{cases} \frac12 (\hat{y}_k - y_k)^2 & |\hat{y}_k - y_k| \le 1 \\ |\hat{y}_k - y_k| - \frac12 "
         r"& \text{otherwise} \end{cases}", "outlier", ANY, "Huber loss, delta = 1 (= SmoothL1 with beta = 1 only)",
         pieces=(lambda yh, y: yh - y < -1, lambda yh, y: abs(yh - y) <= 1, lambda yh, y: yh - y > 1)),
    # KL(y || yhat) = sum_k y_k ln(y_k / yhat_k): cce plus the targets' entropy, a constant, so dl/dyhat = -y/yhat too
    Loss("kl", lambda yh, y: y * sp.log(y / yh), lambda yh, y: -y / yh,
         r"\sum_k y_k \ln \frac{y_k}{\hat{y}_k}", "distribution", frozenset({SIMPLEX}),
         "Kullback-Leibler divergence KL(y || yhat), y a distribution"),
    # Lin et al. 2017 (RetinaNet), gamma = 2, no alpha; binary targets
    Loss("focal", lambda yh, y: -_focal(yh, y), _focal_d,
         r"-\sum_k \bigl[y_k (1 - \hat{y}_k)^2 \ln \hat{y}_k + (1 - y_k)\,\hat{y}_k^2 \ln(1 - \hat{y}_k)\bigr]",
         "binary", frozenset({UNIT, SIMPLEX}), "binary focal loss, gamma = 2", _focal),
    # the negative log-likelihood of log-probabilities yhat = log-softmax(z): dl/dyhat = -y
    Loss("nll", lambda yh, y: -y * yh, lambda yh, y: -y,
         r"-\sum_k y_k \hat{y}_k", "onehot", frozenset({LOG_SIMPLEX}),
         "negative log-likelihood of log-probabilities (log-softmax outputs)", lambda yh, y: y * yh),
    # cross-entropy against the smoothed targets y' = (1 - alpha) y + alpha/K, alpha = 0.1: dl/dyhat = -y'/yhat
    Loss("cce_smoothed", lambda yh, y: -y * sp.log(yh), lambda yh, y: -y / yh,
         r"-\sum_k \bigl[(1 - \alpha) y_k + \tfrac{\alpha}{K}\bigr] \ln \hat{y}_k,\ \alpha = 0.1", "onehot",
         frozenset({SIMPLEX}), "cross-entropy with label smoothing alpha = 0.1 (y' = 0.9 y + 0.1/K)",
         lambda yh, y: y * sp.log(yh), target_map=_smoothed),
    # the binary hinge on a score, y in {-1, 1}: dl/dyhat = -y where y yhat < 1, else 0
    Loss("hinge", lambda yh, y: sp.Max(0, 1 - y * yh), lambda yh, y: sp.Piecewise((-y, y * yh < 1), (0, True)),
         r"\sum_k \max(0,\, 1 - y_k \hat{y}_k)", "sign", frozenset({REAL, POSITIVE, NONNEG, ABOVE_MINUS_ONE}),
         "binary hinge max(0, 1 - y yhat), y = -1 or 1",
         pieces=(lambda yh, y: y * yh < 1, lambda yh, y: y * yh > 1), spread=16),
    # CS231n's multiclass SVM (Weston-Watkins form, Delta = 1) on the raw scores yhat, y one-hot: every margin over
    # the correct class's score; not yhat - y with an identity output (its gradient is made of the margins' signs)
    VectorLoss("svm", _svm, _svm_d,
               r"\sum_k (1 - y_k) \max\bigl(0,\, \hat{y}_k - \textstyle\sum_i y_i \hat{y}_i + 1\bigr)", "onehot",
               frozenset({REAL}),
               "multiclass SVM (hinge) loss, CS231n's: sum_{j != y} max(0, s_j - s_y + 1); no derivative at a margin 0",
               _svm_margins, spread=16),
])}


# other names people type for the same losses (any case; - or a space for _), read by lookup
LOSS_ALIASES = {"crossentropy": "cce", "cross_entropy": "cce", "categorical_crossentropy": "cce",
                "categorical_cross_entropy": "cce", "binary_crossentropy": "bce", "binary_cross_entropy": "bce",
                "logistic": "bce", "log_loss": "bce", "quadratic": "mse", "squared_error": "mse",
                "mse_per_output": "mse_mean", "mse_over_outputs": "mse_mean",
                "poisson_nll": "poisson",
                "sum_squared_error": "sse", "sum_of_squares": "sse", "squared_error_sum": "sse",
                # no smooth_l1: SmoothL1 with beta = 1 equals Huber with delta = 1, but the two differ for any other
                # value; hinge is the binary one, svm (multiclass_hinge) CS231n's multiclass loss
                "huber_loss": "huber", "huberloss": "huber", "kl_div": "kl", "kldiv": "kl", "kldivloss": "kl",
                "kl_divergence": "kl", "kullback_leibler": "kl", "focal_loss": "focal", "sigmoid_focal_loss": "focal",
                "nll_loss": "nll", "nllloss": "nll", "negative_log_likelihood": "nll",
                "label_smoothing": "cce_smoothed", "smoothed_cce": "cce_smoothed",
                "cross_entropy_smoothed": "cce_smoothed", "hinge_loss": "hinge", "binary_hinge": "hinge",
                "multiclass_hinge": "svm", "cs231n_svm": "svm", "multiclass_svm": "svm", "svm_loss": "svm"}


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


def loss(name: str) -> Loss | VectorLoss:
    """Look a loss up by name."""
    from .errors import lookup
    return lookup(LOSSES, "loss", name, LOSS_ALIASES)


def reduction(name: str) -> Reduction:
    """Look a reduction up by name."""
    from .errors import lookup
    return lookup(REDUCTIONS, "reduction", name)


def accepts(loss_rec: Loss | VectorLoss, act_range: str) -> bool:
    """Whether the loss is defined on every output an activation of this range can give (ANY: every range of values,
    not log-probabilities)."""
    return act_range in (VALUES if loss_rec.accepts is None else loss_rec.accepts)
