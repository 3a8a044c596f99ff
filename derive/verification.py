"""Verification: the engine's formulas evaluated on random concrete networks against forward-pass truth.

The recursions are run as a user would run them (delta at the output, then layer by layer down), so an
error anywhere shows in every layer below it. Widths are unequal so that a missing transpose cannot hide,
and targets are valid for the loss. Ground truth comes from ``truth`` (the forward pass differentiated by
central differences in high precision, or exactly by SymPy), optionally also from PyTorch's autograd.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import mpmath
import sympy as sp

from .algebra import Env, evaluate
from .chain import Derivation
from .symbols import LAMBDA, L, l

PRECISION = 50  # decimal digits for every evaluation: depth-24 gradients can be 1e-15 of the loss
TOLERANCE = 1e-9
TORCH_TOLERANCE = 1e-7  # float64 autograd agrees to about 1e-12, not to 50 digits
QUANTITIES = ("delta", "grad_act", "delta_from_grad_act", "grad_weight", "grad_bias")
# Every engine quantity is compared with the truth of the quantity it claims to be.
TRUTH_OF = {"delta_from_grad_act": "delta"}


def _truth_name(quantity: str) -> str:
    base = quantity.removesuffix(" [index]")
    return TRUTH_OF.get(base, base)


@dataclass
class Trial:
    """One random network: its widths, batch size, seed and the worst error per quantity."""

    seed: int
    widths: list
    m: int
    errors: dict = field(default_factory=dict)     # quantity -> max relative error over layers
    worst_layer: dict = field(default_factory=dict)


# how a report names each quantity for a reader, in no convention's letters (a document names them in its own:
# doc.py); the JSON keeps the short keys
LABELS = {"delta": "δ^l = ∂E/∂z^l, every layer", "grad_act": "∂E/∂a^l by its own recursion, every layer",
          "delta_from_grad_act": "δ^l from ∂E/∂a^l", "grad_weight": "∂E/∂W^l", "grad_bias": "∂E/∂b^l"}
TRUTHS = {"reverse": "reverse-mode differentiation at 50 digits", "fd": "central differences at 50 digits",
          "sympy": "exact symbolic derivatives"}
FORMS = ((" [index]", ", entry by entry"), (" (torch)", ", against PyTorch"))  # a quantity key's suffixes


def label(quantity: str, names: dict | None = None) -> str:
    """'grad_weight [index] (torch)' -> '∂E/∂W^l, entry by entry, against PyTorch'; ``names`` in place of
    LABELS names the quantities in a convention's notation."""
    base, forms = quantity, ""
    for suffix, words in FORMS:
        if suffix in base:
            base, forms = base.replace(suffix, ""), forms + words
    return (names or LABELS).get(base, base) + forms


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'one example', '3 examples', '2 random networks': a count as a sentence says it."""
    return f"one {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def truth_label(truth: str) -> str:
    return " + ".join(TRUTHS.get(t, t).replace("torch", "PyTorch autograd") for t in truth.split(" + "))


@dataclass
class Report:
    """The outcome of ``verify``: max relative error per quantity, over every layer and trial."""

    problem: str
    depth: int
    tolerance: float
    truth: str
    trials: list
    errors: dict = field(default_factory=dict)

    def limit(self, quantity: str) -> float:
        return max(self.tolerance, TORCH_TOLERANCE) if quantity.endswith("(torch)") else self.tolerance

    @property
    def ok(self) -> bool:
        return all(e <= self.limit(q) for q, e in self.errors.items())

    def to_dict(self) -> dict:
        return {"problem": self.problem, "depth": self.depth, "truth": self.truth, "tolerance": self.tolerance,
                "ok": self.ok, "max_relative_error": self.errors, "trials": [asdict(t) for t in self.trials]}

    def to_json(self) -> str:
        import json
        return json.dumps(self.to_dict(), indent=2)

    def text(self) -> str:
        lines = [f"{self.problem}; depth {self.depth}; truth: {truth_label(self.truth)}; "
                 f"{counted(len(self.trials), 'random network')}, widths "
                 + ", ".join(str(t.widths) for t in self.trials)]
        width = max(map(len, map(label, self.errors)), default=0)
        for q, e in self.errors.items():
            lines.append(f"  {label(q):{width}}  max rel. error {e:.2e}  {'ok' if e <= self.limit(q) else 'FAIL'}")
        lines.append("verified" if self.ok else f"FAILED: some error exceeds {self.tolerance:g}")
        return "\n".join(lines)

    def __repr__(self) -> str:  # one line: the verdict and the worst error; str() is the whole table
        worst = max(self.errors, key=lambda q: self.errors[q], default=None)
        figure = f", worst {self.errors[worst]:.1e} ({label(worst)})" if worst is not None else ""
        return (f"<Report {self.problem}, depth {self.depth}, {counted(len(self.trials), 'network')}: "
                f"{'verified' if self.ok else 'FAILED'}{figure}>")

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:  # Jupyter
        rows = [f"| {label(q)} | {e:.2e} | {'ok' if e <= self.limit(q) else '**FAIL**'} |"
                for q, e in self.errors.items()]
        head = (f"**{self.problem}**, depth {self.depth}, {counted(len(self.trials), 'random network')}, truth: "
                f"{truth_label(self.truth)}: "
                + ("verified" if self.ok else f"**FAILED** (tolerance {self.tolerance:g})"))
        return "\n".join([head, "", "| quantity | max relative error | |", "|---|---:|---|", *rows]) + "\n"


def make_env(layer, net, fwd) -> Env:
    """Concrete values of every layer quantity of ``net`` (forward pass, parameters, targets); ``layer`` is the
    convention's ``Layer``, whose symbols name the widths and the batch size."""
    conv = net.problem.convention
    tensors = {("z", k): v for k, v in fwd.Z.items()} | {("a", k): v for k, v in fwd.A.items()}
    tensors |= {("W", k): v for k, v in net.weights.items()} | {("b", k): v for k, v in net.biases.items()}
    tensors[("y", net.output_label)] = net.Y
    # lambda exactly (SymPy Floats multiply at 15 digits); l2 is a checked float, never a string to parse
    scalars = {layer.batch: net.m, LAMBDA: sp.Rational(*conv.l2.as_integer_ratio())}
    scalars |= {layer.width[net.input_label + p]: n for p, n in enumerate(net.widths)}
    return Env(tensors, scalars)


def engine_values(deriv: Derivation, net, fwd, components: bool = False) -> dict:
    """Evaluate every derived formula at every layer of a concrete network: {(quantity, layer): matrix}.

    With ``components``, each formula's index form is evaluated entry by entry too, as "<quantity> [index]".
    """
    if components:  # the index form's module, which a check never needs
        from .components import component, evaluate_component, evaluate_entries
    conv = deriv.problem.convention
    last, first = net.output_label, net.input_label + 1
    env = make_env(deriv.layer, net, fwd)
    tensors = env.tensors
    out = {}

    def put(quantity, k, expr):
        out[(quantity, k)] = evaluate(expr, env)
        if quantity in ("delta", "grad_act"):
            tensors[(quantity, k)] = out[(quantity, k)]
        if components:
            entry, value = component(expr), out[(quantity, k)]
            per_example = expr.shape[1] == 1 and value.cols > 1  # column layout: one formula per example
            out[(f"{quantity} [index]", k)] = evaluate_entries(
                lambda i, c: evaluate_component(entry, env, i, 0 if per_example else c),
                value.rows, value.cols, env, per_example)

    env.layer_symbols = {L: last, l: last}
    put("delta", last, deriv.delta_out)
    put("grad_act", last, deriv.grad_act_out)
    for k in range(last - 1, first - 1, -1):
        env.layer_symbols = {L: last, l: k}
        put("delta", k, deriv.delta)
        put("grad_act", k, deriv.grad_act if k + 1 < last else deriv.grad_act_from_delta)
        put("delta_from_grad_act", k, deriv.delta_from_grad_act)
    for k in range(first, last + 1):
        env.layer_symbols = {L: last, l: conv.weight_index(k)}  # the weight gradient is indexed by its weight
        put("grad_weight", k, deriv.grad_weight)
        env.layer_symbols = {L: last, l: k}
        if deriv.grad_bias is not None:
            put("grad_bias", k, deriv.grad_bias)
    return out


def relative_error(got, want) -> float:
    """max |got - want| / max |want| (absolute where the truth is zero); shapes must agree."""
    if (got.rows, got.cols) != (want.rows, want.cols):
        return float("inf")
    diff = max(abs(got[i, j] - want[i, j]) for i in range(got.rows) for j in range(got.cols))
    scale = max(abs(want[i, j]) for i in range(want.rows) for j in range(want.cols))
    return float(diff / scale) if scale > mpmath.mpf(10) ** (-30) else float(diff)


def compare(engine: dict, truth: dict) -> tuple[dict, dict]:
    """Worst relative error per quantity, and the layer where it occurred."""
    errors: dict = {}
    where: dict = {}
    for (quantity, k), got in engine.items():
        want = truth.get((_truth_name(quantity), k))
        if want is None:
            continue
        err = relative_error(got, want)
        if err >= errors.get(quantity, -1.0):
            errors[quantity], where[quantity] = err, k
    return errors, where


def at_kink(net, fwd, margin=1e-12) -> bool:
    """Whether a pre-activation sits (numerically) on a point where its activation's derivative jumps.

    There the derivative is undefined: ReLU's is 0 by our convention and 1/2 by central differences. In
    a network without biases a dead layer forces the next z to exactly 0, so such draws are redrawn.
    """
    problem = net.problem
    for k, Z in fwd.Z.items():
        rec = problem.output if k == net.output_label else problem.hidden
        for kink in rec.kinks:
            if any(abs(Z[i, j] - kink) < margin for i in range(Z.rows) for j in range(Z.cols)):
                return True
    return False


def misses_a_piece(net, fwd) -> bool:
    """Whether the outputs and targets leave a piece of a piecewise loss (huber's |yhat - y| <= 1 and either side of
    it, the hinge's y yhat < 1 and > 1) unmet: a formula right on the other pieces only would pass unseen there."""
    loss, A, Y = net.problem.loss, fwd.A[net.output_label], net.Y
    if not loss.elementwise:
        return misses_a_margin(net, A, Y)
    pieces = loss.pieces
    if not pieces:
        return False
    pairs = [(A[i, j], Y[i, j]) for i in range(A.rows) for j in range(A.cols)]
    return not all(any(piece(yh, y) for yh, y in pairs) for piece in pieces)


def misses_a_margin(net, A, Y, margin=1e-12) -> bool:
    """For a loss of the whole output vector (CS231n's SVM): whether an example's margin sits (numerically) on 0,
    where the loss has no derivative (a tie: max(0, m) bends there), or the batch's margins leave a sign unmet (a
    formula right where every margin is positive, or every one negative, would pass unseen)."""
    from .network import to_examples
    layout, loss = net.conv.layout, net.problem.loss
    margins = [m for a, y in zip(to_examples(A, layout), to_examples(Y, layout)) for m in loss.margins(a, y)]
    return any(abs(m) < margin for m in margins) or not (any(m > 0 for m in margins) and any(m < 0 for m in margins))


# networks tried per trial before giving up on avoiding kinks (and on meeting every piece of a loss): the SVM on
# one example after a leaky_relu, silu or gelu output meets a negative margin in about 1 draw of 6 (20 redraws left 3
# to 7 seeds of 100 without one; 40 none)
REDRAWS = 40


def draw_network(problem, layers: int, seed: int, widths: list | None = None, m: int | None = None):
    """A random network (and its forward pass) with no pre-activation on a kink; deterministic in seed.
    ``m`` examples per batch (default: the convention's, ``network.default_m``)."""
    from .errors import DeriveError
    from .network import default_m, default_widths, forward, random_network

    m = default_m(problem.convention) if m is None else m
    for redraw in range(REDRAWS):  # seed, seed + 1000, ...
        s = seed + 1000 * redraw
        ws = list(widths) if widths else list(default_widths(layers, s, m, problem.single_neurons))
        net = random_network(problem, tuple(ws), m, s)
        fwd = forward(net)
        if not at_kink(net, fwd) and not misses_a_piece(net, fwd):
            return net, fwd
    raise DeriveError(f"every random network put a pre-activation on a kink of {problem.hidden.name}"
                      f" or {problem.output.name}, or left a piece of the {problem.loss.name} loss unmet (or a margin "
                      "on its kink); try another --seed or wider layers")


def verify(deriv: Derivation, layers: int = 3, trials: int = 3, seed: int = 0, tolerance: float = TOLERANCE,
           truth: str = "reverse", torch: bool = False, widths: list | None = None,
           components: bool = True) -> Report:
    """Check every formula of ``deriv`` on ``trials`` random networks of depth ``layers``.

    Args:
        layers: number of weight layers L (depth); at least 2 so that a hidden layer exists.
        truth: "reverse" (reverse-mode differentiation of the forward pass at 50+ digits), "fd" (high-precision
            central differences) or "sympy" (exact; small networks only).
        torch: also compare with torch.autograd in float64.
        widths: fixed widths n_0..n_L instead of random unequal ones.
        components: also evaluate the index form of every formula, entry by entry (first trial only).
    """
    from .errors import DeriveError
    from .limits import LAYERS, SEED, TRIALS, WIDTH
    from .truth import ground_truth
    LAYERS.check(layers), TRIALS.check(trials), SEED.check(seed)
    if truth not in TRUTHS:
        raise DeriveError(f"truth must be one of {', '.join(TRUTHS)}, not {truth!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 < tolerance < 1:
        raise DeriveError(f"tolerance must be a number between 0 and 1, got {tolerance!r}")
    if widths is not None:
        if not isinstance(widths, list | tuple) or len(widths) != layers + 1:
            raise DeriveError(f"widths must list {layers + 1} layer widths (n_0 .. n_L), got {widths!r}")
        for w in widths:
            WIDTH.check(w)
    problem = deriv.problem
    report = Report(problem.label(), layers, tolerance, truth + (" + torch" if torch else ""), [])
    with mpmath.workdps(PRECISION):
        for t in range(trials):
            net, fwd = draw_network(problem, layers, seed + t, widths)
            ws, s = list(net.widths), net.seed
            engine = engine_values(deriv, net, fwd, components=components and t == 0)
            errors, where = compare(engine, ground_truth(net, method=truth))
            if torch:
                from .torch_truth import torch_gradients
                terr, twhere = compare(engine, torch_gradients(net))
                for q, e in terr.items():
                    errors[f"{q} (torch)"], where[f"{q} (torch)"] = e, twhere[q]
            report.trials.append(Trial(s, ws, net.m, errors, where))
            for q, e in errors.items():
                report.errors[q] = max(report.errors.get(q, 0.0), e)
    return report
