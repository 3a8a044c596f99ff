"""Forward equations of one fully connected layer under a convention, each beside its local derivative.

The layout and the bias handling are tables of records: the forward product and its vector-Jacobian
products (with respect to the layer input, the weight and the bias) sit on one line each, so the chain
rule in ``chain.py`` never asks which source it is serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp
from sympy.matrices.expressions import HadamardProduct, OneMatrix

from ..algebra import Componentwise, DropBiasRow, Elementwise, LayerSymbol, WithBiasUnit, ZeroBiasColumn
from ..conventions import Convention


@dataclass(frozen=True)
class Layout:
    """Where examples sit, and the linear map z = W a (+ b) with its local derivatives."""

    name: str
    act_shape: Callable     # (width, batch) -> shape of a and z
    weight_shape: Callable  # (n_out, n_in) -> shape of W
    bias_shape: Callable    # n_out -> shape of b
    product: Callable       # (W, A) -> W A            forward
    d_input: Callable       # (W, G) -> dE/dA given G = dE/dZ
    d_weight: Callable      # (A, G) -> dE/dW
    broadcast: Callable     # (b, batch) -> b as added to Z
    d_bias: Callable        # (G, batch) -> dE/db (sums over the examples)
    class_axis: int         # the axis that indexes units (softmax normalises along it)


LAYOUT_RULES: dict[str, Layout] = {r.name: r for r in [
    # z = W a + b: dz/da = W, dz/dW_ij = a_j, dz/db = I
    Layout("column", lambda n, m: (n, 1), lambda o, i: (o, i), lambda o: (o, 1),
           lambda W, A: W * A, lambda W, G: W.T * G, lambda A, G: G * A.T,
           lambda b, m: b, lambda G, m: G, 0),
    # Z = W A + b 1^T: the bias gradient sums the columns, G 1
    Layout("column_batch", lambda n, m: (n, m), lambda o, i: (o, i), lambda o: (o, 1),
           lambda W, A: W * A, lambda W, G: W.T * G, lambda A, G: G * A.T,
           lambda b, m: b * OneMatrix(1, m), lambda G, m: G * OneMatrix(m, 1), 0),
    # Z = A W + 1 b: dE/dA = G W^T, dE/dW = A^T G, dE/db = 1^T G
    Layout("row_batch", lambda n, m: (m, n), lambda o, i: (i, o), lambda o: (1, o),
           lambda W, A: A * W, lambda W, G: G * W.T, lambda A, G: A.T * G,
           lambda b, m: OneMatrix(m, 1) * b, lambda G, m: OneMatrix(1, m) * G, 1),
]}


@dataclass(frozen=True)
class BiasRule:
    """How the bias enters: its own vector, a bias unit a_0 = 1 in front of a, or not at all."""

    name: str
    extra_inputs: int       # columns a bias unit adds to W
    augment: Callable       # a -> what W multiplies
    strip: Callable         # dE/d(augmented a) -> dE/da
    regularised: Callable   # W -> the part of W that the L2 penalty sees
    has_vector: bool


def _same(x):
    return x


BIAS_RULES: dict[str, BiasRule] = {r.name: r for r in [
    BiasRule("vector", 0, _same, _same, _same, True),
    # z^(l+1) = Theta^(l) [1; a^(l)]: the bias unit's gradient row is dropped, its column not penalised
    BiasRule("unit", 1, WithBiasUnit, DropBiasRow, ZeroBiasColumn, False),
    BiasRule("none", 0, _same, _same, _same, False),
]}


class Layer:
    """The symbols of a network written in a convention: layer quantities at a symbolic layer index."""

    def __init__(self, conv: Convention):
        self.conv = conv
        self.layout, self.bias_rule = LAYOUT_RULES[conv.layout], BIAS_RULES[conv.bias]
        self.width = sp.IndexedBase(conv.notation.width)
        self.batch = sp.Symbol(conv.notation.batch, positive=True, integer=True)
        self.rows = 1 if conv.layout == "column" else self.batch  # examples held in one matrix

    def n(self, l):
        return self.width[l]

    def z(self, l):
        return LayerSymbol("z", l, *self.layout.act_shape(self.n(l), self.rows))

    def a(self, l):
        return LayerSymbol("a", l, *self.layout.act_shape(self.n(l), self.rows))

    def y(self, l):
        return LayerSymbol("y", l, *self.layout.act_shape(self.n(l), self.rows))

    def delta(self, l):
        return LayerSymbol("delta", l, *self.layout.act_shape(self.n(l), self.rows))

    def grad_act(self, l):
        return LayerSymbol("grad_act", l, *self.layout.act_shape(self.n(l), self.rows))

    def W(self, l):
        """The weight that feeds layer l, named as the convention names it."""
        shape = self.layout.weight_shape(self.n(l), self.n(l - 1) + self.bias_rule.extra_inputs)
        return LayerSymbol("W", self.conv.weight_index(l), *shape)

    def b(self, l):
        return LayerSymbol("b", l, *self.layout.bias_shape(self.n(l)))

    # ---- forward equations, each with its local vector-Jacobian product beside it
    def pre_activation(self, l):
        """z^l = W^l a^{l-1} (+ b^l) in the convention's layout and bias handling."""
        z = self.layout.product(self.W(l), self.bias_rule.augment(self.a(l - 1)))
        return z + self.layout.broadcast(self.b(l), self.rows) if self.bias_rule.has_vector else z

    def back_input(self, l, G):
        """dE/da^{l-1} from G = dE/dz^l: the transpose of W^l, bias unit stripped."""
        return self.bias_rule.strip(self.layout.d_input(self.W(l), G))

    def back_weight(self, l, G):
        """dE/dW^l from G = dE/dz^l: the outer product with the layer input."""
        return self.layout.d_weight(self.bias_rule.augment(self.a(l - 1)), G)

    def back_bias(self, l, G):
        """dE/db^l from G = dE/dz^l, summed over the examples of a batch."""
        return self.layout.d_bias(G, self.rows)

    def at_output(self, expr, last):
        """A scalar formula in yhat, y, z applied entrywise to the output layer ``last``'s a, y and z; a factor in
        the number of outputs (a loss's mean over them, 1/n_L) is a scalar in front, the layer's width."""
        from ..symbols import WIDTH, YHAT, Y, Z
        bind = {YHAT: self.a(last), Y: self.y(last), Z: self.z(last)}
        outputs = 1
        if expr.has(WIDTH):
            outputs, expr = expr.as_independent(YHAT, Y, Z, as_Add=False)
            outputs = outputs.xreplace({WIDTH: self.n(last)})
        return outputs * Componentwise(expr, {k: v for k, v in bind.items() if expr.has(k)})

    def activation(self, l, name):
        """a^l = f(z^l) entrywise."""
        return Elementwise(name, self.z(l))

    def back_activation(self, l, name, G):
        """dE/dz^l = dE/da^l * f'(z^l) entrywise (elementwise activations only)."""
        return HadamardProduct(G, Elementwise(name, self.z(l), 1))


class SingleNeurons(Layer):
    """The symbols of a chain of single neurons (notes that say each layer is one neuron): every width is 1, so
    every quantity is a number and every product of them is defined."""

    def n(self, l):
        return sp.Integer(1)
