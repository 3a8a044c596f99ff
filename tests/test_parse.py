"""The formula parser: pasted LaTeX and Octave-style text to the syntax tree, and one-line errors for the rest.

Each case cites where the form comes from. Trees are written out with the short helpers below.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import DeriveError
from derive.formula.ast import Bin, Call, Claim, Layer, Nabla, Neg, Num, Partial, Pow, Slice, Sum, Sym, Transpose
from derive.formula.parse import FormulaError, _parser, parse, parse_expr


# ---------------------------------------------------------------- helpers that spell trees briefly
def L(symbol, offset=0):                 # ^l, ^{l+1}
    return Layer(symbol, offset, "plain")


def P(symbol, offset=0):                 # ^{(l)}
    return Layer(symbol, offset, "paren")


def B(symbol, offset=0):                 # ^{[l]}
    return Layer(symbol, offset, "bracket")


def Oct(n):                              # Octave's Theta2
    return Layer(None, n, "suffix")


def S(base, layer=None, *indices):
    return Sym(base, layer, tuple(indices) or None)


def mm(a, b):
    return Bin("matmul", a, b)


def had(a, b):
    return Bin("hadamard", a, b)


def star(a, b):
    return Bin("star", a, b)


def add(a, b):
    return Bin("+", a, b)


def sub(a, b):
    return Bin("-", a, b)


def div(a, b):
    return Bin("div", a, b)


def T(x):
    return Transpose(x)


def d(fn, arg, prime=1, layer=None):      # f'(arg)
    return Call(fn, arg, prime, layer)


def C(lhs, rhs, op="="):
    return Claim(lhs, rhs, op)


delta, sigma, Theta = "\\delta", "\\sigma", "\\Theta"
z_l, a_l = S("z", L("l")), S("a", L("l"))
one_over_m = div(Num("1"), S("m"))


# ---------------------------------------------------------------- claims from the sources
CLAIMS = [
    # Nielsen ch. 2, BP1 (component and matrix form)
    (r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)",
     C(S(delta, L("L"), "j"), mm(Partial(S("C"), S("a", L("L"), "j")), d(sigma, S("z", L("L"), "j"))))),
    (r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
     C(S(delta, L("L")), had(Nabla(S("a"), S("C")), d(sigma, S("z", L("L")))))),
    (r"\delta^L = \nabla_a C \odot \sigma'(z^L) \tag{BP1}",
     C(S(delta, L("L")), had(Nabla(S("a"), S("C")), d(sigma, S("z", L("L")))))),
    # Nielsen BP2, also wrapped in $$ and with a trailing annotation and period
    (r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
     C(S(delta, L("l")), had(mm(T(S("w", L("l", 1))), S(delta, L("l", 1))), d(sigma, z_l)))),
    (r"$$\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l),\quad\text{for } l = L-1, \ldots, 2.$$",
     C(S(delta, L("l")), had(mm(T(S("w", L("l", 1))), S(delta, L("l", 1))), d(sigma, z_l)))),
    # Nielsen's proof of BP2: the component form with a sum
    (r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
     C(S(delta, L("l"), "j"), Sum("k", mm(mm(S("w", L("l", 1), "k", "j"), S(delta, L("l", 1), "k")),
                                          d(sigma, S("z", L("l"), "j")))))),
    # Nielsen BP3, in \frac and in inline slash form
    (r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
     C(Partial(S("C"), S("b", L("l"), "j")), S(delta, L("l"), "j"))),
    (r"\partial C / \partial b^l_j = \delta^l_j",
     C(Partial(S("C"), S("b", L("l"), "j")), S(delta, L("l"), "j"))),
    # Nielsen BP4
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
     C(Partial(S("C"), S("w", L("l"), "j", "k")), mm(S("a", L("l", -1), "k"), S(delta, L("l"), "j")))),
    # Nielsen ch. 3: quadratic and cross-entropy output errors
    (r"\delta^L = (a^L - y) \odot \sigma'(z^L)",
     C(S(delta, L("L")), had(sub(S("a", L("L")), S("y")), d(sigma, S("z", L("L")))))),
    (r"\delta^L = a^L - y.", C(S(delta, L("L")), sub(S("a", L("L")), S("y")))),
    # Ng lecture 9: backpropagation algorithm
    (r"\delta^{(4)} = a^{(4)} - y", C(S(delta, P(None, 4)), sub(S("a", P(None, 4)), S("y")))),
    (r"\delta^{(3)} = (\Theta^{(3)})^T \delta^{(4)} .* g'(z^{(3)})",
     C(S(delta, P(None, 3)), had(mm(T(S(Theta, P(None, 3))), S(delta, P(None, 4))), d("g", S("z", P(None, 3)))))),
    (r"g'(z^{(3)}) = a^{(3)} .* (1 - a^{(3)})",
     C(d("g", S("z", P(None, 3))), had(S("a", P(None, 3)), sub(Num("1"), S("a", P(None, 3)))))),
    (r"\Delta^{(l)}_{ij} := \Delta^{(l)}_{ij} + a^{(l)}_j \delta^{(l+1)}_i",
     C(S("\\Delta", P("l"), "i", "j"),
       add(S("\\Delta", P("l"), "i", "j"), mm(S("a", P("l"), "j"), S(delta, P("l", 1), "i"))), ":=")),
    (r"\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)} (a^{(l)})^T",
     C(S("\\Delta", P("l")), add(S("\\Delta", P("l")), mm(S(delta, P("l", 1)), T(S("a", P("l"))))), ":=")),
    (r"D^{(l)}_{ij} := \frac{1}{m}\Delta^{(l)}_{ij} + \lambda \Theta^{(l)}_{ij} \quad \text{if } j \neq 0",
     C(S("D", P("l"), "i", "j"),
       add(mm(one_over_m, S("\\Delta", P("l"), "i", "j")), mm(S("\\lambda"), S(Theta, P("l"), "i", "j"))), ":=")),
    (r"\delta^{(2)} = \left[(\Theta^{(2)})^T \delta^{(3)}\right]_{2:end} .* g'(z^{(2)})",
     C(S(delta, P(None, 2)), had(Slice(mm(T(S(Theta, P(None, 2))), S(delta, P(None, 3))), 2),
                                 d("g", S("z", P(None, 2)))))),
    # Ng ex4 (Octave)
    ("delta3 = a3 - y;", C(S(delta, Oct(3)), sub(S("a", Oct(3)), S("y")))),
    ("delta2 = (Theta2' * delta3)(2:end) .* sigmoidGradient(z2);",
     C(S(delta, Oct(2)), had(Slice(star(T(S(Theta, Oct(2))), S(delta, Oct(3))), 2),
                           Call("sigmoidGradient", S("z", Oct(2)))))),
    ("delta2 = delta2(2:end);", C(S(delta, Oct(2)), Slice(S(delta, Oct(2)), 2))),
    ("Delta1 = Delta1 + delta2 * a1';", C(S("\\Delta", Oct(1)), add(S("\\Delta", Oct(1)), star(S(delta, Oct(2)),
                                                                                        T(S("a", Oct(1))))))),
    ("delta_2 = (Theta2' * delta_3) .* sigmoidGradient(z2)",   # underscored names: a layer, as in delta2
     C(S(delta, Oct(2)), had(star(T(S(Theta, Oct(2))), S(delta, Oct(3))), Call("sigmoidGradient", S("z", Oct(2)))))),
    # ... while in LaTeX (a backslash anywhere) the same subscripts are component indices
    (r"\delta_2 = w_12 a_2", C(S(delta, None, "2"), mm(S("w", None, "1", "2"), S("a", None, "2")))),
    ("a2 = sigmoid(Theta1 * a1)", C(S("a", Oct(2)), Call("sigmoid", star(S(Theta, Oct(1)), S("a", Oct(1)))))),
    ("D1 = Delta1 / m + lambda / m * Theta1",
     C(S("D", Oct(1)), add(div(S("\\Delta", Oct(1)), S("m")), star(div(S("\\lambda"), S("m")), S(Theta, Oct(1)))))),
    # Goodfellow et al. alg. 6.4 (the claim is the equality after g <-)
    (r"g \leftarrow \nabla_{a^{(k)}} J = g \odot f'(a^{(k)})",
     C(Nabla(S("a", P("k")), S("J")), had(S("g"), d("f", S("a", P("k")))))),
    (r"\nabla_{W^{(k)}} J = g\, h^{(k-1)\top}", C(Nabla(S("W", P("k")), S("J")), mm(S("g"), T(S("h", P("k", -1)))))),
    (r"g \leftarrow \nabla_{h^{(k-1)}} J = W^{(k)\top} g",
     C(Nabla(S("h", P("k", -1)), S("J")), mm(T(S("W", P("k"))), S("g")))),
    # Bishop (5.54), (5.53), (5.56)
    (r"\delta_k = y_k - t_k", C(S(delta, None, "k"), sub(S("y", None, "k"), S("t", None, "k")))),
    (r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i",
     C(Partial(S("E", None, "n"), S("w", None, "j", "i")), mm(S(delta, None, "j"), S("z", None, "i")))),
    (r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k",
     C(S(delta, None, "j"), mm(d("h", S("a", None, "j")), Sum("k", mm(S("w", None, "k", "j"), S(delta, None, "k")))))),
    (r"\delta_j = (1 - z_j^2) \sum_k w_{kj} \delta_k",       # Bishop (5.65): z_j^2 is a square
     C(S(delta, None, "j"), mm(sub(Num("1"), Pow(S("z", None, "j"), Num("2"))),
                               Sum("k", mm(S("w", None, "k", "j"), S(delta, None, "k")))))),
    (r"\delta_j = h'(a_j) \sum_{k=1}^{K} w_kj \delta_k",     # w_kj as pasted from plain text
     C(S(delta, None, "j"), mm(d("h", S("a", None, "j")), Sum("k", mm(S("w", None, "k", "j"), S(delta, None, "k")))))),
    # deeplearning.ai C1W4 (backward propagation for layer l)
    (r"dZ^{[l]} = dA^{[l]} * g^{[l]\prime}(Z^{[l]})",
     C(S("dZ", B("l")), star(S("dA", B("l")), d("g", S("Z", B("l")), 1, B("l"))))),
    (r"dZ^{[l]} = dA^{[l]} * g^{[l]'}(Z^{[l]})",
     C(S("dZ", B("l")), star(S("dA", B("l")), d("g", S("Z", B("l")), 1, B("l"))))),
    (r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}",
     C(S("dW", B("l")), mm(mm(one_over_m, S("dZ", B("l"))), T(S("A", B("l", -1)))))),
    (r"db^{[l]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[l](i)}",
     C(S("db", B("l")), mm(one_over_m, Sum("i", S("dZ", B("l"), "(i)"))))),
    (r"dA^{[l-1]} = W^{[l]T} dZ^{[l]}", C(S("dA", B("l", -1)), mm(T(S("W", B("l"))), S("dZ", B("l"))))),
    (r"\frac{\partial J}{\partial z^{[l]}} = \frac{\partial J}{\partial a^{[l]}} \odot g'(z^{[l]})",
     C(Partial(S("J"), S("z", B("l"))), had(Partial(S("J"), S("a", B("l"))), d("g", S("z", B("l")))))),
    # deeplearning.ai C1W3 and CS231n: d-names with Octave-style layer numbers
    ("dZ2 = A2 - Y", C(S("dZ", Oct(2)), sub(S("A", Oct(2)), S("Y")))),
    (r"dW1 = \frac{1}{m} dZ1 X^T", C(S("dW", Oct(1)), mm(mm(one_over_m, S("dZ", Oct(1))), T(S("X"))))),
    ("dZ = P - Y", C(S("dZ"), sub(S("P"), S("Y")))),
    # Wikipedia, Backpropagation, matrix multiplication section
    (r"\delta^{l-1} := (f^{l-1})' \circ (W^l)^T \cdot \delta^l",
     C(S(delta, L("l", -1)), had(Call("f", None, 1, L("l", -1)), mm(T(S("W", L("l"))), S(delta, L("l")))), ":=")),
    (r"\nabla_{W^l} C = \delta^l (a^{l-1})^T",
     C(Nabla(S("W", L("l")), S("C")), mm(S(delta, L("l")), T(S("a", L("l", -1)))))),
    (r"\frac{\partial E}{\partial a^{(l)}} = \delta^{(l+1)}",
     C(Partial(S("E"), S("a", P("l"))), S(delta, P("l", 1)))),
    # relations
    (r"\delta^l \gets x", C(S(delta, L("l")), S("x"), "<-")),
    (r"\delta^l <- x", C(S(delta, L("l")), S("x"), "<-")),
    (r"\Delta^{(l)} += \delta^{(l+1)} (a^{(l)})^T",
     C(S("\\Delta", P("l")), mm(S(delta, P("l", 1)), T(S("a", P("l")))), "+=")),
    (r"\Delta^{(l)} \mathrel{+}= \delta^{(l+1)} (a^{(l)})^T",
     C(S("\\Delta", P("l")), mm(S(delta, P("l", 1)), T(S("a", P("l")))), "+=")),
    # layout that carries no meaning
    (r"\[ \delta^L \,=\, a^L \;-\; y \]", C(S(delta, L("L")), sub(S("a", L("L")), S("y")))),
    (r"\delta^L &= \displaystyle a^L - y \\", C(S(delta, L("L")), sub(S("a", L("L")), S("y")))),
    (r"\begin{equation} \delta^L = a^L - y \label{eq:bp1} \end{equation}",
     C(S(delta, L("L")), sub(S("a", L("L")), S("y")))),
    ("\\delta^L = a^L - y  % the output error\n", C(S(delta, L("L")), sub(S("a", L("L")), S("y")))),
    (r"\delta^l = W^T\delta \quad \odot \quad \sigma'(z) \qquad (l < L)",  # \quad beside an operator is spacing
     C(S(delta, L("l")), had(mm(T(S("W")), S(delta)), d(sigma, S("z"))))),
    # Unicode as copied from web pages
    ("δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ′(z^l)",
     C(S(delta, L("l")), had(mm(T(S("w", L("l", 1))), S(delta, L("l", 1))), d(sigma, z_l)))),
    ("∂C/∂b^l_j = δ^l_j", C(Partial(S("C"), S("b", L("l"), "j")), S(delta, L("l"), "j"))),
]


@pytest.mark.parametrize("text,expected", CLAIMS)
def test_claims(text, expected):
    assert parse(text) == expected


# ---------------------------------------------------------------- expressions, one form at a time
EXPRESSIONS = [
    # layer superscripts: plain, parenthesised, bracketed, concrete
    ("a^l", a_l), ("a^{l+1}", S("a", L("l", 1))), ("a^{l-1}", S("a", L("l", -1))), ("a^{(l)}", S("a", P("l"))),
    ("a^{(l+1)}", S("a", P("l", 1))), ("a^{[l]}", S("a", B("l"))), ("a^{[l-1]}", S("a", B("l", -1))),
    ("a^L", S("a", L("L"))), ("a^{L-1}", S("a", L("L", -1))), ("a^2", S("a", L(None, 2))),
    ("a^{(3)}", S("a", P(None, 3))), (r"a^\ell", a_l), ("w^3_{24}", S("w", L(None, 3), "2", "4")),
    ("a_j^{(2)}", S("a", P(None, 2), "j")), ("a_j^l", S("a", L("l"), "j")),
    # transposes
    ("W^T", T(S("W"))), ("W^{T}", T(S("W"))), (r"W^\top", T(S("W"))), (r"W^{\top}", T(S("W"))),
    (r"W^\mathsf{T}", T(S("W"))), (r"W^\intercal", T(S("W"))), (r"W^{\intercal}", T(S("W"))), ("Wᵀ", T(S("W"))),
    (r"W^{(k)\top}", T(S("W", P("k")))), ("W^{[l]T}", T(S("W", B("l")))), ("W^{l+1,T}", T(S("W", L("l", 1)))),
    ("(W^{l+1})^T", T(S("W", L("l", 1)))), ("{W^{l+1}}^T", T(S("W", L("l", 1)))),
    # primes: transpose after a symbol or group (Octave), derivative after a function letter
    ("Theta2'", T(S(Theta, Oct(2)))), ("(W^{l+1})'", T(S("W", L("l", 1)))), ("a'", T(S("a"))),
    ("a.'", T(S("a"))),
    ("g'(z^{(l)})", d("g", S("z", P("l")))), ("f'(a^{(k)})", d("f", S("a", P("k")))), (r"\phi'(z)", d("\\phi", S("z"))),
    (r"\varphi'(z)", d("\\varphi", S("z"))), ("h'(a_j)", d("h", S("a", None, "j"))),
    (r"\sigma^\prime(z)", d(sigma, S("z"))), (r"\sigma^{\prime}(z)", d(sigma, S("z"))),
    (r"\sigma''(z)", d(sigma, S("z"), 2)), ("(f^l)'", Call("f", None, 1, L("l"))),
    (r"g^{[l]\prime}(Z^{[l]})", d("g", S("Z", B("l")), 1, B("l"))),
    ("g^{[l]'}(Z^{[l]})", d("g", S("Z", B("l")), 1, B("l"))),
    # powers: a number on a group, a call or a layered symbol
    ("(a^l)^2", Pow(a_l, Num("2"))), ("(a)^2", Pow(S("a"), Num("2"))),
    (r"\sigma(z)^2", Pow(Call(sigma, S("z")), Num("2"))),
    ("{a^l}^2", Pow(a_l, Num("2"))), (r"\tanh^2(z)", Pow(Call("tanh", S("z")), Num("2"))),
    ("e^{-z}", Pow(S("e"), Neg(S("z")))), ("a.^2", Pow(S("a"), Num("2"))),
    # function names
    (r"\sigma(z)", Call(sigma, S("z"))), (r"\tanh'(z)", d("tanh", S("z"))), (r"\exp(-z)", Call("exp", Neg(S("z")))),
    (r"\log \hat{y}_k", Call("log", S("\\hat{y}", None, "k"))), (r"\ln(a)", Call("ln", S("a"))),
    (r"\operatorname{relu}(z)", Call("relu", S("z"))), (r"\mathrm{ReLU}'(z)", d("relu", S("z"))),
    ("sigmoid(z)", Call("sigmoid", S("z"))), ("sigmoidGradient(z2)", Call("sigmoidGradient", S("z", Oct(2)))),
    ("relu(z)", Call("relu", S("z"))), ("softmax(z^L)", Call("softmax", S("z", L("L")))),
    (r"\sigma\left(W a + b\right)", Call(sigma, add(mm(S("W"), S("a")), S("b")))),
    # component subscripts, in either order with layers
    ("a_j", S("a", None, "j")), ("w_{jk}", S("w", None, "j", "k")), ("w_{ij}", S("w", None, "i", "j")),
    ("w_{j,k}", S("w", None, "j", "k")), ("w_{kj}", S("w", None, "k", "j")), ("a_{j+1}", S("a", None, "j+1")),
    ("y_{t}", S("y", None, "t")), ("w^l_{jk}", S("w", L("l"), "j", "k")), ("w_{jk}^l", S("w", L("l"), "j", "k")),
    (r"\delta^{l+1}_k", S(delta, L("l", 1), "k")), ("z^{(l)}_j", S("z", P("l"), "j")),
    # names: hats kept, fonts stripped, \mathcal kept (the loss is not the last layer L)
    (r"\hat{y}", S("\\hat{y}")), (r"\hat y", S("\\hat{y}")), (r"\hat{y}_k", S("\\hat{y}", None, "k")),
    (r"\mathbf{1}", S("\\mathbf{1}")), (r"\mathrm{1}", Num("1")),  # a bold 1 is a vector of ones, not the number
    (r"\mathbf{x}", S("x")), (r"\boldsymbol{\delta}", S(delta)), (r"\vec{a}", S("a")),
    (r"\bm{W}^T", T(S("W"))), (r"\mathcal{L}", S("\\mathcal{L}")), (r"\Delta", S("\\Delta")),
    (r"\theta", S("\\theta")), ("dZ", S("dZ")), ("dW", S("dW")), ("db", S("db")), ("dA", S("dA")),
    ("dZ^{[l]}", S("dZ", B("l"))), ("dW^{[l]}", S("dW", B("l"))), ("dZ2", S("dZ", Oct(2))),
    ("Theta1", S(Theta, Oct(1))), (r"\lambda", S("\\lambda")), ("N", S("N")),
    # operators and precedence: + - < hadamard, * < matmul (juxtaposition, \cdot, \times, /) < unary minus
    (r"W^T \delta \odot \sigma'(z)", had(mm(T(S("W")), S(delta)), d(sigma, S("z")))),
    (r"a + b \odot c d", add(S("a"), had(S("b"), mm(S("c"), S("d"))))),
    (r"a \circ b", had(S("a"), S("b"))), ("a .* b", had(S("a"), S("b"))), ("a * b", star(S("a"), S("b"))),
    (r"a \cdot b", mm(S("a"), S("b"))), (r"a \times b", mm(S("a"), S("b"))), ("a / b", div(S("a"), S("b"))),
    ("a - b - c", sub(sub(S("a"), S("b")), S("c"))), ("-a b", mm(Neg(S("a")), S("b"))),
    (r"a \cdot -b", mm(S("a"), Neg(S("b")))), ("a * b .* c", had(star(S("a"), S("b")), S("c"))),
    # fractions and numbers
    (r"\frac{1}{m}", one_over_m), (r"\frac1m", one_over_m), (r"\frac12", div(Num("1"), Num("2"))),
    (r"\tfrac{1}{N}", div(Num("1"), S("N"))), (r"\dfrac{a}{b}", div(S("a"), S("b"))), ("0.5 a", mm(Num("0.5"), S("a"))),
    # grouping
    (r"\left( a + b \right) c", mm(add(S("a"), S("b")), S("c"))),
    (r"\bigl(a + b\bigr) c", mm(add(S("a"), S("b")), S("c"))),
    (r"\Big( a \Big)", S("a")), ("[a + b] c", mm(add(S("a"), S("b")), S("c"))), (r"\left[ a \right]^T", T(S("a"))),
    ("{a + b} c", mm(add(S("a"), S("b")), S("c"))), (r"\left. a \right.", S("a")),
    # slices: the bias row dropped
    ("[v]_{2:end}", Slice(S("v"), 2)), ("v(2:end)", Slice(S("v"), 2)), (r"[v]_{2:\mathrm{end}}", Slice(S("v"), 2)),
    # sums: the body is the rest of the multiplicative term
    (r"\sum_k a_k", Sum("k", S("a", None, "k"))), (r"\sum_{k} a_k b_k + c", add(Sum("k", mm(S("a", None, "k"),
                                                                                          S("b", None, "k"))), S("c"))),
    (r"\sum\limits_k a_k \odot b_k", Sum("k", had(S("a", None, "k"), S("b", None, "k")))),
    (r"\sum_{k=1}^{n_{l+1}} w_{kj}", Sum("k", S("w", None, "k", "j"))),
    (r"-\sum_k a_k", Neg(Sum("k", S("a", None, "k")))),
]


@pytest.mark.parametrize("text,expected", EXPRESSIONS)
def test_expressions(text, expected):
    assert parse_expr(text) == expected


# ---------------------------------------------------------------- bad input: one line, what and where
BAD = [
    ("", "empty formula"),
    ("   \n\t ", "empty formula"),
    ("$$ $$", "empty formula"),
    (r"\delta = \frac{a}{b", "unbalanced braces: '{' at column 18 is never closed"),
    (r"\delta = (a + b", "unbalanced parentheses: '(' at column 10 is never closed"),
    (r"\delta = a + b)", "unbalanced parentheses: ')' at column 15 closes nothing"),
    (r"\delta = (a]", "mismatched brackets"),
    (r"\delta^l = \foo x", "unknown command \\foo at column 12"),
    (r"\sigmax = 1", "unknown command \\sigmax at column 1"),
    (r"W^T \delta", "no '=': a formula must claim something"),
    ("a == b", "'==' at column 3"),
    ("a = b = c", "more than one relation"),
    ("^", "unexpected '^' at column 1"),
    ("a^ = b", "unexpected '=' at column 4"),
    (r"\delta^l =", "ends too early"),
    (r"\frac{a} = b", "\\frac at column 1 needs two arguments"),
    (r"\delta = \text{the error}", "\\text{...} at column 10 is only allowed after the formula"),
    (r"W_{\text{out}} = x", "\\text{...} at column 4 is only allowed after the formula"),
    (r"x = \partial C", "\\partial at column 5 appears only as"),
    (r"x = \frac{\partial C}{y}", "\\partial at column 11 appears only as"),
    ("Theta1_grad = Delta1 / m", "subscript _grad is a name, not indices"),
    ("x = Theta2(:,2:end)' * delta3", "a column slice (:, 2:end)"),
    (r"x = (W)^l", "layer superscript l on an expression"),
    # W^{l(k)} is layer l of example k, as dZ^{[l](i)} and \delta^{(l)(t)} are (tests/test_example_index.py)
    (r"x = W^{l(k+1)}", "has more than one layer"), (r"x = W^{l(2)}", "has more than one layer"),
    (r"x = W^{(l)(k)(t)}", "has more than one layer"),
    (r"x = \tanh^T(z)", "a transpose on the function tanh"),
    (r"x = (a b)_{(i)}", "an example's index on an expression"),  # (a b)_j is an entry of the product
    (r"a &= b \\ &= c", "a line break \\\\ at column 8"),
    ("x = a, b", "unexpected ',' at column 6"),
    ("x = ÿ", "unexpected character 'ÿ' at column 5"),
    ("\x00\xff", "control character U+0000 at column 1"),
    ("x = a\x1bb", "control character U+001B"),
    ("x" * 100_000, "formula too long: 100000 characters"),
    ("x = " + "(" * 1000 + "a" + ")" * 1000, "formula too long"),
    ("x = " + "(" * 60 + "a" + ")" * 60, "nesting deeper than 50"),
    ("x = " + "{" * 51 + "a" + "}" * 51, "nesting deeper than 50"),
    ("x = " + " + ".join(["a"] * 400), "too deeply nested"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_input_is_one_clear_line(text, message):
    start = time.perf_counter()
    with pytest.raises(FormulaError) as err:
        parse(text)
    assert time.perf_counter() - start < 5  # generous: these are refused before or by a linear-time parser
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert isinstance(err.value, DeriveError)


def test_errors_carry_the_column():
    with pytest.raises(FormulaError) as err:
        parse(r"\delta^l = \foo x")
    assert err.value.column == 12


def test_not_text():
    with pytest.raises(FormulaError, match="must be text"):
        parse(b"a = b")


def test_parse_expr_refuses_a_claim():
    with pytest.raises(FormulaError, match="use parse for a claim"):
        parse_expr("a = b")


def test_parse_expr_reads_what_parse_reads():
    assert parse(r"\delta^l = W^T \delta").rhs == parse_expr(r"W^T \delta")


def test_grammar_is_built_once():
    assert _parser() is _parser()


# ---------------------------------------------------------------- anything at all: FormulaError or a tree
VOCABULARY = ["a", "W", "w", "x", "y", "z", "g", "f", "h", "l", "L", "T", "k", "1", "2", "0.5", r"\sigma", r"\delta",
              "Theta1", "delta3", "dZ", "dW", "^", "_", "{", "}", "(", ")", "[", "]", "'", "^T", "^{(l)}", "^{[l]}",
              "^{l+1}", "_j", "_{jk}", "_{2:end}", "(2:end)", "=", ":=", "+=", r"\leftarrow", "+", "-", "*", ".*",
              r"\odot", r"\cdot", "/", ".^", r"\frac", r"\frac{1}{m}", r"\partial", r"\nabla_a", r"\sum_k", r"\hat{y}",
              r"\mathbf", r"\tanh", "sigmoid", r"\prime", r"\left(", r"\right)", r"\quad", r"\text{for }", "&", r"\\",
              ".", ",", "$", "ᵀ", "σ", "%", r"\foo", "\n", " "]


def _only_formula_errors(text):
    for read in (parse, parse_expr):
        try:
            read(text)
        except FormulaError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_formula_errors(text):
    _only_formula_errors(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=40).map("".join))
def test_formula_like_soup_raises_only_formula_errors(text):
    _only_formula_errors(text)
