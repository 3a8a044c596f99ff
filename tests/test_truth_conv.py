"""Ground truth of a 1-D convolution (truth_kinds' conv1d row) against central differences, facts and PyTorch.

x is m examples by D input channels by T = 6 positions, W is H = D + 1 output channels by D by U = 3 taps, b has
H entries, and the output m by H by O positions, O = (T + 2 pad - U) // stride + 1. Every adjoint kind_truth
returns (dx, dW, db and dy, the last with y cut into a leaf) is compared to 1e-30 with a central difference at
80 digits of tests/kind_forward.py's forward (which slides the kernel over a zero-padded copy of x, where the
tape leaves a padded term out), for the draws' three geometries (stride, pad) = (1, 1), (2, 1), (2, 0) and three
more: stride 1 without padding (O = T - 2), stride 3, and a padding of U (a window wholly in the padding).
Then the facts (a position in no window gets dx exactly 0, db sums dy, a position in two windows gets both
terms), the refusals of shapes that do not fit, and PyTorch's conv1d where torch is installed.

In 2-D (conv2d: x m by D by 5 rows by 4 columns, W H by D by 3 by 2; maxpool2d and avgpool2d: 6 by 5 in windows
of 3 by 2; the same stride, and a convolution's pad, along both axes): every adjoint against central differences
in three geometries beyond the generic trials' (tests/test_truth_kinds.py), the facts in every geometry (dx at a
position in no window exactly 0; at any other, the sum over the windows that read it: the taps times their dy,
a sixth of their dy, or the dy of the windows whose first largest entry it is; db sums dy; a window wholly in
the padding outputs b), a position in four (six) windows getting every term, a max window's dy routed to one
entry (the first of a tie, as PyTorch), the one-line refusals, and PyTorch's conv2d, max_pool2d and avg_pool2d.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

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
    """Every adjoint kind_truth returns, by central differences of kind_forward's forward (of the input's kind: a
    convolution or a pooling, 1-D or 2-D) with its node moved."""
    base = {"x": inp.x, "W": inp.W, "b": inp.b, "stride": inp.stride, "pad": inp.pad, "window": inp.window,
            "window2": inp.window2}
    values = base | truth

    def f(name):
        return lambda v: layer_inputs.loss(inp, FORWARD[inp.kind]({**base, name: v}, False))
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


# ---------------------------------------------------------------- 2-D: the convolution and both poolings
# x m by D by T rows by T2 columns (a convolution's 5 by 4, a pooling's 6 by 5), a kernel or window of 3 by 2, the
# same stride (and a convolution's pad) along both axes; small batches (m, D <= 3), the dx of a 2-D kind reading
# many windows. The draws' own geometries are tests/test_truth_kinds.py's generic trials; here three more.

POOLS_2D = ("maxpool2d", "avgpool2d")
# (kind, m, D, stride, pad, seed): the convolution at the third seed's (2, 0), stride 3 (rows 3, 4 and columns 2, 3
# in no window) and stride 2 with pad 2 (the first and last columns of windows wholly in the padding); the poolings
# at stride 3 (column 2 in no window)
CASES_2D = [("conv2d", 2, 2, 2, 0, 2), ("conv2d", 2, 2, 3, 0, 5), ("conv2d", 2, 2, 2, 2, 5),
            ("maxpool2d", 2, 3, 3, 0, 2), ("avgpool2d", 3, 2, 3, 0, 2)]
# every geometry the facts and PyTorch see: the draws' own (seeds 0, 1, 2) and CASES_2D's
GEOMETRIES_2D = list(dict.fromkeys(
    [("conv2d", 2, 3, *layer_inputs.geometry(seed, "conv2d"), seed) for seed in range(3)]
    + [(kind, 3, 2, *layer_inputs.geometry(seed, kind), seed) for kind in POOLS_2D for seed in range(3)] + CASES_2D))


def draw2d(kind, m, D, stride, pad, seed):
    inp = layer_inputs.draw(kind, m, D, seed, stride=stride, pad=pad)
    assert (inp.stride, inp.pad) == (stride, pad) and inp.T2 and inp.U2 and inp.O2
    return inp


def covering2d(inp, t: int, t2: int) -> list[tuple]:
    """The ((o, q), (u, v)) pairs, output position and tap (or window entry), that read input position (t, t2)."""
    return [((o, q), (u, v)) for o in range(inp.O) for u in range(inp.U) for q in range(inp.O2) for v in range(inp.U2)
            if (inp.stride * o + u - inp.pad, inp.stride * q + v - inp.pad) == (t, t2)]


def first_largest(channel, inp, o: int, q: int) -> tuple[int, int]:
    """The position of a window's largest entry, the first in row-major (u, v) order of a tie."""
    entries = [(inp.stride * o + u, inp.stride * q + v) for u in range(inp.U) for v in range(inp.U2)]
    return max(entries, key=lambda p: channel[p[0]][p[1]])  # max keeps the first of equals


@pytest.mark.parametrize("kind, m, D, stride, pad, seed", CASES_2D)
def test_every_adjoint_in_2d_agrees_with_central_differences(kind, m, D, stride, pad, seed):
    inp = draw2d(kind, m, D, stride, pad, seed)
    truth = kind_truth(inp)
    want = fd(inp, truth)
    assert set(want) == ({"dx", "dy", "dW", "db"} if kind == "conv2d" else {"dx", "dy"})
    assert worst(truth, want) < TOL
    # the comparison can fail: a true convolution (the kernel turned over along both axes) or the other pooling
    if kind == "conv2d":
        other = dataclasses.replace(inp, W=tuple(tuple(tuple(row[::-1] for row in taps[::-1]) for taps in kernel)
                                                 for kernel in inp.W))
    else:
        other = dataclasses.replace(inp, kind=next(k for k in POOLS_2D if k != kind))
    assert worst(kind_truth(other), {"dx": want["dx"]}) > 1e-6


@pytest.mark.parametrize("kind, m, D, stride, pad, seed", GEOMETRIES_2D)
def test_known_facts_in_2d(kind, m, D, stride, pad, seed):
    inp = draw2d(kind, m, D, stride, pad, seed)
    t = kind_truth(inp)
    conv = kind == "conv2d"
    H = inp.H if conv else D
    T, T2, U, U2, O, O2 = inp.T, inp.T2, inp.U, inp.U2, inp.O, inp.O2
    assert ((T, T2), (U, U2)) == (layer_inputs.CONV2D if conv else layer_inputs.POOL2D)
    assert (O, O2) == ((T + 2 * pad - U) // stride + 1, (T2 + 2 * pad - U2) // stride + 1)
    sizes = {"x": (m, D, T, T2), "dx": (m, D, T, T2), "y": (m, H, O, O2), "dy": (m, H, O, O2)}
    sizes |= {"dW": (H, D, U, U2), "db": (H,)} if conv else {}
    assert set(t) == {"x", *sizes} and t["x"] == inp.x
    assert {name: shape(t[name]) for name in sizes} == sizes
    assert all(type(at(t[name], i)) is mpmath.mpf for name in sizes for i in indices(t[name]))
    outputs, positions = list(itertools.product(range(O), range(O2))), list(itertools.product(range(T), range(T2)))
    reading = {w for p in positions for w, _ in covering2d(inp, *p)}  # the windows that read some x
    assert bool(set(outputs) - reading) == ((kind, stride, pad) == ("conv2d", 2, 2))  # only pad 2 has others
    with mpmath.workdps(60):
        for n, f, (o, q) in itertools.product(range(m), range(H), outputs):
            assert abs(t["dy"][n][f][o][q] - (inp.c[n][f][o][q] + inp.d[n][f][o][q] * t["y"][n][f][o][q])) < 1e-40
        for f in range(H if conv else 0):  # b_f is added to every output position of channel f, in every example
            assert abs(t["db"][f] - mpmath.fsum(t["dy"][n][f][o][q] for n in range(m) for o, q in outputs)) < 1e-40
            for o, q in set(outputs) - reading:  # a window wholly in the padding: its output is the bias, exactly
                assert all(t["y"][n][f][o][q] == inp.b[f] for n in range(m))
        for n, c in itertools.product(range(m), range(D)):
            dx, dy, x = t["dx"][n][c], t["dy"][n][c], inp.x[n][c]  # a pooling's channel c in and out
            for p in positions:
                if not covering2d(inp, *p):  # a position in no window: nothing flows to it, exactly
                    assert dx[p[0]][p[1]] == 0
                elif conv:  # the taps of every window that reads it, times that window's dy
                    want = mpmath.fsum(inp.W[f][c][u][v] * t["dy"][n][f][o][q] for f in range(H)
                                       for (o, q), (u, v) in covering2d(inp, *p))
                    assert abs(dx[p[0]][p[1]] - want) < 1e-40 and dx[p[0]][p[1]] != 0
                elif kind == "avgpool2d":  # 1/(U U2) of every covering window's dy
                    want = mpmath.fsum(dy[o][q] for (o, q), _ in covering2d(inp, *p)) / (U * U2)
                    assert abs(dx[p[0]][p[1]] - want) < 1e-40
                else:  # max: the dy of every window whose (first) largest entry it is, and nothing from the others
                    want = mpmath.fsum(dy[o][q] for (o, q), _ in covering2d(inp, *p)
                                       if first_largest(x, inp, o, q) == p)
                    assert abs(dx[p[0]][p[1]] - want) < 1e-40
            if not conv:  # every window passes all of its dy down, to one entry (max) or spread evenly (mean)
                total = mpmath.fsum(v for row in dx for v in row)
                assert abs(total - mpmath.fsum(v for row in dy for v in row)) < 1e-40
            if kind == "maxpool2d":  # its output is the window's largest entry itself, exactly
                assert all(t["y"][n][c][o][q] == at(x, first_largest(x, inp, o, q)) for o, q in outputs)


def test_a_position_in_no_window_gets_nothing_in_2d():
    # a pooling of 6 by 5 in windows of 3 by 2: stride 2 reads rows 0 .. 4 and columns 0 .. 3 (row 5 and column 4
    # in no window), stride 3 rows 0 .. 5 and columns 0, 1, 3, 4 (column 2 in none); the convolution of 5 by 4
    # with a kernel of 3 by 2 at stride 3, no padding, reads rows 0 .. 2 and columns 0, 1
    unread = {("maxpool2d", 2): ({5}, {4}), ("avgpool2d", 2): ({5}, {4}), ("maxpool2d", 3): (set(), {2}),
              ("avgpool2d", 3): (set(), {2}), ("conv2d", 3): ({3, 4}, {2, 3})}
    for (kind, stride), (rows, cols) in unread.items():
        inp = draw2d(kind, 2, 2, stride, 0, 5)
        t = kind_truth(inp)
        for p in itertools.product(range(inp.T), range(inp.T2)):
            outside = p[0] in rows or p[1] in cols
            assert (not covering2d(inp, *p)) == outside, (kind, stride, p)
            for n, c in itertools.product(range(2), range(2)):
                if outside:
                    assert t["dx"][n][c][p[0]][p[1]] == 0, (kind, stride, p)
                elif kind != "maxpool2d":  # a max pool's entry that is no window's largest gets 0 too
                    assert t["dx"][n][c][p[0]][p[1]] != 0, (kind, stride, p)


def test_a_position_in_several_windows_gets_every_term_in_2d():
    # the convolution at stride 1, pad 1: x's corner (0, 0) is tap (1, 1) of window (0, 0), tap (1, 0) of window
    # (0, 1), tap (0, 1) of window (1, 0) and tap (0, 0) of window (1, 1)
    inp = draw2d("conv2d", 2, 3, 1, 1, 0)
    windows = [((0, 0), (1, 1)), ((0, 1), (1, 0)), ((1, 0), (0, 1)), ((1, 1), (0, 0))]
    assert sorted(covering2d(inp, 0, 0)) == windows
    t = kind_truth(inp)
    W, dy = inp.W, t["dy"]
    with mpmath.workdps(60):
        for n, c in itertools.product(range(2), range(3)):
            terms = [mpmath.fsum(W[f][c][u][v] * dy[n][f][o][q] for f in range(inp.H)) for (o, q), (u, v) in windows]
            got = t["dx"][n][c][0][0]
            assert abs(got - mpmath.fsum(terms)) < 1e-40
            assert min(abs(got - term) for term in terms) > 1e-6  # no one window's term alone
    # the average pool at stride 1: entry (2, 1) is in the 3 by 2 windows (0 .. 2, 0 .. 1), a sixth of each's dy
    inp = draw2d("avgpool2d", 3, 2, 1, 0, 1)
    assert sorted(w for w, _ in covering2d(inp, 2, 1)) == list(itertools.product(range(3), range(2)))
    t = kind_truth(inp)
    with mpmath.workdps(60):
        for n, k in itertools.product(range(3), range(2)):
            want = mpmath.fsum(t["dy"][n][k][o][q] for o in range(3) for q in range(2)) / 6
            assert abs(t["dx"][n][k][2][1] - want) < 1e-40


def test_max_routes_each_window_to_one_entry():
    # stride 3: the windows (rows 0 .. 2 or 3 .. 5, columns 0 .. 1 or 3 .. 4) are apart, so each entry is in at
    # most one: exactly one entry of a window gets its dy, the others exactly 0
    inp = draw2d("maxpool2d", 2, 3, 3, 0, 2)
    t = kind_truth(inp)
    for n, k, o, q in itertools.product(range(2), range(3), range(inp.O), range(inp.O2)):
        entries = [(3 * o + u, 3 * q + v) for u in range(3) for v in range(2)]
        got = [t["dx"][n][k][r][s] for r, s in entries]
        assert sum(g != 0 for g in got) == 1 and t["dy"][n][k][o][q] in got
        assert entries[got.index(t["dy"][n][k][o][q])] == first_largest(inp.x[n][k], inp, o, q)
    # a tie: window (0, 0) of example 0, channel 0 has its largest value at (0, 1) and at (1, 0); the first in
    # row-major (u, v) order, (0, 1), gets all of dy, as PyTorch's max_pool2d does
    tied = tie(inp)
    t = kind_truth(tied)
    assert t["dx"][0][0][0][1] == t["dy"][0][0][0][0] != 0 and t["dx"][0][0][1][0] == 0
    assert t["y"][0][0][0][0] == 5


def tie(inp):
    """``inp`` with a 5 (above every drawn entry) at (0, 1) and (1, 0) of example 0's channel 0."""
    rows = [list(row) for row in inp.x[0][0]]
    rows[0][1] = rows[1][0] = mpmath.mpf(5)
    return dataclasses.replace(inp, x=((tuple(map(tuple, rows)),) + inp.x[0][1:],) + inp.x[1:])


def test_the_2d_kinds_refuse_shapes_that_do_not_fit():
    conv = draw2d("conv2d", 2, 3, 2, 1, 1)  # D = 3 channels of 5 by 4, H = 4 kernels of 3 by 2 taps
    W = conv.W
    pool = draw2d("maxpool2d", 2, 3, 2, 0, 0)  # 6 by 5, windows of 3 by 2
    flat = tuple(tuple(channel[0] for channel in example) for example in pool.x)  # a 1-D x: m by D by T2
    bad = {
        "D = 3 by U by U2 >= 1 taps": dataclasses.replace(conv, W=tuple(kernel[:2] for kernel in W)),
        "U by U2 >= 1 taps, got 4 kernels": dataclasses.replace(
            conv, W=(W[0], (tuple(row[:1] for row in W[1][0]),) + W[1][1:]) + W[2:]),
        "U by U2 >= 1 taps": dataclasses.replace(conv, W=tuple(tuple(taps[0] for taps in kernel) for kernel in W)),
        "H = 4 biases": dataclasses.replace(conv, b=conv.b[:3]),
        "stride must be an integer >= 1, got 0": dataclasses.replace(conv, stride=0),
        "pad must be an integer >= 0, got -1": dataclasses.replace(conv, pad=-1),
        "a kernel of 9 by 2 taps does not fit 5 by 4 positions with pad 0": dataclasses.replace(
            conv, pad=0, W=tuple(tuple(taps * 3 for taps in kernel) for kernel in W)),
        "a convolution reads x of m examples by D channels by T by T2 positions": dataclasses.replace(
            conv, x=tuple(tuple(channel[0] for channel in example) for example in conv.x)),
        "m by D = 3 channels by T = 5 by T2 = 4 positions throughout": dataclasses.replace(
            conv, x=(conv.x[0], ((conv.x[1][0][0][:3],) + conv.x[1][0][1:],) + conv.x[1][1:])),
        "a pooling's stride must be an integer >= 1, got 0": dataclasses.replace(pool, stride=0),
        "a pooling's window must be an integer >= 1, got True": dataclasses.replace(pool, window=True),
        "a pooling's window2 must be an integer >= 1, got 0": dataclasses.replace(pool, window2=0),
        "a pooling window of 3 by 6 does not fit 6 by 5 positions": dataclasses.replace(pool, window2=6),
        "a pooling takes no padding here, got pad=1": dataclasses.replace(pool, pad=1),
        "a pooling reads x of m examples by D channels by T by T2 positions": dataclasses.replace(pool, x=flat),
        # a row fixes its axes: conv1d's reads x of one axis of positions, not two
        "a convolution reads x of m examples by D channels by T positions": dataclasses.replace(conv, kind="conv1d"),
        "a pooling reads x of m examples by D channels by T positions": dataclasses.replace(pool, kind="avgpool1d"),
    }
    for words, broken in bad.items():
        with pytest.raises(DeriveError, match=re.escape(words)) as caught:
            kind_truth(broken)
        assert "\n" not in str(caught.value), words


@pytest.mark.parametrize("kind, m, D, stride, pad, seed", GEOMETRIES_2D)
def test_torch_agrees_in_2d(kind, m, D, stride, pad, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = draw2d(kind, m, D, stride, pad, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    assert set(got) == ({"dx", "dy", "dW", "db"} if kind == "conv2d" else {"dx", "dy"})
    assert worst(got, {n: {i: at(want[n], i) for i in indices(want[n])} for n in got}) < 1e-12
    if kind == "maxpool2d":  # and on a tie, both route dy to the first largest entry
        tied = tie(inp)
        got, want = kind_torch(tied), kind_truth(tied)
        assert worst(got, {"dx": {i: at(want["dx"], i) for i in indices(want["dx"])}}) < 1e-12
