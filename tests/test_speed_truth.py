"""The reverse sweep on mpmath's raw values (truth.Tape.adjoints) against the sweep it replaced: mpf arithmetic,
``adj[j] += g * local`` on mpf and int objects. Both must give the same bits for every node of every tape, and
the truth of a network whose two objectives coincide (one sweep for both) must equal two separate sweeps.
"""

from __future__ import annotations

import mpmath
import pytest

from derive.conventions import PRESETS, from_dict
from derive.problem import Problem
from derive.truth import DPS, Tape, _reverse_entries, probes, record, scales
from derive.verification import draw_network

CASES = [(c, lo, a, h) for c in PRESETS for lo, a, h in
         [("bce", "sigmoid", "sigmoid"), ("cce", "softmax", "tanh"), ("mse", "identity", "relu")]]


def _mpf_sweep(tape: Tape, root) -> list:
    """The sweep as it was: mpf objects, an int 0 where nothing arrived."""
    adj = [0] * len(tape.parents)
    adj[root.i] = 1
    for i in range(root.i, -1, -1):
        g = adj[i]
        if g:
            for j, local in tape.parents[i]:
                adj[j] += g * local
    return adj


def _bits(x):
    return mpmath.mpf(x)._mpf_


@pytest.mark.parametrize("conv,loss,out,hidden", CASES)
def test_raw_sweep_gives_the_bits_of_mpf_arithmetic(conv, loss, out, hidden):
    problem = Problem.make(conv, loss, out, hidden)
    with mpmath.workdps(50):
        net, _ = draw_network(problem, 3, 2)
    with mpmath.workdps(DPS + net.depth + 10):
        r = record(net)
        for root in {id(r.O_delta): r.O_delta, id(r.O_g): r.O_g}.values():
            want, got = _mpf_sweep(r.tape, root), r.tape.adjoints(root)
            assert [_bits(w) for w in want] == [_bits(0 if g is None else mpmath.mp.make_mpf(g)) for g in got]


def test_constants_of_every_type_on_the_tape():
    """Local derivatives that are ints, floats and mpmath constants (pi) are taken exactly, as mpf's * takes them."""
    with mpmath.workdps(60):
        tape = Tape()
        x, y = tape.var(mpmath.mpf("0.3")), tape.var(mpmath.mpf("-1.7"))
        out = (x * 0.1 - y * 3 + mpmath.pi * x) * (x / y) + 2 ** x
        assert [_bits(v) for v in tape.backward(out)] == [_bits(v) for v in _mpf_sweep(tape, out)]


@pytest.mark.parametrize("conv,shared", [("nielsen", True), ("cs231n", True), ("dls", False), ("ng", False)])
def test_one_sweep_for_two_equal_objectives(conv, shared):
    """Where c_delta = c_g and there is no penalty, the one sweep gives the bits a sweep from c_g E of its own
    (the second objective as it was recorded before) gives; elsewhere each objective has its own."""
    problem = Problem.make(conv, "bce", "sigmoid", "tanh")
    with mpmath.workdps(50):
        net, _ = draw_network(problem, 3, 1)
    prs = [pr for pr in probes(net) if pr.kind in ("W", "b")]
    with mpmath.workdps(DPS + net.depth + 10):
        r = record(net)
        assert (r.O_g is r.O_delta) == shared
        (e_index, _), = r.tape.parents[r.O_g.i]  # O = c E: one parent, E
        own = r.tape.var(r.O_g.v, ((e_index, scales(net)[1]),))  # c_g E, a node of its own
        separate = r.tape.adjoints(own)
        nodes = [r.W[pr.p][pr.slot[0]][pr.slot[1]] if pr.kind == "W" else r.b[pr.p][pr.slot[0]] for pr in prs]
        assert [v._mpf_ for v in _reverse_entries(net, prs)] == [separate[n.i] for n in nodes]


def test_a_penalty_keeps_its_own_objective():
    conv = from_dict({"base": "nielsen", "name": "nielsen_l2", "l2": 0.5})
    problem = Problem.make(conv, "mse", "sigmoid", "sigmoid")
    with mpmath.workdps(50):
        net, _ = draw_network(problem, 3, 0)
    with mpmath.workdps(DPS + net.depth + 10):
        r = record(net)
    assert r.O_g is not r.O_delta
