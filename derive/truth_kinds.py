"""Ground truth for layer kinds, on their own (``kind_truth``) and inside a network (``network_truth``).

Each kind's forward pass is written again here from its definition, ONCE, as a function on ``truth``'s scalar
tape (+ - x /, sqrt, exp, log, the dot product, and each elementwise activation compiled from the registry's
definition f alone), in ``KIND_TRUTH``, one row per kind; a single layer and a network call the same row:

    batchnorm  mu_k = (1/m) sum_n x_nk,  var_k = (1/m) sum_n (x_nk - mu_k)^2     (1/(m-1) when unbiased)
    layernorm  mu_n = (1/D) sum_k x_nk,  var_n = (1/D) sum_k (x_nk - mu_n)^2     (1/(D-1) when unbiased)
    both       xhat = (x - mu) / sqrt(var + eps),  y_nk = gamma_k xhat_nk + beta_k
    dropout    y = mask x / keep
    dense      y_nj = sum_k x_nk W_kj + b_j        projection  y_nj = sum_k x_nk W_kj      add  y = x + skip
    softmax    e = exp(x), s_n = sum_k e_nk, y = e / s      logsoftmax  e, s as softmax, y_nk = x_nk - log s_n
    relu, tanh, ... (every elementwise activation)   y = f(x), entry by entry, whatever x's shape (so also relu1d,
               relu2d, temporal_relu ...: an activation over a signal, an image, a sequence inside a network)
    dense1d, dense2d  y_nj = b_j + sum over each entry e of example n (its channels by positions, or by rows by
               columns, row-major) of W[e]_j x_ne      temporal_dense  y_ntj = sum_k x_ntk W_kj + b_j at every step t
    attention  S_nj = sum_k x_nk K_jk / sqrt(D),  e = exp(S) (masked: e = mask exp(S)),  s_n = sum_j e_nj,
               P = e / s,  y_nk = sum_j P_nj V_jk       (queries x: m by D; keys K, values V: H by D; no max shift)
    embedding  y_nk = W[tokens_n]_k   (a lookup: each y entry a node of its own reading one entry of the H by D
               table W, so the sweep adds up dW over the tokens that repeat; the token ids are given, x is not read)
    conv1d     y_nfo = b_f + sum_c sum_u W_fcu x_nc(s o + u - p)   (x: m by D channels by T; W: H by D by U; stride
               s, zero padding p, so O = (T + 2p - U) // s + 1; a padded position's term is left out, not times 0)
    maxpool1d  y_nko = the largest of x_nk(s o + u), u = 0 .. U - 1 (a node of derivative 1 from that entry, the
               first of a tie)      avgpool1d  y_nko = (1/U) sum_u x_nk(s o + u)      (no padding: O = (T - U) // s + 1)
    conv2d     y_nfoq = b_f + sum_c sum_u sum_v W_fcuv x_nc(s o + u - p)(s q + v - p)   (x: m by D by T rows by T2
               columns; W: H by D by U by U2; the same s and p along both axes, O = (T + 2p - U) // s + 1 rows,
               O2 = (T2 + 2p - U2) // s + 1 columns; a padded position's term left out)
    maxpool2d  y_nkoq = the largest of x_nk(s o + u)(s q + v), u < U, v < U2 (the first of a tie in row-major
               (u, v) order)        avgpool2d  y_nkoq = (1/(U U2)) sum_u sum_v x_nk(s o + u)(s q + v)   (no padding)
    lstm_concat  deeplearning.ai's: concat = [a_(t-1); x_t] (a0 first), f, u, o = sigmoid(W_g concat + b_g), cc =
               tanh(W_c concat + b_c), c_t = f c_(t-1) + u cc (c_0 = 0), a_t = o tanh(c_t); the examples as columns

then one backward sweep from the loss (``layer_inputs.loss``, or ``architectures.loss`` of the last step's
output) gives every adjoint. Reverse mode gives an interior node the derivative of the loss by that node cut
into a leaf, everything before it held fixed and everything after it recomputed: dxhat with xhat a leaf, dvar
with var a leaf that feeds xhat (mu fixed), dmu with mu a leaf that feeds var and xhat, which are the meanings
of Ioffe & Szegedy's (2015, section 3) chain-rule equations; de, ds of softmax likewise, and attention's dS,
de, ds, dP (de with s and P recomputed from e, ds with e held); dx, dgamma, dW, dK, dV ... are total
derivatives. In a network every step reads its own copy (a node of derivative 1) of each step it reads, so its
"dx" ("dskip") is the loss's derivative through that step alone, while the "dy" of a step read by several steps
is the total (the sum of its readers' copies: fan-out).

Why it is trustworthy: it shares nothing with the engine (``derive.layers``' local derivatives, the generic
reverse pass) nor with any published backward formula: no backward formula is written here, only scalar rules
on a tape. It has no truncation error; the only error is rounding at DPS = 50 digits for one layer, and
DPS + steps + 10 for a network (u = 10^-digits): an adjoint of N operations per path (N about 2n + 10 for a
normalisation, n the statistic's sample size, about 2D + 2H + 10 for attention, D features and H keys, plus
about that per step after it; about D U per output entry for a convolution, D input channels by U taps, D U U2
in 2-D, whose dx at a position is a sum over the windows covering it and dW, db sums over the examples and the
O (O O2) output positions; U, or U U2, for a pooling) with cancellation kappa among the paths is off by at most
about N u kappa relative, below 1e-40 for kappa < 1e8 (batch norm's dx is such a cancellation: its column sums
are exactly 0; so is attention's dS, whose rows sum to 0; a masked entry's dS is exactly 0, its local
derivative being 0; the embedding's dW is a sum of a word's rows of dy, N about the word's repeats; a
convolution's or a pooling's dx at a position in no window is exactly 0, and a max pool's at an entry that is
no window's largest).
tests/test_truth_kinds.py and tests/test_truth_network.py check every returned adjoint, the intermediate ones
with their cut node perturbed, to 1e-30 against central differences at 80 digits of a forward written again in
the test, and against PyTorch autograd in float64 where torch is installed.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath

from .activations import ACTIVATIONS
from .architectures import NetworkInput
from .architectures import loss as network_loss
from .errors import DeriveError
from .layer_inputs import LayerInput, loss
from .truth import PRIMITIVES, Tape, Var, _dot, _sum, _tape_elementwise

DPS = 50  # working digits of one layer's forward pass and backward sweep; a network adds a digit per step
_sqrt = PRIMITIVES["sqrt"]  # d/dx sqrt x = 1 / (2 sqrt x)
_exp = PRIMITIVES["exp"]    # d/dx e^x = e^x
_log = PRIMITIVES["log"]    # d/dx ln x = 1/x


def network_dps(steps: int) -> int:
    """The working digits of a network of ``steps`` steps (as ``truth``: one more digit per layer)."""
    return DPS + steps + 10


def _values(rows) -> tuple:
    """A matrix (or vector) of tape nodes as tuples of their values."""
    return tuple(_values(r) if isinstance(r, list | tuple) else (r.v if isinstance(r, Var) else r) for r in rows)


def _adjoints(adj: list, rows) -> tuple:
    """The adjoints of a matrix (or vector) of tape nodes, in its shape; mpf zero where nothing flowed."""
    return tuple(_adjoints(adj, r) if isinstance(r, list | tuple) else mpmath.mpf(adj[r.i]) for r in rows)


def _leaves(tape: Tape, values) -> list:
    """A matrix (or vector) of numbers as new leaves of the tape, in its shape."""
    return [_leaves(tape, v) if isinstance(v, list | tuple) else tape.var(v) for v in values]


def _copy(tape: Tape, nodes) -> list:
    """Each node of a matrix (or vector) passed through a node of its own (derivative 1; a constant stays one):
    what a step reads, so that the step's adjoint of it is its own share, and a step's output, so that its
    adjoint is the loss's by that output whatever node the forward function returned (identity's x itself)."""
    return [_copy(tape, v) if isinstance(v, list | tuple) else
            tape.var(v.v, ((v.i, 1),)) if isinstance(v, Var) else tape.var(v) for v in nodes]


# ---------------------------------------------------------------- each kind's forward, once, on the tape
# forward(given, params, unbiased) -> name -> nodes: ``given`` holds what the step reads ("x", and "skip" for
# add), ``params`` its parameters (tape leaves for the learned ones, numbers for the others); "y" is the output.

def _normalisation(kind: str, axis: int):
    """Batch norm (statistics over the examples, axis 0) or layer norm (over the features, axis 1)."""
    def forward(given: dict, params: dict, unbiased: bool) -> dict:
        x, gamma, beta = given["x"], params["gamma"], params["beta"]
        m, D = len(x), len(x[0])
        n = (m, D)[axis]                                  # sample size of one statistic
        if unbiased and n < 2:
            raise DeriveError(f"the n - 1 variance of {kind} needs n >= 2 entries per statistic, got {n}")
        divisor = mpmath.mpf(n - 1 if unbiased else n)
        stat = (lambda r, k: k) if axis == 0 else (lambda r, k: r)  # entry (r, k) is normalised by statistic g
        members = [[(r, k) for r in range(m) for k in range(D) if stat(r, k) == g] for g in range((D, m)[axis])]
        mu = [_sum([x[r][k] for r, k in group]) / mpmath.mpf(n) for group in members]
        centred = [[x[r][k] - mu[stat(r, k)] for k in range(D)] for r in range(m)]
        var = [_sum([centred[r][k] * centred[r][k] for r, k in group]) / divisor for group in members]
        std = [_sqrt(v + params["epsilon"]) for v in var]
        xhat = [[centred[r][k] / std[stat(r, k)] for k in range(D)] for r in range(m)]
        y = [[gamma[k] * xhat[r][k] + beta[k] for k in range(D)] for r in range(m)]
        return {"mu": mu, "var": var, "xhat": xhat, "y": y}
    return forward


def _dropout(given: dict, params: dict, unbiased: bool) -> dict:
    """Inverted dropout with the given mask: y = mask x / keep."""
    return {"y": [[xi * keep / params["p"] for xi, keep in zip(xr, mr)] for xr, mr in zip(given["x"], params["mask"])]}


def _affine(given: dict, params: dict, unbiased: bool) -> dict:
    """y_nj = sum_k x_nk W_kj (+ b_j): W has a row per input feature, a column per output."""
    x, W, b = given["x"], params["W"], params.get("b")
    columns = [[row[j] for row in W] for j in range(len(W[0]))]
    return {"y": [[_dot(col, xr, 0 if b is None else b[j]) for j, col in enumerate(columns)] for xr in x]}


def _exps(x) -> tuple[list, list]:
    e = [[_exp(v) for v in row] for row in x]
    return e, [_sum(row) for row in e]


def _softmax(given: dict, params: dict, unbiased: bool) -> dict:
    """y_nk = e_nk / s_n, e = exp(x), s_n = sum_k e_nk: over the features of each example."""
    e, s = _exps(given["x"])
    return {"e": e, "s": s, "y": [[v / s[n] for v in row] for n, row in enumerate(e)]}


def _logsoftmax(given: dict, params: dict, unbiased: bool) -> dict:
    """y_nk = x_nk - log s_n, e = exp(x), s_n = sum_k e_nk."""
    x = given["x"]
    e, s = _exps(x)
    logs = [_log(v) for v in s]
    return {"e": e, "s": s, "y": [[v - logs[n] for v in row] for n, row in enumerate(x)]}


def _attention(masked: bool):
    """Scaled dot-product attention of the queries x (m by D) over the keys K and values V (H by D each):
    S = x Kᵀ / sqrt(D), e = exp(S) (times the 0/1 mask when ``masked``), s_n = sum_j e_nj, P = e / s, y = P V."""
    def forward(given: dict, params: dict, unbiased: bool) -> dict:
        x, K, V = given["x"], params["K"], params["V"]
        H, D = len(K), len(x[0])
        if len(K[0]) != D or len(V) != H:
            raise DeriveError(f"attention needs K and V of H rows and D = {D} columns, got K {H} by {len(K[0])}, "
                              f"V {len(V)} rows")
        root = mpmath.sqrt(D)
        S = [[_dot(xr, K[j], 0) / root for j in range(H)] for xr in x]
        if masked:
            mask = params["mask"]
            if len(mask) != len(x) or any(len(row) != H for row in mask):
                raise DeriveError(f"masked attention needs an m by H = {len(x)} by {H} mask")
            e = [[mask[n][j] * _exp(v) for j, v in enumerate(row)] for n, row in enumerate(S)]
        else:
            e = [[_exp(v) for v in row] for row in S]
        s = [_sum(row) for row in e]
        P = [[v / s[n] for v in row] for n, row in enumerate(e)]
        y = [[_dot(P[n], [V[j][k] for j in range(H)], 0) for k in range(len(V[0]))] for n in range(len(x))]
        return {"K": K, "V": V, "S": S, "e": e, "s": s, "P": P, "y": y}
    return forward


def _embedding(given: dict, params: dict, unbiased: bool) -> dict:
    """The lookup y_nk = W[tokens_n]_k of each token id in the table W (H words by D features): y's entry a node
    of its own (W's entry times 1), so a word looked up several times passes the sum of its rows of dy to W."""
    W, tokens = params["W"], params["tokens"]
    H = len(W)
    if not tokens or H == 0:
        raise DeriveError(f"an embedding needs m >= 1 tokens and H >= 1 words, got {len(tokens)} tokens, {H} words")
    for n, t in enumerate(tokens):
        if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < H:
            raise DeriveError(f"embedding token {t!r} (position {n}) is not a word id in 0 .. {H - 1}")
    return {"W": W, "y": [[entry * 1 for entry in W[t]] for t in tokens]}


def _levels(values) -> tuple[int, ...]:
    """The sizes of nested lists (or tuples) along their first entries: (m, D, T, T2) for a 2-D x."""
    sizes = []
    while isinstance(values, list | tuple) and values:
        sizes.append(len(values))
        values = values[0]
    return tuple(sizes)


def _regular(values, sizes: tuple[int, ...]) -> bool:
    """Whether nested lists (or tuples) have ``sizes`` throughout, with numbers (or tape nodes) below."""
    if not sizes:
        return not isinstance(values, list | tuple)
    return (isinstance(values, list | tuple) and len(values) == sizes[0]
            and all(_regular(v, sizes[1:]) for v in values))


def _at(values, index: tuple[int, ...]):
    for i in index:
        values = values[i]
    return values


def _nest(sizes: tuple[int, ...], entry: Callable, index: tuple[int, ...] = ()) -> list:
    """Nested lists of ``sizes`` with ``entry(index)`` at each index, in row-major order."""
    if len(sizes) == 1:
        return [entry((*index, i)) for i in range(sizes[0])]
    return [_nest(sizes[1:], entry, (*index, i)) for i in range(sizes[0])]


def _by(sizes) -> str:
    return " by ".join(map(str, sizes))


def _grid(x, axes: int, what: str) -> tuple[int, ...]:
    """x's sizes (m, D, T) or (m, D, T, T2), refused unless x is m examples by D channels by ``axes`` levels of
    positions throughout."""
    sizes, letters = _levels(x), ("T", "T2")[:axes]
    if len(sizes) != 2 + axes:
        raise DeriveError(f"{what} reads x of m examples by D channels by {_by(letters)} positions")
    if not _regular(x, sizes):
        positions = _by(f"{t} = {n}" for t, n in zip(letters, sizes[2:]))
        raise DeriveError(f"{what}'s x must be m by D = {sizes[1]} channels by {positions} positions throughout")
    return sizes


def _convolution(axes: int):
    """Cross-correlation of x (m by D channels by T positions, or T rows by T2 columns) with W (H by D by U, or
    U by U2) plus b (H), stride s and zero padding p along every axis: y_nfo = b_f + sum_c sum_u W_fcu
    x_nc(s o + u - p) (o, u and the position tuples in 2-D), one dot-product node per output entry, its terms
    in the order c, then u row-major; a position outside x is a pad, its term left out (no node, no edge)."""
    def forward(given: dict, params: dict, unbiased: bool) -> dict:
        x, W, b, stride, pad = given["x"], params["W"], params["b"], params["stride"], params["pad"]
        _, D, *T = _grid(x, axes, "a convolution")
        H, *rest = _levels(W) or (0,)
        if len(rest) != 1 + axes or rest[0] != D or not _regular(W, (H, *rest)):
            taps = _by(("U", "U2")[:axes])
            raise DeriveError(f"a convolution needs W of H >= 1 by D = {D} by {taps} >= 1 taps, got {len(W)} kernels")
        U = rest[1:]
        if len(b) != H:
            raise DeriveError(f"a convolution needs b of H = {H} biases, got {len(b)}")
        for name, value, low in (("stride", stride, 1), ("pad", pad, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise DeriveError(f"a convolution's {name} must be an integer >= {low}, got {value!r}")
        O = tuple((t + 2 * pad - u) // stride + 1 for t, u in zip(T, U))  # noqa: E741
        if min(O) < 1:
            raise DeriveError(f"a kernel of {_by(U)} taps does not fit {_by(T)} positions with pad {pad}")
        offsets = list(itertools.product(*map(range, U)))  # (u,) or (u, v), row-major

        def entry(xn, f: int, o: tuple[int, ...]):
            reads = [(c, u, tuple(stride * oa + ua - pad for oa, ua in zip(o, u))) for c in range(D) for u in offsets]
            inside = [(c, u, t) for c, u, t in reads if all(0 <= ta < Ta for ta, Ta in zip(t, T))]
            return _dot([_at(W[f][c], u) for c, u, _ in inside], [_at(xn[c], t) for c, _, t in inside], b[f])
        return {"y": [[_nest(O, functools.partial(entry, xn, f)) for f in range(H)] for xn in x]}
    return forward


def _pooling(largest: bool, axes: int):
    """Max pooling (``largest``) or average pooling of x (m by D channels by T positions, or T rows by T2
    columns) over windows of U (by U2) positions every s along every axis, per channel, no padding: the window's
    largest entry passed on by a node of derivative 1 (the first of a tie in row-major order), or its sum divided
    by its U (U U2) entries."""
    def forward(given: dict, params: dict, unbiased: bool) -> dict:
        x, stride = given["x"], params["stride"]
        names = ("window", "window2")[:axes]
        _, _, *T = _grid(x, axes, "a pooling")
        for name, value in (("stride", stride), *((name, params.get(name)) for name in names)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DeriveError(f"a pooling's {name} must be an integer >= 1, got {value!r}")
        if params.get("pad", 0):
            raise DeriveError(f"a pooling takes no padding here, got pad={params['pad']!r}")
        U = tuple(params[name] for name in names)
        if any(u > t for u, t in zip(U, T)):
            raise DeriveError(f"a pooling window of {_by(U)} does not fit {_by(T)} positions")
        O = tuple((t - u) // stride + 1 for t, u in zip(T, U))  # noqa: E741
        size, offsets = mpmath.mpf(math.prod(U)), list(itertools.product(*map(range, U)))

        def pooled(channel, o: tuple[int, ...]):
            window = [_at(channel, tuple(stride * oa + ua for oa, ua in zip(o, u))) for u in offsets]
            if largest:
                return max(window, key=lambda v: v.v if isinstance(v, Var) else v) * 1
            return _sum(window) / size
        return {"y": [[_nest(O, functools.partial(pooled, channel)) for channel in example] for example in x]}
    return forward


def _unrolled(given: dict, params: dict, gates: int, step) -> dict:
    """A recurrent layer over x (m by T steps by D) from h0 (m by H), its weights Wx (D by gates H) and Wh (H by gates
    H) checked; ``step(inputs, state)`` gives (the next state, the step's quantities by name, "h" among them) for
    one example, its state first (h0's row, None). Each quantity comes back m by T by its width; "y" is every h."""
    x, Wx, Wh, h0 = given["x"], params["Wx"], params["Wh"], params["h0"]
    if not x or any(not isinstance(inputs, list | tuple) for example in x for inputs in example):
        raise DeriveError("a recurrent layer reads x of m examples by T steps by D features")
    D, H = len(x[0][0]), len(h0[0]) if h0 else 0
    G = gates * H
    if len(Wx) != D or any(len(row) != G for row in Wx) or len(Wh) != H or any(len(row) != G for row in Wh):
        raise DeriveError(f"a recurrent layer needs Wx of D = {D} by {gates}H = {G} and Wh of H = {H} by {G}")
    if len(h0) != len(x) or any(len(row) != H for row in h0):
        raise DeriveError(f"a recurrent layer needs h0 of m = {len(x)} by H = {H}")
    out: dict = {}
    for example, start in zip(x, h0):
        state, rows = (list(start), None), dict[str, list]()
        for inputs in example:
            state, quantities = step(list(inputs), state)
            for name, row in quantities.items():
                rows.setdefault(name, []).append(row)
        for name, steps in rows.items():
            out.setdefault(name, []).append(steps)
    return {**out, "y": out["h"]}


def _affine_step(Wx, Wh, b, inputs: list, before: list) -> list:
    """x_t Wx + h_(t-1) Wh + b, each entry one dot-product node."""
    D, H = len(Wx), len(before)
    return [_dot([Wx[k][q] for k in range(D)] + [Wh[i][q] for i in range(H)], inputs + before, b[q])
            for q in range(len(b))]


def _rnn(given: dict, params: dict, unbiased: bool) -> dict:
    """A vanilla recurrent layer: a_t = x_t Wx + h_(t-1) Wh + b, h_t = tanh(a_t), from the initial state h0, tanh
    compiled from the registry's definition; the output is every state."""
    Wx, Wh, b, tanh = params["Wx"], params["Wh"], params["b"], _tape_elementwise(ACTIVATIONS["tanh"])
    if len(b) != len(Wh):
        raise DeriveError(f"a recurrent layer needs b of H = {len(Wh)}, got {len(b)}")

    def step(inputs, state):
        a = _affine_step(Wx, Wh, b, inputs, state[0])
        h = [tanh(v) for v in a]
        return (h, None), {"a": a, "h": h}
    return _unrolled(given, params, 1, step)


def _lstm(given: dict, params: dict, unbiased: bool) -> dict:
    """An LSTM in CS231n's form: a_t = x_t Wx + h_(t-1) Wh + b (4H), i, f, o = sigmoid of its first three quarters,
    g = tanh of the last, c_t = f c_(t-1) + i g (the cell state starts at 0: at step 1 c = i g), h_t = o tanh(c_t),
    from h0; every state is the output."""
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    H = len(Wh)
    if len(b) != 4 * H:
        raise DeriveError(f"an LSTM needs b of 4H = {4 * H}, got {len(b)}")
    sigmoid, tanh = _tape_elementwise(ACTIVATIONS["sigmoid"]), _tape_elementwise(ACTIVATIONS["tanh"])

    def step(inputs, state):
        before, cell = state
        a = _affine_step(Wx, Wh, b, inputs, before)
        ig, fg = [sigmoid(v) for v in a[:H]], [sigmoid(v) for v in a[H:2 * H]]
        og, gg = [sigmoid(v) for v in a[2 * H:3 * H]], [tanh(v) for v in a[3 * H:]]
        cell = [ig[j] * gg[j] if cell is None else fg[j] * cell[j] + ig[j] * gg[j] for j in range(H)]
        h = [og[j] * tanh(cell[j]) for j in range(H)]
        return (h, cell), {"a": a, "ig": ig, "fg": fg, "og": og, "gg": gg, "c": cell, "h": h}
    return _unrolled(given, params, 4, step)


def _gru(given: dict, params: dict, unbiased: bool) -> dict:
    """A GRU as torch.nn.GRU computes it: ax = x_t Wx + bx and ah = h_(t-1) Wh + bh (3H each, dot-product nodes),
    r = sigmoid(ax + ah) and z = sigmoid of the first two thirds, n = tanh(ax + r ah) of the last,
    h_t = (1 - z) n + z h_(t-1), from h0; every state is the output."""
    Wx, Wh, bx, bh = params["Wx"], params["Wh"], params["bx"], params["bh"]
    H = len(Wh)
    if len(bx) != 3 * H or len(bh) != 3 * H:
        raise DeriveError(f"a GRU needs two biases of 3H = {3 * H}, got {len(bx)} and {len(bh)}")
    sigmoid, tanh = _tape_elementwise(ACTIVATIONS["sigmoid"]), _tape_elementwise(ACTIVATIONS["tanh"])

    def step(inputs, state):
        before = state[0]
        ax = [_dot([row[q] for row in Wx], inputs, bx[q]) for q in range(3 * H)]
        ah = [_dot([row[q] for row in Wh], before, bh[q]) for q in range(3 * H)]
        r = [sigmoid(ax[j] + ah[j]) for j in range(H)]
        z = [sigmoid(ax[H + j] + ah[H + j]) for j in range(H)]
        new = [tanh(ax[2 * H + j] + r[j] * ah[2 * H + j]) for j in range(H)]
        h = [(1 - z[j]) * new[j] + z[j] * before[j] for j in range(H)]
        return (h, None), {"ax": ax, "ah": ah, "rg": r, "zg": z, "ng": new, "h": h}
    return _unrolled(given, params, 3, step)


def _lstm_concat(given: dict, params: dict, unbiased: bool) -> dict:
    """deeplearning.ai's LSTM (course 5, lstm_cell_forward and lstm_forward), the examples as columns: x is D by m
    by T, a0 H by m; at step t, concat = [a_(t-1); x_t] (H + D rows, a0 before step 1), each gate its own W (H by
    H + D) and b: f = sigmoid(W_f concat + b_f), u = sigmoid(W_u ..), cc = tanh(W_c ..), o = sigmoid(W_o ..), c_t =
    f c_(t-1) + u cc (the cell state starts at 0: at step 1 c = u cc), a_t = o tanh(c_t); every state is the output.
    Each quantity comes back rows by m by T; concat's entries are nodes of their own (its adjoint is the step's)."""
    x, a0 = given["x"], params["a0"]
    D, m, H = len(x), len(a0[0]) if a0 else 0, len(a0)
    if not x or any(len(row) != m or any(len(steps) != len(x[0][0]) for steps in row) for row in x):
        raise DeriveError(f"this LSTM reads x of D features by m = {m} examples by T steps, the examples as columns")
    for g in "fuco":
        W, b = params["W" + g], params["b" + g]
        if len(W) != H or any(len(row) != H + D for row in W) or len(b) != H:
            raise DeriveError(f"this LSTM needs W_{g} of H = {H} by H + D = {H + D} and b_{g} of H")
    sigmoid, tanh = _tape_elementwise(ACTIVATIONS["sigmoid"]), _tape_elementwise(ACTIVATIONS["tanh"])
    act = {"f": sigmoid, "u": sigmoid, "c": tanh, "o": sigmoid}
    names = {"f": "gf", "u": "gu", "c": "cc", "o": "go"}
    columns: dict = {}  # name -> example -> step -> the column's entries
    for n in range(m):
        before, cell = [a0[j][n] for j in range(H)], None
        for t in range(len(x[0][0])):
            concat = [v * 1 for v in before + [x[k][n][t] for k in range(D)]]
            step = {"concat": concat}
            for g in "fuco":
                W, b = params["W" + g], params["b" + g]
                step["z" + g] = [_dot(W[j], concat, b[j]) for j in range(H)]
                step[names[g]] = [act[g](v) for v in step["z" + g]]
            f, u, cc, o = (step[names[g]] for g in "fuco")
            cell = [u[j] * cc[j] if cell is None else f[j] * cell[j] + u[j] * cc[j] for j in range(H)]
            before = [o[j] * tanh(cell[j]) for j in range(H)]
            step |= {"c": cell, "a": before}
            for name, column in step.items():
                columns.setdefault(name, []).append(column)
    T = len(x[0][0])
    out = {name: [[[steps[n * T + t][r] for t in range(T)] for n in range(m)] for r in range(len(steps[0]))]
           for name, steps in columns.items()}
    return {**out, "y": out["a"]}


def _add(given: dict, params: dict, unbiased: bool) -> dict:
    """The join of a residual block: y = x + skip."""
    return {"y": [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(given["x"], given["skip"])]}


def _entrywise(f, values):
    """f of every entry of nested lists (or tuples), in their shape."""
    return [_entrywise(f, v) if isinstance(v, list | tuple) else f(v) for v in values]


def _elementwise(name: str):
    """y = f(x) for an activation of the registry, f compiled to the tape from its definition alone, on every
    entry of x whatever its shape (a batch of features, a signal's channels by positions, a sequence ...)."""
    def forward(given: dict, params: dict, unbiased: bool) -> dict:
        f = _tape_elementwise(ACTIVATIONS[name])
        return {"y": _entrywise(f, given["x"])}
    return forward


def _flat(values) -> list:
    """The entries of nested lists (or tuples), in row-major order."""
    return [e for v in values for e in _flat(v)] if isinstance(values, list | tuple) else [values]


def _dense_over_entries(given: dict, params: dict, unbiased: bool) -> dict:
    """A dense layer reading every entry of each example (a signal's channels by positions, an image's channels by
    rows by columns): y_nj = b_j + sum over the entries e of example n of W[e]_j x_ne, W one level deeper than
    x's example (e.g. C by T by H), one dot-product node per output."""
    x, W, b = given["x"], params["W"], params["b"]
    weights = _flat_rows(W)  # a row of H outputs per entry of an example, in the same row-major order
    if not x or len(_flat(x[0])) != len(weights) or any(len(w) != len(b) for w in weights):
        raise DeriveError(f"a dense layer over {len(_flat(x[0])) if x else 0} entries per example needs W of as "
                          f"many rows of H = {len(b)}")
    return {"y": [[_dot([w[j] for w in weights], _flat(example), b[j]) for j in range(len(b))] for example in x]}


def _flat_rows(W) -> list:
    """W's rows of outputs (its last axis) in row-major order of its other axes."""
    if not isinstance(W[0][0], list | tuple):
        return list(W)
    return [row for part in W for row in _flat_rows(part)]


def _temporal_dense(given: dict, params: dict, unbiased: bool) -> dict:
    """The dense layer at every time step of a sequence (m by T by D): y_ntj = sum_k x_ntk W_kj + b_j, one W."""
    return {"y": [_affine({"x": example}, params, unbiased)["y"] for example in given["x"]]}


@dataclass(frozen=True)
class KindTruth:
    """A kind's forward on the tape, the names of what it reads (none for the embedding: its token ids are a
    parameter, given), and the parameters that get an adjoint."""

    forward: Callable[[dict, dict, bool], dict]
    learned: tuple[str, ...] = ()
    reads: tuple[str, ...] = ("x",)


KIND_TRUTH: dict[str, KindTruth] = {
    "batchnorm": KindTruth(_normalisation("batchnorm", axis=0), ("gamma", "beta")),
    "layernorm": KindTruth(_normalisation("layernorm", axis=1), ("gamma", "beta")),
    "dropout": KindTruth(_dropout),
    "dense": KindTruth(_affine, ("W", "b")),
    "projection": KindTruth(_affine, ("W",)),
    "softmax": KindTruth(_softmax),
    "logsoftmax": KindTruth(_logsoftmax),
    "add": KindTruth(_add, reads=("x", "skip")),
    **{name: KindTruth(_elementwise(name)) for name, a in ACTIVATIONS.items() if a.elementwise},
    # inside an architecture: each activation over a signal, an image, a sequence (the same rule, any shape), the
    # dense layer reading a signal's or image's every entry, and at every step of a sequence
    **{f"{name}{suffix}": KindTruth(_elementwise(name)) for name, a in ACTIVATIONS.items() if a.elementwise
       for suffix in ("1d", "2d")},
    **{f"temporal_{name}": KindTruth(_elementwise(name)) for name, a in ACTIVATIONS.items() if a.elementwise},
    "dense1d": KindTruth(_dense_over_entries, ("W", "b")),
    "dense2d": KindTruth(_dense_over_entries, ("W", "b")),
    "temporal_dense": KindTruth(_temporal_dense, ("W", "b")),
    "attention": KindTruth(_attention(masked=False), ("K", "V")),
    "masked_attention": KindTruth(_attention(masked=True), ("K", "V")),
    "embedding": KindTruth(_embedding, ("W",), reads=()),
    "conv1d": KindTruth(_convolution(axes=1), ("W", "b")),
    "maxpool1d": KindTruth(_pooling(largest=True, axes=1)),
    "avgpool1d": KindTruth(_pooling(largest=False, axes=1)),
    "conv2d": KindTruth(_convolution(axes=2), ("W", "b")),
    "maxpool2d": KindTruth(_pooling(largest=True, axes=2)),
    "avgpool2d": KindTruth(_pooling(largest=False, axes=2)),
    "rnn": KindTruth(_rnn, ("Wx", "Wh", "b", "h0")),
    "lstm": KindTruth(_lstm, ("Wx", "Wh", "b", "h0")),
    "gru": KindTruth(_gru, ("Wx", "Wh", "bx", "bh", "h0")),
    "lstm_concat": KindTruth(_lstm_concat, ("a0", "Wf", "Wu", "Wc", "Wo", "bf", "bu", "bc", "bo")),
}


def _row(kind: str) -> KindTruth:
    rule = KIND_TRUTH.get(kind)
    if rule is None:
        raise DeriveError(f"no ground truth for layer kind {kind!r}; known: {', '.join(KIND_TRUTH)}")
    return rule


def _step(tape: Tape, rule: KindTruth, given: dict, params: dict, unbiased: bool) -> tuple[dict, dict]:
    """One layer on the tape: its learned parameters as leaves, its forward, its output in nodes of its own.
    Returns (the learned parameters' leaves, the forward's quantities)."""
    learned = {name: _leaves(tape, params[name]) for name in rule.learned}
    out = rule.forward(given, {**params, **learned}, unbiased)
    return learned, {**out, "y": _copy(tape, out["y"])}


def kind_truth(inp: LayerInput) -> dict[str, tuple]:
    """Forward values and the loss's adjoints of one layer, from its definition, at DPS digits.

    Matrices are tuples of m row tuples, vectors tuples. Every kind but the embedding: "x", "y", "dx", "dy" (the
    embedding reads no x: "W", "y", "dW", "dy", W and dW H by D, y and dy m by D); batch and layer norm
    also "mu", "var", "xhat", "dxhat", "dvar", "dmu", "dgamma", "dbeta" (mu, var, dmu, dvar: one per feature for
    batch norm, one per example for layer norm); dense "dW", "db"; softmax and logsoftmax "e", "s", "de", "ds"
    (s, ds one per example); attention and masked attention "K", "V", "S", "e", "s", "P" and their adjoints
    (K, V, dK, dV: H by D; S, e, P and theirs: m by H; s, ds: one per query); conv1d "dW", "db", nested one
    level deeper (x, dx: m by D by T; y, dy: m by H by O; dW: H by D by U; db: H), conv2d two (x, dx: m by D by
    T by T2; y, dy: m by H by O by O2; dW: H by D by U by U2); a pooling's x, y like a convolution's (y: m by D
    by O, or O by O2). The other parameters' values
    are the input's own (``inp.gamma``, ``inp.W``, ``inp.mask``, ``inp.tokens``, ``inp.onehot`` ...).

    Raises:
        DeriveError: the input's kind has no ground truth here, an n - 1 variance has n < 2, an embedding's
            token is not a word id in 0 .. H - 1, or a convolution's or pooling's shapes, stride, padding or
            window do not fit.
    """
    rule = _row(inp.kind)
    with mpmath.workdps(DPS):
        tape = Tape()
        given = {"x": _leaves(tape, inp.x)} if "x" in rule.reads else {}
        learned, out = _step(tape, rule, given, inp.given(), inp.unbiased)
        adj = tape.backward(loss(inp, out["y"]))
        result = ({"x": tuple(inp.x)} if "x" in given else {}) | {name: _values(nodes) for name, nodes in out.items()}
        for name, nodes in [*reversed(out.items()), *given.items(), *learned.items()]:  # dy first, as the sweep
            result["d" + name] = _adjoints(adj, nodes)
        return result


def network_truth(inp: NetworkInput) -> tuple[dict, ...]:
    """Every step's quantities and their adjoints in a whole network, one tape, one backward sweep.

    The loss is ``architectures.loss(inp.c, inp.d, y)`` of the last step's output y. One dict per step (position
    step.index - 1): "x" (its input's value) and "dx", "y" and "dy", its learned parameters and their adjoints
    ("W", "dW", "b", "db", "gamma", "dgamma", ...), its intermediates ("mu", "dmu", "e", "de", ...), and for an
    add "skip", "dskip". "dy" is the total adjoint of the step's output (every step that reads it), "dx" and
    "dskip" the share through this step alone, so dy_i is the sum of its readers' dx (or dskip). Cost: one
    forward and one backward sweep, linear in the number of steps, at ``network_dps(steps)`` digits.

    Raises:
        DeriveError: a step's kind has no ground truth here, or an n - 1 variance has n < 2.
    """
    arch = inp.architecture
    rules = [_row(step.kind) for step in arch.steps]
    with mpmath.workdps(network_dps(len(arch.steps))):
        tape = Tape()
        outputs = [_leaves(tape, inp.x)]  # step i's output nodes; 0 is the network's input
        steps = []
        for step, rule, params in zip(arch.steps, rules, inp.params):
            if len(step.reads) != len(rule.reads):
                raise DeriveError(f"step {step.index} ({step.kind}) reads {len(step.reads)} steps, not "
                                  f"{len(rule.reads)}")
            given = {name: _copy(tape, outputs[r]) for name, r in zip(rule.reads, step.reads)}
            learned, out = _step(tape, rule, given, params, arch.unbiased)
            outputs.append(out["y"])
            steps.append({**given, **learned, **out})
        adj = tape.backward(network_loss(inp.c, inp.d, outputs[-1]))
        return tuple({**{name: _values(nodes) for name, nodes in quantities.items()},
                      **{"d" + name: _adjoints(adj, nodes) for name, nodes in quantities.items()}}
                     for quantities in steps)
