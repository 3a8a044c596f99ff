"""`check --layer` readings that the layer corpora's real formulas needed (issue 13): a source's own letters declared
as a notes file would (an adjoint's own letter, quantities with layer marks, axes the notes leave out), indices in
brackets (x[c, i+u]), sums under constraints (\\substack), a formula of one example judged on batches, the loss's
argument list, and the chain rule's local derivatives written as fractions.

Each reading has a formula that holds and single edits of it that fail (issue 9's property: an edit changes the
verdict), and what stays unreadable is refused with the reason.
"""

import pytest

from derive import check
from derive.errors import DeriveError
from derive.layers import kind
from derive.layers.notation import notation

# a PyTorch note's conv2d letters: one example, counted from 0, stride 1, no padding, G the upstream gradient
NOTE = {"from": "cs231n", "index_base": 0, "implicit": ["n"], "symbols": {"w": "W"},
        "gradients": {r"\mathrm{out}": "G"}, "constants": {"stride": 1, "pad": 0}}
# Goodfellow's letters with G the gradient of J by Z, no padding (eq. 9.11-9.13)
BOOK = {"from": "goodfellow", "gradients": {"Z": "G"}, "constants": {"pad": 0}}
# a blog's letters: layer marks on one layer's quantities
MARKED = {"from": "cs231n", "adjoint": "partial", "implicit": ["n"], "symbols": {"b": "b^{l-1}"},
          "gradients": {r"\mathrm{out}": r"\delta^{l}"}}
CS231N_LOSS = {"from": "cs231n", "symbols": {"L": r"\mathcal{L}", r"\mathrm{dout}": "dy"}}
IOFFE_DELTA = {"from": "ioffe", "gradients": {"y": r"\delta"}}

# (layer, notation, formula that holds, [single edits of it that fail])
READINGS = [
    # indices in brackets, one example, the upstream gradient's own letter
    ("conv2d", NOTE, r"dW[o, c, u, v] = \sum_{i,\,j} G[o, i, j]\; x[c,\, i+u,\, j+v]",
     [r"dW[o, c, u, v] = \sum_{i,\,j} G[o, i, j]\; x[c,\, i+u+1,\, j+v]",
      r"dW[o, c, u, v] = \sum_{i,\,j} G[o, i, j]\; x[c,\, i+v,\, j+u]"]),
    # a sum under constraints
    ("conv2d", NOTE, r"dx[c, h, w] = \sum_{\substack{o,\,i,\,j,\,u,\,v \\ i+u=h,\; j+v=w}} G[o, i, j]\; W[o, c, u, v]",
     [r"dx[c, h, w] = \sum_{\substack{o,\,i,\,j,\,u,\,v \\ i+u=h+1,\; j+v=w}} G[o, i, j]\; W[o, c, u, v]",
      r"dx[c, h, w] = \sum_{\substack{o,\,i,\,j,\,u,\,v \\ i+u=h,\; j+v=w}} G[o, i, j]\; W[o, c, v, u]"]),
    ("conv2d", BOOK, r"\frac{\partial J}{\partial V_{i,j,k}} = "
     r"\sum_{\substack{l,m\\ \textrm{s.t.}\\(l-1)\times s+m=j}} "
     r"\sum_{\substack{n,p\\ \textrm{s.t.}\\(n-1)\times s+p=k}} \sum_q K_{q,i,m,p} G_{q,l,n}",
     [r"\frac{\partial J}{\partial V_{i,j,k}} = \sum_{\substack{l,m\\ \textrm{s.t.}\\(l-1)+m=j}} "
      r"\sum_{\substack{n,p\\ \textrm{s.t.}\\(n-1)\times s+p=k}} \sum_q K_{q,i,m,p} G_{q,l,n}"]),
    # the loss's argument list, and the example implicit: the kernel's gradient summed over the examples
    ("conv2d", BOOK, r"\frac{\partial J(V, K)}{\partial K_{i,j,k,l}} = \sum_{m,n} G_{i,m,n} V_{j,(m-1)\times s+k,"
     r"(n-1)\times s+l}",
     [r"\frac{\partial J(V, K)}{\partial K_{i,j,k,l}} = \sum_{m,n} G_{i,m,n} V_{j,(m-1)+k,(n-1)\times s+l}",
      r"\frac{\partial J(V, K)}{\partial K_{i,j,k,l}} = \sum_{m,n} G_{i,n,m} V_{j,(m-1)\times s+k,(n-1)\times s+l}"]),
    # quantities with layer marks
    ("conv2d", MARKED, r"\frac{\partial L}{\partial b^{l-1}_d} = \sum_i \sum_j \delta^l_{d,i,j}",
     [r"\frac{\partial L}{\partial b^{l-1}_d} = \sum_i \delta^l_{d,i,1}"]),
    # the chain rule's local derivatives as fractions
    ("batchnorm", CS231N_LOSS, r"\frac{\partial \mathcal{L}}{\partial \gamma_j} = \sum_{i=1}^N \frac{\partial "
     r"\mathcal{L}}{\partial y_{i,j}} \cdot \frac{\partial y_{i,j}}{\partial \gamma_j}",
     [r"\frac{\partial \mathcal{L}}{\partial \gamma_j} = \sum_{i=1}^N \frac{\partial \mathcal{L}}{\partial y_{i,j}} "
      r"\cdot \frac{\partial y_{i,j}}{\partial \beta_j}",
      r"\frac{\partial \mathcal{L}}{\partial \gamma_j} = \sum_{i=1}^N \frac{\partial \mathcal{L}}{\partial y_{i,j}} "
      r"\cdot \frac{\partial y_{i,j}}{\partial \gamma_1}"]),
    ("batchnorm", IOFFE_DELTA, r"\frac{\partial L}{\partial \beta} = \sum_{i=1}^m \frac{\partial L}{\partial y_i}"
     r"\frac{\partial y_i}{\partial \beta} = \sum_{i=1}^m \delta_i",
     [r"\frac{\partial L}{\partial \beta} = \sum_{i=1}^m \frac{\partial L}{\partial y_i}\frac{\partial y_i}"
      r"{\partial \gamma} = \sum_{i=1}^m \delta_i"]),
    # a vector of ones: A 1 sums A's rows (attention's per-query sum of the exponentials)
    ("attention", "vaswani", r"Z = u \mathbf{1}", [r"Z = \mathbf{1}^T u", r"Z = u^T \mathbf{1}"]),
    # a layer norm of one example (i the feature)
    ("layernorm", {"from": "cs231n", "implicit": ["i"]},
     r"d\sigma^2 = \sum_{j=1}^{D} d\hat{x}_j \cdot \frac{\partial \hat{x}_j}{\partial \sigma^2}",
     [r"d\sigma^2 = \sum_{j=1}^{D} d\hat{x}_j \cdot \frac{\partial \hat{x}_1}{\partial \sigma^2}"]),
]

REFUSED = [
    ("batchnorm", CS231N_LOSS, r"\frac{\partial \mathcal{L}}{\partial x_{ij}} = \frac{\partial \mathcal{L}}"
     r"{\partial y_{ij}} \frac{\partial y_{ij}}{\partial x_{ij}}", "is not computed from"),
    ("batchnorm", CS231N_LOSS, r"\frac{\partial \mathcal{L}}{\partial x_{ij}} = \frac{\partial \mathcal{L}}"
     r"{\partial \hat{x}_{ij}} \frac{\partial \hat{x}_{ij}}{\partial x_{ij}}", "through \\mu as well"),
    ("rnn", "cs231n", r"dh_{ntj} = \sum_{i} da_{n,t+1,i} \frac{\partial a_{n,t+1,i}}{\partial h_{ntj}}",
     "feed each other"),
    ("conv2d", BOOK, r"\frac{\partial J(V, Q)}{\partial b_{i}} = \sum_{m,n} G_{i,m,n}", "the loss's arguments"),
    ("conv2d", MARKED, r"\frac{\partial L}{\partial b^{l}_d} = \sum_i \sum_j \delta^l_{d,i,j}", "unknown symbol"),
    ("conv2d", NOTE, r"dx[c, h, w] = \sum_{\substack{o,\,i \\ \frac{i}{2} = h}} G[o, i, h]", "under a sum"),
    ("attention", "vaswani", r"Z = u \mathbf{1} \mathbf{1}^T", "outer product"),
    ("layernorm", {"from": "cs231n", "implicit": ["i"]}, r"d\mu = \sum_{j=1}^{D} d\hat{x}_j \cdot "
     r"\frac{\partial \hat{x}_j}{\partial \mu}", "through \\sigma^{2} as well"),
]


@pytest.mark.parametrize("layer, letters, formula, edits", READINGS)
def test_a_reading_holds_and_its_edits_fail(layer, letters, formula, edits):
    r = check(formula, letters, layer=layer, diagnose=False)
    assert r.verdict == "holds", r.text()
    for edit in edits:
        e = check(edit, letters, layer=layer, diagnose=False)
        assert e.verdict == "fails", (edit, e.text())


@pytest.mark.parametrize("layer, letters, formula, reason", REFUSED)
def test_what_stays_unreadable_is_refused(layer, letters, formula, reason):
    r = check(formula, letters, layer=layer, diagnose=False)
    assert r.verdict == "invalid", r.text()
    assert reason in r.reason, r.reason


def test_one_example_is_read_only_where_the_examples_add():
    """The kernel's gradient of one example, summed over the batch, is said so; batch norm's examples share the
    mean, so a formula without the example index is not read as one example's there."""
    r = check(r"\frac{\partial J}{\partial b_{i}} = \sum_{m,n} G_{i,m,n}", BOOK, layer="conv2d", diagnose=False)
    assert r.verdict == "holds" and any("one example" in n for n in r.notes), r.text()
    r = check(r"d\gamma_j = dy_j \hat{x}_j", {"from": "cs231n", "implicit": ["i"], "symbols": {r"\mathrm{dout}": "dy"}},
              layer="batchnorm", diagnose=False)
    assert r.verdict == "fails" and not any("one example" in n for n in r.notes), r.text()


def test_held_constants_are_drawn_on_every_input():
    r = check(r"dW[o, c, u, v] = \sum_{i,\,j} G[o, i, j]\; x[c,\, i+u,\, j+v]", NOTE, layer="conv2d", diagnose=False)
    assert "3 drawn inputs" in r.reason, r.reason


def test_brackets_without_a_comma_stay_a_product():
    from derive.formula.parse import parse_expr
    assert parse_expr(r"W [x + y]") == parse_expr(r"W (x + y)")
    assert parse_expr(r"x[c, t+1]") == parse_expr(r"x_{c,t+1}")


@pytest.mark.parametrize("field, value, message", [
    ("implicit", ["z"], "is not one of"),
    ("implicit", "n", "expected a list"),
    ("gradients", {"q": "G"}, "is not one of"),
])
def test_a_wrong_notation_field_is_one_line(field, value, message):
    with pytest.raises(DeriveError, match=message):
        notation(kind("conv2d"), {"from": "cs231n", field: value})
