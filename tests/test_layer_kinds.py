"""Layer kinds on their own (issue 11): each local partial against SymPy's derivative of its forward formula, the
reverse pass against Ioffe & Szegedy's published equations, every formula against ground truth, and the
mistakes people make caught by the same checks."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys

import pytest
import sympy as sp

import derive
from derive.activations import ACTIVATIONS
from derive.backward import derive_kind, equal_for_every_size, indices
from derive.kind_printing import latex
from derive.kind_verification import verify_kind
from derive.layers import GRAPHS, KINDS, STATISTICS, kind
from derive.layers.conv import PAD, STRIDE
from derive.layers.dropout import KEEP
from derive.layers.graph import AXES, BOUND, SOURCE, Local, entry, total
from derive.layers.normalise import EPS

N, K, J = AXES["n"][0], AXES["k"][0], AXES["j"][0]
M, D, H = AXES["n"][1], AXES["k"][1], AXES["j"][1]
CASES = [(k, u) for k in KINDS for u in ((False, True) if k in STATISTICS else (False,))]
# the partials each kind's graph writes: a kind that lost one would pass the loop below with fewer checks
PARTIALS = {"batchnorm": 9, "layernorm": 9, "dropout": 1, "dense": 3, "projection": 2, "softmax": 4,
            "logsoftmax": 4, "add": 2, "attention": 8, "masked_attention": 8, "embedding": 1, "conv1d": 3,
            "maxpool1d": 1, "avgpool1d": 1, "conv2d": 3, "maxpool2d": 1, "avgpool2d": 1, "rnn": 8,
            "lstm": 17, "gru": 19, "lstm_concat": 26} | {
                name: 1 for name, a in ACTIVATIONS.items() if a.elementwise}


def _at(g, expr, sizes: dict, point: dict, rng):
    """The value of ``expr`` (its sums done at ``sizes``, its indices concrete) with every computed quantity's
    entry the value of its forward formula there, down to the inputs, whose entries are drawn from ``rng`` on
    first use and kept in ``point`` (as are the computed entries' values). The forward pass is
    evaluated entry by entry, not inlined as one expression (an LSTM's inlined gates took SymPy 20 s)."""
    computed = {node.name: node for node in g.nodes if node.forward is not None}

    def inside(node, at) -> bool:  # a recurrence reads h[n, t - 1, i] at t = 1 too: drawn, as an input's entry
        return all(1 <= int(i) <= sizes[AXES[a][1]] for a, i in zip(node.axes, at))

    def value(e):
        if e not in point:
            node = computed.get(e.base.label.name)
            node = node if node is not None and inside(node, e.indices) else None
            point[e] = (sp.Float(rng.uniform(0.2, 1.5) * rng.choice((-1, 1)), 30) if node is None else
                        _at(g, node.forward.xreplace(dict(zip(indices(node.axes), e.indices))).xreplace(sizes).doit(),
                            sizes, point, rng))
        return point[e]
    return expr.replace(lambda e: isinstance(e, sp.Indexed), value).xreplace(point)


@pytest.mark.parametrize("name,unbiased", [(k, u) for k in GRAPHS for u in
                                           ((False, True) if k in STATISTICS else (False,))])
def test_each_local_partial_is_the_derivative_of_its_forward_formula(name, unbiased):
    # on a concrete batch of 3 x 3 (4 outputs), every quantity a node reads held as an independent variable:
    # SymPy's derivative of the forward formula against the partial the graph writes beside it (which may speak
    # of forward quantities, tanh's 1 - y²), both with the forward pass inlined, at random inputs; a convolution's
    # 5 positions by stride 2 and padding 1 through 3 taps (3 outputs), output position 3 (its window reads input
    # positions 4, 5, 6, the last of them padding) by input position 5 (its tap 2)
    g = kind(name, unbiased, within=GRAPHS)
    sizes, at = {M: 3, D: 3, H: 4, STRIDE: 2, PAD: 1}, {N: 2, K: 1, J: 3}
    sizes |= {AXES["t"][1]: 5, AXES["o"][1]: 3, AXES["u"][1]: 3}
    at |= {AXES["t"][0]: 5, AXES["o"][0]: 3, AXES["u"][0]: 2}
    # in 2-D the columns too: 4 positions through 2 taps by stride 2 and padding 1 (3 outputs), output column 2 (its
    # window reads input columns 2, 3) by input column 3 (its tap 2)
    sizes |= {AXES["T"][1]: 4, AXES["O"][1]: 3, AXES["U"][1]: 2}
    at |= {AXES["T"][0]: 3, AXES["O"][0]: 2, AXES["U"][0]: 2}
    # a recurrence: step 2's pre-activation (unit 3) by the state of step 1 (unit 2, the source's own indices
    # SOURCE[t], SOURCE[j]), the second hidden index i at 2; at step 2 the initial state's term is 0
    at |= {AXES["i"][0]: 2, SOURCE["t"]: 1, SOURCE["j"]: 2}
    # an LSTM's stacked gates: 4H = 16 pre-activations, entry 7 the forget gate's of unit 3 (= j + H)
    sizes |= {AXES["q"][1]: 16}
    at |= {AXES["q"][0]: 7}
    # a GRU's: 3H = 12, entry 11 the new gate's of unit 3 (= 2H + j)
    sizes |= {AXES["g"][1]: 12}
    at |= {AXES["g"][0]: 11}
    # deeplearning.ai's [a_prev; x_t]: 4 + 3 = 7 rows, row 6 the input's feature 2
    sizes |= {AXES["p"][1]: 7}
    at |= {AXES["p"][0]: 6}
    at[AXES["t"][0]] = 5 if name not in ("rnn", "lstm", "gru", "lstm_concat") else 2
    rng = random.Random(1)
    checked = 0
    for node in g.nodes:
        for local in node.reads:
            source = g.node(local.source)
            forward = node.forward.xreplace(sizes).doit().xreplace(at)
            entry_ = source.entry.xreplace({AXES[a][0]: SOURCE[a] for a in local.own})  # read elsewhere on own axes
            point = {EPS: sp.Float(0.1, 30), KEEP: sp.Float(0.6, 30)}
            want = _at(g, sp.diff(forward, entry_.xreplace(at)), sizes, point, rng)
            got = _at(g, local.partial.xreplace(sizes).doit().xreplace(at), sizes, point, rng)
            assert abs(sp.N(want - got, 30)) < 1e-25, (node.name, local.source)
            checked += 1
    assert checked == PARTIALS[name]


def test_the_reverse_pass_gives_ioffe_and_szegedys_six_equations():
    # Ioffe & Szegedy (2015), Section 3, written out here by hand from the paper (not from the graph)
    d = derive_kind(kind("batchnorm"))
    j, m = BOUND["n"], M
    x, xh, mu, var = (lambda i: entry("x", "nk").xreplace({N: i})), (lambda i: entry("dxhat", "nk").xreplace({N: i})), \
        entry("mu", "k"), entry("var", "k")
    dy, gamma, xhat = (lambda i: entry("dy", "nk").xreplace({N: i})), entry("gamma", "k"), \
        (lambda i: entry("xhat", "nk").xreplace({N: i}))
    dvar, dmu = entry("dvar", "k"), entry("dmu", "k")
    paper = {
        "xhat": dy(N) * gamma,
        "var": sp.Sum(xh(j) * (x(j) - mu) * sp.Rational(-1, 2) * (var + EPS) ** sp.Rational(-3, 2), (j, 1, m)),
        "mu": sp.Sum(xh(j) * -1 / sp.sqrt(var + EPS), (j, 1, m)) + dvar * sp.Sum(-2 * (x(j) - mu), (j, 1, m)) / m,
        "x": xh(N) / sp.sqrt(var + EPS) + dvar * 2 * (x(N) - mu) / m + dmu / m,
        "gamma": sp.Sum(dy(j) * xhat(j), (j, 1, m)),
        "beta": sp.Sum(dy(j), (j, 1, m)),
    }
    assert {e.of for e in d.equations} == set(paper)
    from derive.layers.graph import linear
    for e in d.equations:
        assert sp.simplify(linear(e.rhs - paper[e.of])) == 0, e.of


@pytest.mark.parametrize("name,unbiased", CASES)
def test_every_formula_agrees_with_ground_truth(name, unbiased):
    report = verify_kind(derive_kind(kind(name, unbiased), unbiased=unbiased), trials=3)
    assert report.ok and max(report.errors.values()) < 1e-40
    checks = {c for c, _ in report.errors}
    assert checks == ({"chain rule", "end to end"} | ({"closed form"} if kind(name).compact else set()))


def _without(g, node, source):
    """The graph with one path cut: ``node`` no longer reads ``source`` (a mistake people make)."""
    nodes = tuple(dataclasses.replace(n, reads=tuple(r for r in n.reads if r.source != source))
                  if n.name == node else n for n in g.nodes)
    return dataclasses.replace(g, nodes=nodes, compact=())


MISTAKES = [
    # mu and var treated as constants: x reaches the loss only through x-hat
    ("batchnorm", lambda g: _without(_without(g, "mu", "x"), "var", "x"), "x"),
    ("layernorm", lambda g: _without(_without(g, "mu", "x"), "var", "x"), "x"),
    # the mean's path into x-hat forgotten
    ("batchnorm", lambda g: _without(g, "xhat", "mu"), "x"),
    # the variance's path into x-hat forgotten
    ("batchnorm", lambda g: _without(g, "xhat", "var"), "x"),
    # gamma dropped from the output's local derivative
    ("batchnorm", lambda g: dataclasses.replace(g, nodes=tuple(
        dataclasses.replace(n, reads=tuple(Local(r.source, sp.Integer(1)) if r.source == "xhat" else r
                                           for r in n.reads)) if n.name == "y" else n for n in g.nodes)), "xhat"),
]


@pytest.mark.parametrize("name,edit,quantity", MISTAKES)
def test_a_real_mistake_fails_against_ground_truth(name, edit, quantity):
    report = verify_kind(derive_kind(edit(kind(name))), trials=2)
    assert not report.ok
    assert report.errors[("end to end", quantity)] > 1e-3


def test_the_mean_path_through_the_variance_is_exactly_zero():
    # a known "mistake" that is not one: with the 1/m variance, d var / d mu sums (x - mu) to zero
    report = verify_kind(derive_kind(_without(kind("batchnorm"), "var", "mu")), trials=2)
    assert report.ok


def test_the_other_variance_fails():
    # the n-1 formulas on a 1/n forward pass, and the reverse
    for derived, drawn in ((True, False), (False, True)):
        d = derive_kind(kind("batchnorm", derived), unbiased=drawn)
        assert not verify_kind(d, trials=1).ok


def test_the_closed_form_is_shown_equal_and_a_wrong_one_is_not():
    d = derive_kind(kind("batchnorm"))
    (closed,) = d.closed
    assert closed.equal
    form = closed.form
    wrong = [form.rhs.xreplace({M: M - 1}),                                            # 1/(m-1)
             form.rhs.xreplace({EPS: 0}),                                              # no epsilon
             form.rhs.subs(total(entry("dy", "nk"), "n"), 0)]                          # the mean term dropped
    for w in wrong:
        assert w != form.rhs
        assert not equal_for_every_size(d.expanded["x"], w, form)


def test_letters_of_each_source():
    bn = derive_kind(kind("batchnorm"), "ioffe")
    assert latex(entry("var", "k"), bn.letters) == r"\sigma^{2}_{\mathcal{B}}"
    assert latex(entry("dx", "nk"), bn.letters) == r"\frac{\partial \ell}{\partial x_{i}}"
    cs = derive_kind(kind("batchnorm"), "cs231n")
    assert latex(entry("dy", "nk"), cs.letters) == r"\mathrm{dout}_{ij}"
    assert latex(entry("dgamma", "k"), cs.letters) == r"d\gamma_{j}"
    ln = derive_kind(kind("layernorm"), "ba")
    dgamma = ln.equation("gamma")
    assert r"\widehat{a}^{(t)}_{i}" in latex(dgamma.rhs, ln.letters, dgamma.lhs)  # the example index, summed
    with pytest.raises(derive.DeriveError, match="ioffe, cs231n"):
        derive_kind(kind("batchnorm"), "nielsen")


def test_the_api():
    d = derive.layer("layernorm", "cs231n", unbiased=True)
    assert d.unbiased and d.letters.source == "cs231n"
    assert derive.verify(d, trials=1).ok
    text = derive.document(d, "md")
    assert "layer normalisation" in text and "Verified." in text
    for bad, message in [(("conv",), "unknown layer kind"), (("dropout", None, True), "no variance"),
                         (("batchnorm", 3), "must be a notation")]:
        with pytest.raises(derive.DeriveError, match=message):
            derive.layer(*bad)
    with pytest.raises(derive.DeriveError, match="trials and seed only"):
        derive.verify(d, truth="fd")
    with pytest.raises(derive.DeriveError, match="unbiased is for layer"):
        derive.check(r"\delta^L = a^L - y", unbiased=True)


@pytest.mark.parametrize("args,status,says", [
    (["verify", "--layer", "dropout"], 0, "verified"),
    (["verify", "--layer", "batchnorm", "--loss", "bce"], 2, "--loss does not apply to one layer"),
    (["verify", "--layer", "batchnorm", "--torch"], 2, "--torch does not apply"),
    (["verify", "--unbiased"], 2, "--unbiased is for --layer"),
    (["doc", "--layer", "batchnorm", "--convention", "ba"], 2, "its notations: ioffe, cs231n"),
    (["doc", "--layer", "dropout", "--format", "tex"], 0, r"\documentclass"),
    (["check", "--layer", "batchnorm", "--loss", "bce", r"\frac{\partial \ell}{\partial \beta} = 1"], 2,
     "--loss does not apply to one layer"),
    (["check", "--layer", "dropout", "--single-neurons", "dx_{ij} = 1"], 2, "--single-neurons does not apply"),
    (["check", "--unbiased", r"\delta^L = a^L - y"], 2, "--unbiased is for --layer"),
])
def test_the_command_line(args, status, says):
    run = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, timeout=120)
    assert run.returncode == status, run.stderr
    assert says in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_the_command_lines_list_of_letters_is_the_kinds_own():
    from derive.cli import LAYER_LETTERS
    assert set(LAYER_LETTERS) == set(KINDS)
    for name, letters in LAYER_LETTERS.items():
        assert letters == ", ".join(f.source for f in kind(name).letters)


def test_help_and_list_import_no_numbers():
    code = ("import sys; from derive.cli import main; main(['list']); "
            "assert 'mpmath' not in sys.modules and 'sympy' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "batchnorm" in run.stdout

