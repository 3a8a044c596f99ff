"""str(), repr() and _repr_latex_ of what derive hands a user: formulas in the convention's own notation.

``print(d.delta)`` for Ng must read [(Θ^(l))ᵀ δ^(l+1)]_{2:end} .* g'(z^(l)), not the tree of SymPy nodes; Jupyter
must render the same LaTeX the documents print. Table-driven over every preset and a few problems.
"""

from __future__ import annotations

import pickle

import pytest
import sympy as sp

import derive.algebra as algebra
from derive.algebra import LayerSymbol
from derive.api import derive, verify
from derive.conventions import PRESETS, from_dict
from derive.printing import (
    ACCENTS,
    FRACTIONS,
    SYMBOL_TEXT,
    WRAPPERS,
    NotationPrinter,
    NotationText,
    latex,
    symbol_text,
    text,
)
from derive.schema import MATH_COMMANDS

PROBLEMS = [("mse", "sigmoid", "tanh"), ("bce", "sigmoid", "relu"), ("cce", "softmax", "tanh"),
            ("bce", "softmax", "sigmoid")]
CASES = [(c, *p) for c in PRESETS for p in PROBLEMS]
# the tree's own names: none may reach a reader
NODES = sorted(name for name, obj in vars(algebra).items()
               if isinstance(obj, type) and issubclass(obj, sp.Basic) and obj.__module__ == algebra.__name__)
INTERNAL = [*NODES, "MatMul", "MatAdd", "Transpose", "HadamardProduct", "OneMatrix", "Indexed", "Str(", "Symbol(",
            "Dummy", "Raw", ".T"]


def _derivations():
    for conv, loss, out, hidden in CASES:
        yield pytest.param(conv, loss, out, hidden, id=f"{conv}-{loss}-{out}-{hidden}")


def _balanced(tex: str) -> bool:
    depth = 0
    for c in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _leaves(expr):
    return [a for a in sp.preorder_traversal(expr) if isinstance(a, LayerSymbol)]


@pytest.mark.parametrize("conv,loss,out,hidden", list(_derivations()))
def test_every_formula_prints_in_its_notation(conv, loss, out, hidden):
    d = derive(conv, loss, out, hidden)
    c = d.problem.convention
    for name, expr in d.formulas().items():
        shown = str(expr)
        assert repr(expr) == shown
        assert shown == text(expr, c), name
        for word in INTERNAL:
            assert word not in shown, (name, word, shown)
        assert "*" not in shown.replace(symbol_text(c.notation.hadamard), ""), (name, shown)  # SymPy's MatMul
        assert "\\" not in shown, (name, shown)  # text, not LaTeX
        for leaf in _leaves(expr):  # every symbol as the convention writes it: Θ for Ng's weights
            assert text(leaf, c) in shown, (name, text(leaf, c), shown)
        tex = expr._repr_latex_()
        assert tex == rf"$\displaystyle {latex(expr, c)}$"
        assert _balanced(tex) and tex.count(r"\left") == tex.count(r"\right"), tex
        assert "operatorname{" not in tex.replace(r"\operatorname{diag}", ""), tex


@pytest.mark.parametrize("conv", sorted(PRESETS))
def test_notation_letters(conv):
    d = derive(conv, "cce", "softmax", "tanh")
    nt, shown, tex = d.problem.convention.notation, str(d.delta), d.delta._repr_latex_()
    assert symbol_text(nt.weight) in shown and nt.weight in tex  # Θ and \Theta for Ng
    assert symbol_text(nt.sigma) + "'" in shown and nt.sigma in tex
    assert symbol_text(nt.hadamard) in shown


@pytest.mark.parametrize("conv,field,expected", [
    # Ng ML lecture 9: delta^(l) = (Theta^(l))^T delta^(l+1) .* g'(z^(l)), the bias component dropped
    ("ng", "delta", "[(Θ^(l))ᵀ δ^(l+1)]_{2:end} .* g'(z^(l))"),
    # Ng ex4: D^(l) = (1/m) Delta^(l), Delta^(l) = sum_t delta^(l+1) (a^(l))^T with the bias unit
    ("ng", "grad_weight", "(1/m) Σ_{t=1}^m δ^(l+1) [1; a^(l)]ᵀ"),
    # Nielsen NNDL eq. (BP2) and (BP4)
    ("nielsen", "delta", "((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)"),
    ("nielsen", "grad_weight", "δ^l (a^{l-1})ᵀ"),
    # Wikipedia, Backpropagation, matrix multiplication: the gradient written nabla, Hadamard as a circle
    ("wikipedia", "grad_act", "(W^{l+1})ᵀ (∇_{a^{l+1}} C ∘ f'(z^{l+1}))"),
    # deeplearning.ai C1W4: dW^[l] = (1/m) dZ^[l] A^[l-1]T
    ("dls", "grad_weight", "(1/m) dZ^[l] (A^[l-1])ᵀ"),
    # CS231n: db = column sums of dZ, the 1/N inside dZ
    ("cs231n", "grad_bias", "𝟏ᵀ dZ^(l)"),
    ("cs231n", "delta_out", "(1/N) (P - Y)"),
    # Goodfellow alg. 6.4: the output written yhat, g <- g o f'(a^(k))
    ("goodfellow", "delta_out", "ŷ - y"),
    ("goodfellow", "delta_from_grad_act", "∇_{h^(l)} J ⊙ f'(a^(l))"),
    # Bishop PRML eq. 5.54: delta_k = y_k - t_k
    ("bishop", "delta_out", "y - t"),
])
def test_text_in_source_notation(conv, field, expected):
    d = derive(conv, "cce", "softmax", "tanh")
    assert str(getattr(d, field)) == expected


def test_non_canonical_output_is_a_hadamard_product():
    d = derive("nielsen", "mse", "sigmoid", "tanh")
    assert str(d.delta_out) == "(a^L - y) ⊙ a^L ⊙ (1 - a^L)"
    assert str(d.grad_act_out) == "a^L - y"
    assert str(derive("nielsen", "bce", "sigmoid", "tanh").grad_act_out) == "(a^L - y) / (a^L ⊙ (1 - a^L))"


def test_the_copy_is_the_formula():
    # equal, same class and arguments, the same LaTeX as an untagged rebuild: documents cannot change
    for conv in PRESETS:
        d = derive(conv, "bce", "sigmoid", "tanh")
        for name, expr in d.formulas().items():
            bare = expr.func(*expr.args)
            assert bare == expr and type(bare) is type(expr) and sp.srepr(bare) == sp.srepr(expr), name
            assert latex(bare, d.problem.convention) == latex(expr, d.problem.convention)
            assert "_sympystr" not in vars(bare)


def test_printers_ignore_a_formulas_own_convention():
    ng = derive("ng", "cce", "softmax", "tanh")
    nielsen = PRESETS["nielsen"]
    assert "Θ" not in text(ng.delta, nielsen) and "w^" in text(ng.delta, nielsen)
    assert r"\Theta" not in latex(ng.delta, nielsen)


def test_a_derivation_lists_its_formulas():
    d = derive("ng", "bce", "sigmoid", "tanh")
    shown = str(d)
    assert shown.splitlines()[0] == d.problem.label()
    assert "  delta                δ^(l) = [(Θ^(l))ᵀ δ^(l+1)]_{2:end} .* g'(z^(l))" in shown.splitlines()
    assert "D^(l) = (1/m) Σ_{t=1}^m δ^(l+1) [1; a^(l)]ᵀ" in shown
    assert len(shown.splitlines()) == 1 + len(d.formulas())
    assert repr(d) == "<Derivation ng: bce + sigmoid, hidden tanh>"
    for word in NODES:
        assert word not in shown


def test_steps_print_in_notation():
    d = derive("ng", "cce", "softmax", "tanh")
    for trail in d.steps.values():
        for step in trail:
            assert not any(word in repr(step) for word in NODES), step
    assert str(d.steps["delta"][-1].expr) == str(d.delta)


def test_user_convention_prints_without_latex():
    conv = from_dict({"base": "nielsen", "name": "mine", "delta_wrt": "a", "l2": 0.5,
                      "notation": {"weight": r"\mathbf{W}", "transpose": r"\top", "sigma": r"\varphi",
                                   "output": r"\hat{y}", "hadamard": r"\circ"}})
    d = derive(conv, "bce", "sigmoid", "tanh")
    assert str(d.delta) == "((W^{l+1})ᵀ ∂C/∂z^{l+1}) ∘ φ'(z^l)"
    assert str(d.grad_weight) == "λ W^l + ∂C/∂z^l (a^{l-1})ᵀ"
    assert str(d.delta_out) == "ŷ - y"
    assert "\\" not in str(d)


def test_pickle_drops_only_the_print_hook():
    d = derive("ng", "cce", "softmax", "tanh")
    back = pickle.loads(pickle.dumps(d.delta))
    assert back == d.delta


def test_sub_expressions_print_with_a_convention():
    # a bare node does not know its convention: text() and latex() take one (the default notation without)
    d = derive("ng", "cce", "softmax", "tanh")
    inner = d.delta.args[0]
    assert text(inner, d.problem.convention) == "[(Θ^(l))ᵀ δ^(l+1)]_{2:end}"
    assert text(inner) == "[(W^l)ᵀ δ^{l+1}]_{2:end}"


@pytest.mark.parametrize("tex,expected", [
    (r"\Theta^{(l)}", "Θ^(l)"),
    (r"\frac{\partial C}{\partial a^{l+1}}", "∂C/∂a^{l+1}"),
    (r"\frac{\partial E_n}{\partial w^{(l)}}", "∂E_n/∂w^(l)"),
    (r"\nabla_{a^{[l]}} J", "∇_{a^[l]} J"),
    (r"\hat{y}", "ŷ"),
    (r"\mathbf{W}", "W"),
    (r"D^{(l)}_{:,0}", "D^(l)_{:,0}"),
    (r"\delta^{l}", "δ^l"),
    (r"\mathbin{.*}", ".*"),
    (r"\frac{1}{m}", "1/m"),
    (r"\frac{a + b}{m}", "(a + b)/m"),
    (r"\odot", "⊙"),
    (r"\top", "⊤"),
    (r"\mathsf{T}", "T"),
    (r"\boldsymbol{\theta}\,x", "θ x"),
])
def test_symbol_text(tex, expected):
    assert symbol_text(tex) == expected


def test_every_command_a_notation_may_use_reads_as_text():
    known = set(SYMBOL_TEXT) | set(ACCENTS) | WRAPPERS | FRACTIONS
    assert MATH_COMMANDS <= known, sorted(MATH_COMMANDS - known)
    for cmd in MATH_COMMANDS:
        assert "\\" not in symbol_text(rf"\{cmd}{{x}}{{y}}")


@pytest.mark.parametrize("node", NODES)
def test_every_node_has_both_printers(node):
    # a new node without a text form would print as its class name: fail here instead
    assert hasattr(NotationPrinter, f"_print_{node}"), node
    assert hasattr(NotationText, f"_print_{node}"), node


def test_report_repr_is_one_line():
    report = verify(derive("ng", "bce", "sigmoid", "tanh"), layers=2, trials=1, seed=0)
    assert repr(report).startswith("<Report ng: bce + sigmoid, hidden tanh, depth 2, one network: verified")
    assert "\n" not in repr(report) and "Trial(" not in repr(report)
    assert str(report) == report.text()


@pytest.mark.parametrize("conv", sorted(PRESETS))
def test_jupyter_shows_every_formula_in_its_notation(conv):
    # the record renders itself from its own formulas (printing, no document): every formula, left = right
    d = derive(conv, "cce", "softmax", "tanh")
    c = d.problem.convention
    tex, md = d._repr_latex_(), d._repr_markdown_()
    assert tex.startswith(r"\begin{align*}") and tex.rstrip().endswith(r"\end{align*}")
    assert _balanced(tex) and tex.count(r"\left") == tex.count(r"\right"), tex
    assert md.splitlines()[0] == f"**{d.problem.label()}**"
    rows = tex.strip().splitlines()[1:-1]
    assert len(rows) == len(d.formulas()) == len(md.strip().splitlines()) - 2
    for (name, expr), row in zip(d.formulas().items(), rows, strict=True):
        assert row.rstrip(" \\").endswith(f"&= {latex(expr, c)}"), (name, row)
        assert f"- {name}: $" in md and f" = {latex(expr, c)}$" in md, name
    for word in INTERNAL:
        assert word not in tex and word not in md, word
