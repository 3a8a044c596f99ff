"""Ground truth of a 1-D convolution (truth_kinds' conv1d row) against central differences, facts and PyTorch.

x is m examples by D input channels by T = 6 positions, W is H = D + 1 output channels by D by U = 3 taps, b has
H entries, and the output m by H by O positions, O = (T + 2 pad - U) // stride + 1. Every adjoint kind_truth
returns (dx, dW, db and dy, the last with y cut into a leaf) is compared to 1e-30 with a central difference at
80 digits of tests/kind_forward.py's forward (which slides the kernel over a zero-padded copy of x, where the
tape leaves a padded term out), for the draws' three geometries (stride, pad) = (1, 1), (2, 1), (2, 0) and three
more: stride 1 without padding (O = T - 2), stride 3, and a padding of U (a window wholly in the padding).
Then the facts (a position in no window gets dx exactly 0, db sums dy, a position in two windows gets both
terms), the refusals of shapes that do not fit, and PyTorch's conv1d where torch is installed.
"""

from __future__ import annotations

import dataclasses
import itertools

import mpmath
import pytest
from kind_forward import FORWARD, at, central, indices, worst

from derive import layer_inputs
from derive.errors import DeriveError
from derive.truth_kinds import kind_truth

TOL = mpmath.mpf("1e-30")
SHAPES = ((2, 3), (3, 2))  # (m, D): H = D + 1 output channels, never D
# (stride, pad, seed): the draws' own geometry of seeds 0, 1, 2, then three given to draw
GEOMETRIES = ((1, 1, 0), (2, 1, 1), (2, 0, 2), (1, 0, 5), (3, 2, 5), (1, 3, 5))
CASES = [(m, D, stride, pad, seed) for (m, D), (stride, pad, seed) in itertools.product(SHAPES, GEOMETRIES)]
ADJOINTS = {"dx", "dW", "db", "dy"}


def draw(m, D, stride, pad, seed):
    inp = layer_inputs.draw("conv1d", m, D, seed, stride=stride, pad=pad)
    assert (inp.stride, inp.pad) == (stride, pad)
    if seed < len(layer_inputs.GEOMETRY):  # the draw's own geometry, as the seed gives it
        assert (stride, pad) == layer_inputs.geometry(seed)
    return inp


def fd(inp, truth) -> dict[str, dict]:
    """Every adjoint kind_truth returns, by central differences of kind_forward's forward with its node moved."""
    base = {"x": inp.x, "W": inp.W, "b": inp.b, "stride": inp.stride, "pad": inp.pad}
    values = base | truth

    def f(name):
        return lambda v: layer_inputs.loss(inp, FORWARD["conv1d"]({**base, name: v}, False))
    names = [n[1:] for n in truth if n.startswith("d")]
    return {"d" + n: {i: central(f(n), values[n], i) for i in indices(values[n])} for n in names}


def covering(inp, t: int) -> list[tuple[int, int]]:
    """The (output position o, tap u) pairs whose window reads input position t: stride o + u - pad = t."""
    return [(o, u) for o in range(inp.O) for u in range(inp.U) if inp.stride * o + u - inp.pad == t]


def shape(values) -> tuple:
    """The sizes of nested tuples, level by level (checking every row at a level has the same size)."""
    if not isinstance(values, tuple):
        return ()
    inner = {shape(v) for v in values}
    assert len(inner) == 1, inner
    return (len(values), *inner.pop())


# ---------------------------------------------------------------- every adjoint against central differences

@pytest.mark.parametrize("m, D, stride, pad, seed", CASES)
def test_every_adjoint_of_the_convolution_agrees_with_central_differences(m, D, stride, pad, seed):
    inp = draw(m, D, stride, pad, seed)
    assert inp.H != inp.D and (inp.T != inp.O or (stride, pad) == (1, 1))  # stride 1, pad 1, U 3 keeps O = T
    truth = kind_truth(inp)
    assert {n for n in truth if n.startswith("d")} == ADJOINTS
    want = fd(inp, truth)
    assert set(want) == ADJOINTS
    assert worst(truth, want) < TOL


@pytest.mark.parametrize("m, D, stride, pad, seed", CASES[:3])
def test_the_check_tells_a_flipped_kernel(m, D, stride, pad, seed):
    # the comparison can fail: a true convolution (the kernel reversed) is not PyTorch's cross-correlation
    inp = draw(m, D, stride, pad, seed)
    want = fd(inp, kind_truth(inp))
    flipped = tuple(tuple(taps[::-1] for taps in kernel) for kernel in inp.W)
    assert worst(kind_truth(dataclasses.replace(inp, W=flipped)), {"dx": want["dx"]}) > 1e-6


# ---------------------------------------------------------------- shapes and facts

@pytest.mark.parametrize("m, D, stride, pad, seed", CASES[:3])
def test_the_shapes_are_nested_a_level_deeper(m, D, stride, pad, seed):
    inp = draw(m, D, stride, pad, seed)
    t = kind_truth(inp)
    assert set(t) == {"x", "y", "dx", "dy", "dW", "db"} and t["x"] == inp.x
    H, T, U, O = inp.H, inp.T, inp.U, inp.O
    assert (T, U, O) == (6, 3, (T + 2 * pad - U) // stride + 1)
    sizes = {"x": (m, D, T), "dx": (m, D, T), "y": (m, H, O), "dy": (m, H, O), "dW": (H, D, U), "db": (H,)}
    assert {name: shape(t[name]) for name in sizes} == sizes
    assert all(type(at(t[name], i)) is mpmath.mpf for name in sizes for i in indices(t[name]))


@pytest.mark.parametrize("m, D, stride, pad, seed", CASES)
def test_known_facts_of_the_convolution(m, D, stride, pad, seed):
    inp = draw(m, D, stride, pad, seed)
    t = kind_truth(inp)
    H, O = inp.H, inp.O
    with mpmath.workdps(60):
        for n, f, o in itertools.product(range(m), range(H), range(O)):
            assert abs(t["dy"][n][f][o] - (inp.c[n][f][o] + inp.d[n][f][o] * t["y"][n][f][o])) < 1e-40
        for f in range(H):  # b_f is added to every output position of channel f, in every example
            assert abs(t["db"][f] - mpmath.fsum(t["dy"][n][f][o] for n in range(m) for o in range(O))) < 1e-40
        for n, c, p in itertools.product(range(m), range(D), range(inp.T)):
            if not covering(inp, p):  # a position in no window: nothing flows to it
                assert t["dx"][n][c][p] == 0
            else:
                assert t["dx"][n][c][p] != 0
        for o in range(O):  # a window wholly in the padding reads no x: its output is the bias, exactly
            if all(not 0 <= stride * o + u - pad < inp.T for u in range(inp.U)):
                assert all(t["y"][n][f][o] == inp.b[f] for n in range(m) for f in range(H))


def test_a_position_in_no_window_gets_nothing():
    # stride 2 without padding: windows read positions 0 .. 2 and 2 .. 4, the last position (5) none
    inp = draw(3, 2, 2, 0, 2)
    assert inp.O == 2 and covering(inp, 5) == [] and all(covering(inp, p) for p in range(5))
    t = kind_truth(inp)
    assert all(t["dx"][n][c][5] == 0 for n in range(3) for c in range(2))
    assert all(t["dx"][n][c][4] != 0 for n in range(3) for c in range(2))


def test_a_position_in_two_windows_gets_both_terms():
    inp = draw(2, 3, 1, 1, 0)  # stride 1, pad 1: position 0 is tap 1 of window 0 and tap 0 of window 1
    assert covering(inp, 0) == [(0, 1), (1, 0)]
    t = kind_truth(inp)
    W, dy = inp.W, t["dy"]
    with mpmath.workdps(60):
        for n, c in itertools.product(range(2), range(3)):
            first = mpmath.fsum(W[f][c][1] * dy[n][f][0] for f in range(inp.H))
            second = mpmath.fsum(W[f][c][0] * dy[n][f][1] for f in range(inp.H))
            assert abs(t["dx"][n][c][0] - (first + second)) < 1e-40
            assert min(abs(t["dx"][n][c][0] - first), abs(t["dx"][n][c][0] - second)) > 1e-6  # neither alone
    # stride 2, pad 1: windows start at -1, 1, 3, so position 1 is tap 2 of window 0 and tap 0 of window 1
    inp = draw(2, 3, 2, 1, 1)
    assert covering(inp, 1) == [(0, 2), (1, 0)]
    t = kind_truth(inp)
    W, dy = inp.W, t["dy"]
    with mpmath.workdps(60):
        for n, c in itertools.product(range(2), range(3)):
            want = mpmath.fsum(W[f][c][2] * dy[n][f][0] + W[f][c][0] * dy[n][f][1] for f in range(inp.H))
            assert abs(t["dx"][n][c][1] - want) < 1e-40


# ---------------------------------------------------------------- refusals

def test_the_convolution_refuses_shapes_that_do_not_fit():
    inp = draw(2, 3, 2, 1, 1)  # D = 3 channels, H = 4 kernels of 3 taps, T = 6
    bad = {
        "D = 3": dataclasses.replace(inp, W=tuple(kernel[:2] for kernel in inp.W)),         # 2 input channels
        "U >= 1 taps": dataclasses.replace(inp, W=(inp.W[0], tuple(t[:2] for t in inp.W[1])) + inp.W[2:]),
        "H = 4 biases": dataclasses.replace(inp, b=inp.b[:3]),
        "stride must be an integer >= 1": dataclasses.replace(inp, stride=0),
        "stride must be an integer >= 1, got True": dataclasses.replace(inp, stride=True),
        "pad must be an integer >= 0": dataclasses.replace(inp, pad=-1),
        "does not fit": dataclasses.replace(inp, pad=0, W=tuple(tuple(t * 3 for t in kernel) for kernel in inp.W)),
        "m examples by D channels by T positions": dataclasses.replace(inp, x=tuple(example[0] for example in inp.x)),
        "throughout": dataclasses.replace(inp, x=(inp.x[0], (inp.x[1][0][:5],) + inp.x[1][1:])),
    }
    for words, broken in bad.items():
        with pytest.raises(DeriveError, match=words) as caught:
            kind_truth(broken)
        assert "\n" not in str(caught.value), words


# ---------------------------------------------------------------- PyTorch, the second opinion

@pytest.mark.parametrize("m, D, stride, pad, seed", CASES)
def test_torch_agrees_on_the_convolution(m, D, stride, pad, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = draw(m, D, stride, pad, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    assert set(got) == ADJOINTS
    assert worst(got, {n: {i: at(want[n], i) for i in indices(want[n])} for n in got}) < 1e-12
