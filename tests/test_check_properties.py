"""Property: a correct formula, mutated so that its value changes, is never judged to hold.

The bases are correct formulas from the corpus (tests/corpus.py). Each mutation edits the formula's text in
one place, on the right-hand side only, and is applied only where it provably changes the value on the
checker's random networks. What that rests on (derive/network.py): layer widths are drawn from {2, 4, 5, 6},
neighbouring widths differ (no weight matrix is square) and no width equals the batch size m; weights and
inputs are continuous random draws; targets are never zero (uniform in (0.05, 0.95) for bce, uniform in
(-1, 1) for mse, one-hot for cce). The bases use sigmoid or tanh wherever a derivative is mutated, because
for ReLU and the identity some of these edits would not change the value (see each mutation).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest
from corpus import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

import derive

needs_check = pytest.mark.skipif(not hasattr(derive, "check"), reason="derive.check does not exist yet")

ROWS = {row.id: row for row in CORPUS}


class Base(NamedTuple):
    id: str                  # a corpus row that holds
    problem: dict            # the problem it is checked under (smooth activations where a derivative is mutated)
    extra: str | None        # an extra sigma' factor written in the convention's notation, same shape as the left side


def _problem(row_id: str, **override) -> dict:
    row = ROWS[row_id]
    return {"convention": row.convention, "loss": row.loss, "output": row.output, "hidden": row.hidden, **override}


BASES = [
    Base("nielsen-eq30", _problem("nielsen-eq30"), r"\odot \sigma'(z^L)"),
    Base("nielsen-bp2", _problem("nielsen-bp2"), r"\odot \sigma'(z^l)"),
    Base("nielsen-cross-entropy", _problem("nielsen-cross-entropy"), r"\odot \sigma'(z^L)"),
    Base("nielsen-bp4", _problem("nielsen-bp4"), None),
    Base("wikipedia-weight-gradient", _problem("wikipedia-weight-gradient"), None),
    Base("ng-output-delta", _problem("ng-output-delta"), r".* g'(z^{(L)})"),
    Base("dls-eq8", _problem("dls-eq8", hidden="tanh"), None),
    Base("dls-eq10", _problem("dls-eq10", hidden="tanh"), None),
    Base("dls-eq11", _problem("dls-eq11"), r"* g'(Z^{[l]})"),
    Base("cs231n-dW", _problem("cs231n-dW", hidden="tanh"), None),
]


def _split(text: str) -> tuple[str, str]:
    """(left side with its '=' or ':=', right side)."""
    m = re.search(r":?=", text)
    return text[:m.end()], text[m.end():]


def _at_each(pattern: str, rhs: str, replace) -> list[str]:
    """One mutated right side per match of ``pattern``: that match replaced by ``replace(match)``."""
    return [rhs[:m.start()] + replace(m) + rhs[m.end():] for m in re.finditer(pattern, rhs)]


# ---------------------------------------------------------------- the mutations, each with why it changes the value

def weight_layer(rhs: str, base: Base) -> list[str]:
    """w^{l+1} -> w^{l}, W^{[l]} -> W^{[l+1]}: one weight's layer index moved by one.

    The weights of another layer are independent random draws, and of another shape (neighbouring widths
    differ), so the expression either stops conforming or takes other values."""
    def shift(m):
        head, brace, bracket, plus = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        index = "l" if plus else "l+1"
        return f"{head}^{{{bracket}{index}" if brace else f"{head}^{{{index}}}"  # ^l becomes ^{l+1}
    return _at_each(r"(\\Theta|(?<![A-Za-z\\])[wW])\^(\{)?([\(\[])?l(\+1)?(?![\w+-])", rhs, shift)


def drop_transpose(rhs: str, base: Base) -> list[str]:
    """(w^{l+1})^T -> w^{l+1}, A^{[l-1] T} -> A^{[l-1]}, W^{(k)\\top} -> W^{(k)}: one transpose removed.

    Every transposed factor in the bases is a weight (never square) or a layer's activations or deltas
    (n x 1 or n x m with n >= 2 and n != m), so without the transpose the factor has another shape and the
    product no longer conforms or no longer has the left side's shape."""
    out = _at_each(r"\^T(?![A-Za-z])", rhs, lambda m: "")
    out += _at_each(r"\^\{T\}", rhs, lambda m: "")
    out += _at_each(r"\\top", rhs, lambda m: "")
    out += _at_each(r"([\]\)]) ?T\}", rhs, lambda m: m.group(1) + "}")
    return out


def hadamard_to_product(rhs: str, base: Base) -> list[str]:
    """x \\odot y -> x y (also \\circ, Octave's .*, the course's bare *): a Hadamard product made a matrix product.

    Both factors are n x 1 (or n x m) with n >= 2 and n != m, so the matrix product does not conform."""
    return _at_each(r"\\odot|\\circ|\.\*| \* ", rhs, lambda m: " ")


def times_two(rhs: str, base: Base) -> list[str]:
    """rhs -> 2 (rhs).

    The bases' quantities are non-zero on random networks with smooth activations (every ReLU base was
    switched to tanh), so doubling changes them."""
    return [f" 2 ({rhs.strip()})"]


def derivative_at_activation(rhs: str, base: Base) -> list[str]:
    """\\sigma'(z^l) -> \\sigma'(a^l), g'(Z^{[l]}) -> g'(A^{[l]}): the derivative taken at the activation.

    For the sigmoid, sigma'(sigma(z)) = sigma'(z) only where |sigma(z)| = |z| (sigma' is even and strictly
    decreasing on [0, oo)), two isolated points; for tanh only at z = 0. Every base's derivative here is of a
    sigmoid or tanh layer. (For ReLU the edit would change nothing: relu'(relu(z)) = relu'(z); for the
    identity neither.)"""
    return _at_each(r"((?:\\sigma|g|f|h)'\()([zZ])", rhs,
                    lambda m: m.group(1) + ("a" if m.group(2) == "z" else "A"))


def extra_derivative(rhs: str, base: Base) -> list[str]:
    """rhs -> (rhs) \\odot sigma'(z) at the left side's layer: one more derivative factor.

    sigma'(z) lies in (0, 1/4] for the sigmoid and in (0, 1] for tanh with 1 only at z = 0, so every non-zero
    component changes. Applied only where the factor has the left side's shape (``Base.extra``)."""
    return [f" ({rhs.strip()}) {base.extra}"] if base.extra else []


def negate_target(rhs: str, base: Base) -> list[str]:
    """a - y -> a - (-y): the target's sign flipped.

    a - (-y) differs from a - y wherever y != 0, and no target vector is zero (see the module docstring)."""
    return _at_each(r"(?<![A-Za-z\\{_])([yY])(?![A-Za-z_])", rhs, lambda m: f"(-{m.group(1)})")


MUTATIONS = [weight_layer, drop_transpose, hadamard_to_product, times_two, derivative_at_activation,
             extra_derivative, negate_target]


class Mutant(NamedTuple):
    base: str
    mutation: str
    text: str
    problem: dict


def mutants() -> list[Mutant]:
    out = []
    for base in BASES:
        lhs, rhs = _split(ROWS[base.id].formula)
        for mutation in MUTATIONS:
            for new in mutation(rhs, base):
                if new != rhs:
                    out.append(Mutant(base.id, mutation.__name__, lhs + new, base.problem))
    return out


MUTANTS = mutants()


def test_every_mutation_applies_somewhere():
    assert {m.mutation for m in MUTANTS} == {f.__name__ for f in MUTATIONS}
    assert all(m.text != ROWS[m.base].formula for m in MUTANTS)
    assert len(MUTANTS) >= 25


@needs_check
@pytest.mark.parametrize("base", BASES, ids=[b.id for b in BASES])
def test_bases_hold(base):
    """The property below is only meaningful if the unmutated formulas hold."""
    result = derive.check(ROWS[base.id].formula, **base.problem)
    assert result.verdict == "holds", result.text()


@needs_check
@settings(max_examples=25, deadline=None)
@given(st.sampled_from(MUTANTS))
def test_value_changing_mutation_never_holds(mutant):
    result = derive.check(mutant.text, **mutant.problem, diagnose=False)
    assert result.verdict != "holds", (f"{mutant.mutation} of {mutant.base} was judged to hold:\n  {mutant.text}\n"
                                       f"  {mutant.problem}\n{result.text()}")
