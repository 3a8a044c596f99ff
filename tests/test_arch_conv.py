"""Convolution, pooling and recurrent layers inside architectures (issue 13): the spec's input item and the new
items parsed, every quantity of every step against the truth of the whole network, and the mistakes caught: a
partial that ignores the stride, a recurrence's path through the next step dropped, a max pool that routes its
gradient to the whole window; a max pool's ties after a ReLU are left out (the loss has no derivative there) and
only those."""

from __future__ import annotations

import dataclasses
import random

import pytest
import sympy as sp

from derive import arch_verification
from derive.arch_backward import derive_architecture, kind_derivation
from derive.arch_doc import document
from derive.arch_verification import verify_architecture
from derive.architectures import draw, parse
from derive.backward import _substitute, derive_kind
from derive.errors import DeriveError
from derive.layers import FORMED, GRAPHS, kind
from derive.layers.conv import STRIDE
from derive.layers.graph import AXES, SOURCE

GOAL = "signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, dense(3), softmax"

PARSED = [  # spec, inputs, [(kind, reads, sizes after the example axis, options)]
    (GOAL, 2, [("conv1d", (0,), (4, 4), (("kernel", 3), ("stride", 2), ("pad", 1))), ("relu1d", (1,), (4, 4), ()),
               ("maxpool1d", (2,), (4, 2), (("window", 2), ("stride", 2))), ("dense1d", (3,), (3,), ()),
               ("softmax", (4,), (3,), ())]),
    ("signal(6) conv1d(3, 2, 1, 0) -> avgpool1d(3, stride=1), flatten, dense(2)", 1,
     [("conv1d", (0,), (3, 5), (("kernel", 2), ("stride", 1), ("pad", 0))),
      ("avgpool1d", (1,), (3, 3), (("window", 3), ("stride", 1))), ("dense1d", (2,), (2,), ())]),
    ("image(5, 4), conv2d(2, 3, pad=1), tanh, maxpool2d(2), flatten, dense(3)", 3,
     [("conv2d", (0,), (2, 5, 4), (("kernel", 3), ("stride", 1), ("pad", 1))), ("tanh2d", (1,), (2, 5, 4), ()),
      ("maxpool2d", (2,), (2, 2, 2), (("window", 2), ("stride", 2))), ("dense2d", (3,), (3,), ())]),
    ("sequence(8), rnn(4), dense(3)", 3, [("rnn", (0,), (8, 4), ()), ("temporal_dense", (1,), (8, 3), ())]),
    ("SEQUENCE(3), LSTM(2), gru(5), Sigmoid", 2,
     [("lstm", (0,), (3, 2), ()), ("gru", (1,), (3, 5), ()), ("temporal_sigmoid", (2,), (3, 5), ())]),
]


@pytest.mark.parametrize("spec,inputs,steps", PARSED)
def test_a_spec_with_an_input_item_is_parsed_to_its_steps(spec, inputs, steps):
    arch = parse(spec, inputs)
    assert [(s.kind, s.reads, s.dims, s.options) for s in arch.steps] == steps


REFUSED = [
    ("conv1d(4, 3)", "conv1d at column 1 reads a signal (channels by positions), but its input is a batch of "
                     "features (start the spec with signal(T))"),
    ("signal(8), batchnorm", "batchnorm at column 12 reads a batch of features, but its input is a signal "
                             "(channels by positions) (write flatten, dense(H) before it)"),
    ("signal(8), dense(3)", "dense at column 12 reads a signal (channels by positions): write flatten, dense(H)"),
    ("signal(8), flatten, relu", "flatten at column 12 is followed by dense(H), found 'relu' at column 21"),
    ("sequence(4), flatten, dense(2)", "flatten at column 14 reads a signal or an image"),
    ("signal(8), conv1d(4)", "conv1d at column 12 needs its kernel"),
    ("signal(8), conv1d(4, 3, stride=2, 1)", "a positional argument after one by name at column 35"),
    ("signal(8), conv1d(4, 3, step=2)", "conv1d has no argument 'step' (column 25"),
    ("signal(8), conv1d(4, 3, 1, 1, 1)", "too many arguments for conv1d at column 31"),
    ("signal(8), conv1d(4, 3, pad=2)", "conv1d's pad 2 at column 29: it is 0 to 1"),
    ("signal(4), conv1d(4, 9)", "a kernel of 9 does not fit 4 positions with pad 0"),
    ("signal(4), maxpool1d(5)", "a window of 5 does not fit 4 positions"),
    ("signal(40), relu", "signal's positions 40 at column 8: they are 1 to 32"),
    ("signal(8)", "names the input only"),
    ("relu, signal(8)", "signal(...) at column 7 says what the input is: write it first"),
    ("sequence(4), residual(relu)", "residual(...) at column 14 reads a batch of features, but its input is a "
                                    "sequence"),
    ("image(4), relu", "expected ',' and the image's columns at column 8"),
    ("sequence(4), rnn", "rnn needs its width, as rnn(4) (column 14)"),
    ("sequence(4), rnn(0)", "rnn(0) at column 18: widths are 1 to 16"),
    ("sequence(4), conv1d(2, 2)", "conv1d at column 14 reads a signal (channels by positions), but its input is a "
                                  "sequence"),
]


@pytest.mark.parametrize("spec,message", REFUSED)
def test_a_malformed_spec_is_one_line_error(spec, message):
    with pytest.raises(DeriveError) as e:
        parse(spec, 2)
    assert message in str(e.value) and "\n" not in str(e.value)


# (spec, inputs, trials): the goal (a ReLU's zeros tie in the max pool's windows), a convolution at stride 1 with
# both poolings (its flipped-kernel form checked), a 2-D net, an RNN, an LSTM and a GRU stacked
NETS = [
    (GOAL, 2, 2),
    ("signal(6), conv1d(3, 3, pad=1), avgpool1d(2, 1), tanh, maxpool1d(2), flatten, dense(2), logsoftmax", 2, 2),
    ("image(3, 3), conv2d(2, 2, pad=1), relu, avgpool2d(2, 1), flatten, dense(2)", 2, 1),
    ("sequence(4), rnn(3), tanh, dense(2)", 2, 2),
    ("sequence(3), lstm(2), gru(2), dense(2)", 2, 1),
]


@pytest.fixture(scope="module")
def reports():
    return {spec: verify_architecture(derive_architecture(parse(spec, inputs)), trials=trials)
            for spec, inputs, trials in NETS}


@pytest.mark.parametrize("spec", [spec for spec, _, _ in NETS])
def test_every_quantity_at_every_step_agrees_with_the_truth(reports, spec):
    report = reports[spec]
    assert report.ok, report.text()
    assert max(e for e, _ in report.errors.values()) < 1e-40
    ad = derive_architecture(parse(spec, 2))
    checked = {(k, q) for c, k, q in report.errors if c == "end to end"}
    for s in ad.steps:  # every adjoint of every kind used, every forward quantity, every output's gradient
        assert (s.kind.name, "y") in checked and {(s.kind.name, e.of) for e in s.derivation.equations} <= checked
        assert {("forward", s.kind.name, n.name) for n in s.kind.nodes if n.forward is not None} <= set(report.errors)
    closed = {k for c, k, _ in report.errors if c == "closed form"}
    assert ("conv1d" in closed) == ("conv1d(3, 3, pad=1)" in spec)  # the flipped kernel: stride 1 only
    assert (report.ties > 0) == (spec == GOAL)  # a ReLU's zeros tie in the max pool's windows, and only there


def _edited(spec: str, inputs: int, step: int, edit):
    """The architecture's derivation with step ``step``'s kind re-derived from ``edit(graph)``."""
    ad = derive_architecture(parse(spec, inputs))
    s = ad.steps[step - 1]
    wrong = derive_kind(edit(s.kind), s.derivation.letters.source)
    steps = tuple(dataclasses.replace(t, derivation=wrong) if t.step.index == step else t for t in ad.steps)
    return dataclasses.replace(ad, steps=steps)


def _reads(graph, node: str, change):
    """``graph`` with node ``node``'s partials replaced by ``change(local)`` (None drops the path)."""
    def edit(n):
        reads = tuple(r2 for r2 in (change(r) for r in n.reads) if r2 is not None)
        return dataclasses.replace(n, reads=reads) if n.name == node else n
    return dataclasses.replace(graph, nodes=tuple(edit(n) for n in graph.nodes), compact=())


MISTAKES = [  # (what people get wrong, spec, inputs, step, the edit, the quantity that must fail)
    ("the convolution's dx with the stride ignored", GOAL, 2, 1,
     lambda g: _reads(g, "y", lambda r: dataclasses.replace(r, partial=r.partial.xreplace({STRIDE: 1}))
                      if r.source == "x" else r), ("conv1d", "x")),
    ("backpropagation through time without the next step's path", "sequence(4), rnn(3), dense(2)", 2, 1,
     lambda g: _reads(g, "a", lambda r: None if r.source == "h" else r), ("rnn", "h")),
    ("a max pool's gradient sent to its whole window", GOAL, 2, 3,
     lambda g: _reads(g, "y", lambda r: dataclasses.replace(r, partial=r.partial.replace(
         lambda e: isinstance(e, sp.Piecewise), lambda e: sp.Integer(1)))), ("maxpool1d", "x")),
    ("the relu's derivative dropped over a signal", GOAL, 2, 2,
     lambda g: _reads(g, "y", lambda r: dataclasses.replace(r, partial=sp.Integer(1))), ("relu1d", "x")),
]


@pytest.mark.parametrize("what,spec,inputs,step,edit,fails", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_wrong_partial_inside_a_network_fails(what, spec, inputs, step, edit, fails):
    report = verify_architecture(_edited(spec, inputs, step, edit), trials=1)
    assert not report.ok
    assert report.errors[("end to end", *fails)][0] > 1e-3, report.text()
    assert "FAIL" in report.text()


def test_a_max_pools_ties_are_left_out_and_nothing_else(monkeypatch):
    ad = derive_architecture(parse(GOAL, 2))
    inp = draw(ad.architecture, 4, 0)
    from derive.truth_kinds import network_truth
    x = network_truth(inp)[2]["x"]
    tied = arch_verification.ties(ad.architecture.steps[2], x)
    # windows (2 o, 2 o + 1) of equal entries: the ReLU's zeros, both named
    assert tied and all(x[n][c][t] == x[n][c][t ^ 1] == 0 for n, c, t in tied)
    assert all((n, c, t ^ 1) in tied for n, c, t in tied)
    # with nothing left out, the ties fail: the bracket [x = out] passes the gradient to every tied entry, the truth
    # (as PyTorch) to the first, and neither is a derivative
    monkeypatch.setattr(arch_verification, "ties", lambda step, x: frozenset())
    report = verify_architecture(ad, trials=1)
    assert not report.ok and report.ties == 0
    assert {k for k, (e, _) in report.errors.items() if e > 1e-9} == {
        ("chain rule", "maxpool1d", "x"), ("end to end", "maxpool1d", "x"), ("end to end", "relu1d", "y")}


def test_each_kind_is_derived_once_over_each_form():
    ad = derive_architecture(parse("signal(8), relu, conv1d(2, 3), relu, tanh, conv1d(2, 3), relu, flatten, "
                                   "dense(3), relu", 2))
    assert [s.kind.name for s in ad.steps] == ["relu1d", "conv1d", "relu1d", "tanh1d", "conv1d", "relu1d",
                                               "dense1d", "relu"]
    assert len(ad.kinds()) == 5 and kind_derivation("relu1d", False) is ad.steps[0].derivation


@pytest.mark.parametrize("name", [n for n in FORMED if n.startswith(("dense", "temporal_dense")) or
                                  n in ("relu1d", "tanh2d", "temporal_sigmoid", "gelu1d")])
def test_each_local_partial_is_the_derivative_of_its_forward_formula(name):
    # as tests/test_layer_kinds.py's for the single kinds: SymPy's derivative of each forward formula, on concrete
    # sizes, against the partial written beside it, at a random point
    g = kind(name, within=GRAPHS + FORMED)
    sizes = {AXES[a][1]: 3 for a in "nkjtT"}
    at = {AXES["n"][0]: 2, AXES["k"][0]: 1, AXES["j"][0]: 3, AXES["t"][0]: 2, AXES["T"][0]: 3}
    rng = random.Random(1)
    checked = 0
    for node in g.nodes:
        for local in node.reads:
            forward = node.forward.xreplace(sizes).doit().xreplace(at)
            source = g.node(local.source).entry.xreplace({AXES[a][0]: SOURCE[a] for a in local.own}).xreplace(at)
            want = sp.diff(forward, source)
            got = local.partial
            for n in reversed(g.nodes):
                if n.forward is not None:
                    got = _substitute(got, n.name, n.axes, n.forward)
            got = got.xreplace(sizes).doit().xreplace(at)
            point = {leaf: sp.Float(rng.uniform(0.2, 1.5) * rng.choice((-1, 1)), 30)
                     for leaf in want.atoms(sp.Indexed) | got.atoms(sp.Indexed)}
            assert abs(sp.N(want.xreplace(point) - got.xreplace(point), 30)) < 1e-25, (node.name, local.source)
            checked += 1
    assert checked == (3 if "dense" in name else 1)


@pytest.mark.parametrize("fmt,needles", [
    ("md", ["2 channels of 8 positions", "| 1 | conv1d (kernel 3, stride 2, pad 1) | the input | 2 × 8 → 4 × 4 |",
            "### dense1d: a dense layer over a 1-D signal's channels and positions", "Left out: ", "Verified."]),
    ("tex", [r"2 $\times$ 8 $\to$ 4 $\times$ 4", r"\subsection{relu1d", "Left out: ", "Verified."]),
])
def test_the_document_renders(reports, fmt, needles):
    ad = derive_architecture(parse(GOAL, 2))
    text = document(ad, fmt, report=reports[GOAL])
    assert all(n in text for n in needles), [n for n in needles if n not in text]
    assert "A quantity that feeds two layers" not in text  # no residual block: no fan-out paragraph
