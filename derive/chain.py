"""The chain rule, once: local vector-Jacobian products composed along the network, for a generic layer l.

``pullback`` is the only place the chain rule lives: it folds a gradient back through a list of local
steps and records each step (for the derivation documents). ``derive`` applies it to the forward equations
of ``layers.Layer`` to get, for any convention, loss and activations: delta at the output, the delta
recursion, the activation-gradient recursion, and the weight and bias gradients. Everything is symbolic in
the layer index, so its cost does not depend on depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp
from sympy.matrices.expressions import HadamardProduct

from .activations import Activation
from .algebra import ClassOps, ExampleSum, SoftmaxBack, check_shapes, sym
from .errors import DeriveError
from .layers import Layer
from .losses import VectorLoss
from .output_layer import OutputDelta, analyse
from .problem import Problem
from .symbols import LAMBDA, WIDTH, YHAT, L, Y, Z, l


@dataclass(frozen=True)
class Step:
    """One application of a local derivative: the expression after it, and why."""

    expr: sp.Basic
    why: str


@dataclass(frozen=True)
class Local:
    """A local vector-Jacobian product: G -> (dE/d input) given G = dE/d output."""

    apply: Callable
    why: str


def pullback(seed, steps: list[Local]) -> tuple[sp.Basic, list[Step]]:
    """The chain rule: pull ``seed`` back through ``steps`` in order; returns the result and the steps."""
    expr, trail = seed, [Step(seed, "start")]
    for step in steps:
        expr = step.apply(expr)
        trail.append(Step(expr, step.why))
    check_shapes(expr)
    return expr, trail


@dataclass
class Derivation:
    """Every backprop formula for one Problem, symbolic in the layer index (l hidden, L output)."""

    problem: Problem
    layer: Layer
    output: OutputDelta
    delta_out: sp.Basic            # dE/dz^L
    grad_act_out: sp.Basic         # dE/da^L
    delta: sp.Basic                # dE/dz^l from dE/dz^{l+1}
    grad_act: sp.Basic             # dE/da^l from dE/da^{l+1} (l + 1 < L)
    grad_act_from_delta: sp.Basic  # dE/da^l from dE/dz^{l+1}
    delta_from_grad_act: sp.Basic  # dE/dz^l from dE/da^l
    grad_weight: sp.Basic          # dE/dW for the weight named W^l (Ng: Theta^(l) feeds layer l+1)
    grad_bias: sp.Basic | None     # dE/db^l, where the bias is its own vector
    steps: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Each formula (and each step's expression) prints in this derivation's notation: str(d.delta) is
        # [(Θ^(l))ᵀ δ^(l+1)]_{2:end} .* g'(z^(l)) for Ng. The copies are equal to what was passed in.
        from .printing import in_notation
        conv = self.problem.convention
        for name, expr in self.formulas().items():
            setattr(self, name, in_notation(expr, conv))
        self.steps = {k: [Step(in_notation(s.expr, conv), s.why) for s in trail] for k, trail in self.steps.items()}

    # Jupyter shows the formulas in the convention's notation; ``derive.document(d)`` is the whole document
    def _repr_markdown_(self) -> str:
        from .printing import derivation_markdown
        return derivation_markdown(self)

    def _repr_latex_(self) -> str:
        from .printing import derivation_latex
        return derivation_latex(self)

    def __repr__(self) -> str:
        return f"<Derivation {self.problem.label()}>"

    def __str__(self) -> str:  # every formula as text in the convention's notation, one per line
        from .printing import derivation_text
        return derivation_text(self)

    def formulas(self) -> dict:
        """The derived formulas by quantity name."""
        names = ["delta_out", "delta", "grad_act_out", "grad_act", "grad_act_from_delta",
                 "delta_from_grad_act", "grad_weight", "grad_bias"]
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def scales(layer: Layer, problem: Problem):
    """(c_delta, c_grad): the factors relating delta and the gradients to sum-of-example-losses gradients."""
    c = sym(problem.reduction.scale(layer.batch, layer.n(L)))
    conv = problem.convention
    return (c if conv.delta_of == "cost" else sp.Integer(1)), (c if conv.grad_of == "cost" else sp.Integer(1))


def at_output(layer: Layer, expr) -> sp.Basic:
    """``layer.at_output``, with a number of outputs that no factor in front holds (label smoothing's alpha/n_L, a
    term of a sum) bound to the layer's width inside the entrywise formula."""
    outputs, rest = sp.sympify(expr).as_independent(YHAT, Y, Z, as_Add=False)
    if rest.has(WIDTH):
        expr = expr.xreplace({WIDTH: layer.n(L)})
    return layer.at_output(expr, L)


def output_delta(layer: Layer, od: OutputDelta) -> sp.Basic:
    """dE/dz^L for one example's loss (or a batch of them), in the textbook form found by ``output_layer``."""
    if od.form is None:  # softmax, not canonical: (diag(s) - s s^T) g for each example
        return SoftmaxBack(layer.a(L), at_output(layer, od.grad), layer.layout.class_axis)
    return at_output(layer, od.form)


def whole_vector(layer: Layer, problem: Problem, c_delta) -> tuple[sp.Basic, sp.Basic]:
    """(dE/da^L, dE/dz^L) for a loss of the whole output vector: its gradient written with the layer's matrices
    (``losses.VectorLoss.grad`` over ``ClassOps``), then entry by entry the elementwise output activation's f'(z^L),
    written with the output where the record can (none for the identity, whose f' is 1)."""
    output, loss = problem.output, problem.loss
    assert isinstance(loss, VectorLoss) and isinstance(output, Activation), "analyse refuses any other pair"
    grad = loss.grad(ClassOps(layer.layout.class_axis, layer.n(L)), layer.a(L), layer.y(L))
    local = sp.sympify(output.df_out(YHAT) if output.df_out else output.df(Z))
    if local == 1:
        return c_delta * grad, c_delta * grad
    return c_delta * grad, c_delta * HadamardProduct(grad, layer.at_output(local, L))


def derive(problem: Problem) -> Derivation:
    """Derive every backprop quantity of ``problem`` with the chain rule."""
    conv, hidden = problem.convention, problem.hidden.name
    if conv.delta_sign != 1:
        raise DeriveError(f"convention {conv.name!r} has delta_sign = -1 (delta is -dE/dz), which derive check and "
                          "lint read; derivations and documents write delta = dE/dz: drop delta_sign for them")
    layer = Layer(conv)
    od = analyse(problem.loss.name, problem.output.name)
    c_delta, c_grad = scales(layer, problem)

    # output layer: dE/da^L from the loss, dE/dz^L in textbook form
    if problem.loss.elementwise:
        grad_act_out = c_delta * at_output(layer, od.grad)
        delta_out = c_delta * output_delta(layer, od)
    else:  # a loss of the whole output vector (the SVM's): the record's gradient on the layer's matrices
        grad_act_out, delta_out = whole_vector(layer, problem, c_delta)

    through_weight = Local(lambda G: layer.back_input(l + 1, G),
                           "chain rule through the next pre-activation, linear in the input")
    through_act = Local(lambda G: layer.back_activation(l, hidden, G),
                        "the activation acts entrywise, so its Jacobian is diagonal")
    through_next_act = Local(lambda G: layer.back_activation(l + 1, hidden, G),
                             "the next activation acts entrywise")

    delta, s_delta = pullback(layer.delta(l + 1), [through_weight, through_act])
    grad_act, s_act = pullback(layer.grad_act(l + 1), [through_next_act, through_weight])
    act_from_delta, _ = pullback(layer.delta(l + 1), [through_weight])
    delta_from_act, _ = pullback(layer.grad_act(l), [through_act])

    ratio = c_grad / c_delta
    weight, s_w = pullback(layer.delta(l), [Local(lambda G: layer.back_weight(l, G),
                                                  "z is linear in W: dz_i/dW_ij = a_j")])
    weight = ratio * weight
    bias = None
    if layer.bias_rule.has_vector:
        bias, _ = pullback(layer.delta(l), [Local(lambda G: layer.back_bias(l, G), "dz/db is the identity")])
        bias = ratio * bias
    if conv.layout == "column" and conv.grad_of == "cost":  # per-example formulas, summed over the batch
        weight = ExampleSum(weight, layer.batch)
        bias = ExampleSum(bias, layer.batch) if bias is not None else None
    if conv.l2:  # cost += (lambda/2) c sum W^2 (bias excluded): gradient += lambda c W
        weight = weight + LAMBDA * c_grad * layer.bias_rule.regularised(layer.W(l))
    # write the weight gradient in the weight's own index, as the source does: D^(l) = delta^(l+1) a^(l)T
    weight = weight.xreplace({l: l - conv.weight_offset})
    for expr in (delta_out, grad_act_out, weight, bias):
        if expr is not None:
            check_shapes(expr)
    return Derivation(problem, layer, od, delta_out, grad_act_out, delta, grad_act, act_from_delta,
                      delta_from_act, weight, bias, {"delta": s_delta, "grad_act": s_act, "grad_weight": s_w})
